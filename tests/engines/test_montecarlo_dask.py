"""The Monte Carlo engine on Dask: a 2-worker LocalCluster gives byte for byte the figures
of a serial and a threaded run, and a run whose worker is killed mid-run completes with
the same numbers (Dask reruns the lost tasks; each task's draws depend only on its trials)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spmsim.cli import main
from spmsim.engines import simulate
from spmsim.engines.results import Results
from spmsim.model.scenario import load_scenario
from spmsim.studies.sweep.backends import DaskBackend, local_cluster

from paths import ACME, DEFAULT_STUDY

pytestmark = pytest.mark.dask

TRIALS = 300  # the last block partial


@pytest.fixture(scope="module")
def acme():
    return load_scenario(ACME)


@pytest.fixture(scope="module")
def cluster():
    with local_cluster(2) as client:
        yield client


@pytest.fixture(scope="module")
def serial(acme) -> Results:
    return simulate(acme, trials=TRIALS, workers=1, progress=False)


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_serial_threaded_and_dask_runs_are_byte_identical(acme, serial, cluster, tmp_path):
    threaded = simulate(acme, trials=TRIALS, workers=2, progress=False)
    backend = DaskBackend(cluster, "test cluster")
    dask = simulate(acme, trials=TRIALS, workers=2, chunk=64, progress=False, backend=backend)
    saved = {name: files(r.save(tmp_path / name))
             for name, r in (("serial", serial), ("threaded", threaded), ("dask", dask))}
    assert set(saved["serial"]) >= {"meta.json", "trials.parquet", "reps.parquet"}
    assert saved["threaded"] == saved["serial"]
    assert saved["dask"] == saved["serial"]


def test_a_killed_worker_still_gives_the_same_numbers(acme, serial, cluster):
    backend = DaskBackend(cluster, "test cluster")
    killed: dict[str, object] = {}

    def kill_a_busy_worker(_trials: int) -> None:
        if killed:
            return
        busy = {w: keys for w, keys in cluster.processing().items() if keys}
        if not busy:
            return
        worker = next(iter(busy))
        pid = cluster.run(os.getpid, workers=[worker])[worker]
        os.kill(pid, signal.SIGKILL)
        killed.update(worker=worker, pid=pid)

    # one block per task, so most tasks are still pending or running at the first callback
    again = simulate(acme, trials=TRIALS, chunk=64, progress=False, backend=backend,
                     on_chunk=kill_a_busy_worker)
    assert killed, "no worker was busy to kill"
    for stat, values in serial.trial.items():
        assert np.array_equal(values, again.trial[stat], equal_nan=True), stat
    for stat, values in serial.period.items():
        assert np.array_equal(values, again.period[stat]), stat
    pd.testing.assert_frame_equal(serial.reps, again.reps, check_exact=True)


def test_simulate_command_on_a_local_cluster(tmp_path, capsys):
    """`spmsim simulate --workers 2` writes the files `--threads 1` writes, byte for byte."""
    serial, dask = tmp_path / "serial", tmp_path / "dask"
    common = [str(ACME), "--trials", "130", "--no-progress"]
    assert main(["simulate", *common, "--threads", "1", "--out", str(serial)]) == 0
    assert main(["simulate", *common, "--workers", "2", "--out", str(dask)]) == 0
    assert "Dask LocalCluster (2 worker processes)" in capsys.readouterr().out
    assert files(dask) == files(serial)


def test_study_command_on_a_local_cluster(tmp_path, capsys):
    """`spmsim study --workers 2` gives the serial study's summary and tables."""
    serial, dask = tmp_path / "serial", tmp_path / "dask"
    common = [str(DEFAULT_STUDY), "--trials", "64", "--no-progress"]
    assert main(["study", *common, "--out", str(serial)]) == 0
    assert main(["study", *common, "--workers", "2", "--out", str(dask)]) == 0
    assert "Dask LocalCluster (2 worker processes)" in capsys.readouterr().out
    assert (dask / "summary.csv").read_bytes() == (serial / "summary.csv").read_bytes()
    for variant in (serial / "variants").iterdir():
        assert files(dask / "variants" / variant.name) == files(variant), variant.name
