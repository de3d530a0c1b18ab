"""Sweeps on Dask: a 2-worker LocalCluster gives the same numbers as the serial run, and a
sweep whose worker is killed mid-run still completes, with the same numbers."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pandas as pd
import pytest
from test_sweep import small_spec, write_spec  # tests/ is on sys.path (rootdir conftest-less)

from spmsim.cli import main
from spmsim.studies.sweep.backends import TRIM, DaskBackend, getenv, local_cluster
from spmsim.studies.sweep.runner import run_sweep

pytestmark = pytest.mark.dask


def _quiet(*_):
    return None


def _records(out: Path) -> dict[str, dict]:
    """Every candidate's stored record (metrics and all)."""
    return {f.name: json.loads(f.read_text()) for f in (out / "candidates").glob("c*.json")}


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serial")
    path = write_spec(folder, small_spec())
    return path, folder / "out", run_sweep(path, folder / "out", progress=False, log=_quiet)


def test_local_cluster_gives_the_serial_numbers(serial, tmp_path, capsys):
    path, serial_out, table = serial
    out = tmp_path / "dask"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "2",
                 "--no-progress"]) == 0
    assert "Dask LocalCluster (2 worker processes)" in capsys.readouterr().out
    pd.testing.assert_frame_equal(pd.read_parquet(out / "candidates.parquet"), table)
    assert _records(out) == _records(serial_out)
    assert (out / "summary.csv").read_bytes() == (serial_out / "summary.csv").read_bytes()


@pytest.fixture(scope="module")
def cluster():
    with local_cluster(2) as client:
        yield client


def test_our_local_cluster_leaves_malloc_adaptive(cluster):
    """Dask's default MALLOC_TRIM_THRESHOLD_ (65536) doubles the engine's CPU time; the
    LocalCluster spmsim starts unsets it, so the backend has nothing to warn about."""
    assert set(cluster.run(getenv, TRIM).values()) == {None}
    assert DaskBackend(cluster, "test").note == ""


def test_a_killed_worker_does_not_stop_the_sweep(cluster, tmp_path):
    # longer candidates (320 trials, about 0.3 s each) so the kill lands mid-sweep
    spec = small_spec(trials=320)
    spec["sweep"]["refine"] = None
    path = write_spec(tmp_path, spec)
    reference = run_sweep(path, tmp_path / "serial", progress=False, log=_quiet)

    killed: dict[str, object] = {}

    def kill_a_busy_worker(record):
        if killed:
            return
        busy = {w: keys for w, keys in cluster.processing().items() if keys}
        if not busy:
            return
        worker, keys = next(iter(busy.items()))
        pid = cluster.run(os.getpid, workers=[worker])[worker]
        os.kill(pid, signal.SIGKILL)
        killed.update(worker=worker, keys=list(keys), pid=pid)

    table = run_sweep(path, tmp_path / "dask", client=cluster, progress=False, log=_quiet,
                      on_candidate=kill_a_busy_worker)
    assert killed, "no worker was busy after the first candidate finished"
    assert len(table) == 6 and (table["status"] == "ok").all()
    finished = {f.stem for f in (tmp_path / "dask" / "candidates").glob("c*.json")}
    # the tasks the dead worker was running were retried elsewhere and finished
    assert {k.split("-")[1] + "-" + k.split("-")[2] for k in killed["keys"]} <= finished
    pd.testing.assert_frame_equal(table, reference)
    assert _records(tmp_path / "dask") == _records(tmp_path / "serial")
