"""Results folders as a unit: a full disk, a refused permission or a kill during a rerun
never leaves a folder mixing two runs; `Results.load` refuses one made by hand; a killed
run's hidden temporaries are cleaned by the next run.

Full disks are simulated deterministically (the Parquet writer raising ENOSPC after the
first table) and, where the tests run as root, on a real 1 MiB tmpfs.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spmsim.cli import main
from spmsim.engines import simulate
from spmsim.engines.results import Results
from spmsim.errors import SpmsimError
from spmsim.model.scenario import load_scenario

from paths import ACME, ROOT


@pytest.fixture(scope="module")
def runs():
    """Two different runs of the example scenario (small)."""
    scenario = load_scenario(ACME)
    return (simulate(scenario, trials=16, seed=1, progress=False),
            simulate(scenario, trials=24, seed=2, progress=False))


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _full_after(n: int, monkeypatch) -> None:
    """Make the Parquet writer fill the disk after `n` tables."""
    real, calls = pd.DataFrame.to_parquet, {"n": 0}

    def to_parquet(self, path, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] > n:
            Path(path).write_bytes(b"PAR1 half")
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", to_parquet)


def test_full_disk_during_a_rerun_leaves_the_previous_results_whole(runs, tmp_path,
                                                                    monkeypatch):
    old, new = runs
    folder = old.save(tmp_path / "run")
    before = _files(folder)
    _full_after(2, monkeypatch)  # trials and periods written, then the disk is full
    with pytest.raises(OSError) as e:
        new.save(folder)
    assert e.value.errno == errno.ENOSPC
    monkeypatch.undo()
    assert _files(folder) == before
    assert Results.load(folder).n_trials == old.n_trials
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no temporary left


def test_refused_permission_leaves_the_previous_results_whole(runs, tmp_path, monkeypatch):
    old, new = runs
    folder = old.save(tmp_path / "run")
    before = _files(folder)
    monkeypatch.setattr(Path, "write_text", lambda self, *a, **k: (_ for _ in ()).throw(
        PermissionError(errno.EACCES, "Permission denied", str(self))))
    with pytest.raises(PermissionError):
        new.save(folder)
    monkeypatch.undo()
    assert _files(folder) == before


def test_a_rerun_replaces_every_table(runs, tmp_path):
    old, new = runs
    folder = old.save(tmp_path / "run")
    new.save(folder)
    loaded = Results.load(folder)
    assert loaded.n_trials == new.n_trials and loaded.seed == new.seed
    assert np.array_equal(loaded.trial["revenue"], new.trial["revenue"])


def test_load_refuses_a_folder_mixing_two_runs(runs, tmp_path):
    old, new = runs
    a, b = old.save(tmp_path / "a"), new.save(tmp_path / "b")
    shutil.copy(b / "trials.parquet", a / "trials.parquet")
    with pytest.raises(SpmsimError, match=r"trials.parquet: not the table meta.json lists "
                                          r"\(checksum differs\); the folder mixes two runs"):
        Results.load(a)


def test_load_refuses_a_same_sized_table_from_another_run(runs, tmp_path):
    """Same rows, other numbers: only the checksum can tell."""
    old, _ = runs
    scenario = load_scenario(ACME)
    twin = simulate(scenario, trials=old.n_trials, seed=99, progress=False)
    a, b = old.save(tmp_path / "a"), twin.save(tmp_path / "b")
    shutil.copy(b / "histograms.parquet", a / "histograms.parquet")
    with pytest.raises(SpmsimError, match="mixes two runs"):
        Results.load(a)


def test_load_refuses_a_truncated_table(runs, tmp_path):
    folder = runs[0].save(tmp_path / "a")
    meta = json.loads((folder / "meta.json").read_text())
    del meta["tables"]["periods"]["sha256"]  # an older folder: no checksum to catch it
    (folder / "meta.json").write_text(json.dumps(meta))
    (folder / "periods.parquet").write_bytes(b"PAR1 half")
    with pytest.raises(SpmsimError, match="periods.parquet: cannot read as Parquet"):
        Results.load(folder)


def test_save_refuses_a_folder_of_other_files(runs, tmp_path):
    (tmp_path / "notes.md").write_text("mine")
    with pytest.raises(SpmsimError, match=r"holds files spmsim did not write here"):
        runs[0].save(tmp_path)
    assert _files(tmp_path) == {"notes.md": b"mine"}


@pytest.mark.slow
def test_killed_run_leaves_the_old_folder_and_its_temporary_is_cleaned(runs, tmp_path):
    """A run killed (SIGKILL) while writing its tables: the old results stand, and the
    hidden folder it was building is removed by the next run writing in that folder."""
    folder = runs[0].save(tmp_path / "run")
    before = _files(folder)
    script = textwrap.dedent(f"""
        import os, signal
        import pandas as pd
        from spmsim.engines import simulate
        from spmsim.model.scenario import load_scenario
        real = pd.DataFrame.to_parquet
        def to_parquet(self, path, *a, **k):
            real(self, path, *a, **k)
            os.kill(os.getpid(), signal.SIGKILL)  # killed after the first table
        pd.DataFrame.to_parquet = to_parquet
        simulate(load_scenario({str(ACME)!r}), trials=8, progress=False).save({str(folder)!r})
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=False)
    assert proc.returncode == -9
    assert _files(folder) == before
    stale = [p.name for p in tmp_path.iterdir() if p.name != "run"]
    assert len(stale) == 1 and stale[0].startswith(".run.") and stale[0].endswith(".tmp")
    rerun = subprocess.run([sys.executable, "-m", "spmsim", "simulate", str(ACME), "--out",
                            str(folder), "--trials", "8", "--no-progress"], cwd=ROOT,
                           capture_output=True, text=True, check=False)
    assert rerun.returncode == 0, rerun.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # the next run cleaned it
    assert Results.load(folder).n_trials == 8


# ---- the command line: one line naming the path, exit 1, never a traceback ------------


def test_cli_full_disk_is_one_line_exit_1(tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"
    assert main(["simulate", str(ACME), "--out", str(out), "--trials", "8",
                 "--no-progress"]) == 0
    before = _files(out)
    capsys.readouterr()
    _full_after(1, monkeypatch)
    code = main(["simulate", str(ACME), "--out", str(out), "--trials", "12", "--seed", "5",
                 "--no-progress"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err == (f"error: {out / 'periods.parquet'}: No space left on device (errno "
                   "ENOSPC); nothing was half written: free some space and run again\n")
    monkeypatch.undo()
    assert _files(out) == before


@pytest.fixture
def tiny_disk():
    """A real 1 MiB tmpfs (root only); skipped where it cannot be mounted."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tmpfs needs root")
    where = Path(f"/tmp/spmsim-tiny-{uuid.uuid4().hex[:8]}")
    where.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(where)],
                             capture_output=True, check=False)
    if mounted.returncode != 0:
        where.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=False)
        where.rmdir()


@pytest.mark.slow
def test_real_full_disk_during_a_rerun(tiny_disk):
    """`python -m spmsim simulate` into a 1 MiB filesystem: the small run fits, the big
    rerun fills the disk; the previous results stay whole and loadable."""
    out = tiny_disk / "run"
    small = subprocess.run([sys.executable, "-m", "spmsim", "simulate", str(ACME), "--out",
                            str(out), "--trials", "4", "--no-progress"], cwd=ROOT,
                           capture_output=True, text=True, check=False)
    assert small.returncode == 0, small.stderr
    before = _files(out)
    big = subprocess.run([sys.executable, "-m", "spmsim", "simulate", str(ACME), "--out",
                          str(out), "--trials", "400", "--no-progress"], cwd=ROOT,
                         capture_output=True, text=True, check=False)
    assert big.returncode == 1, big.stderr
    assert big.stderr.count("\n") == 1 and "Traceback" not in big.stderr
    assert "No space left on device (errno ENOSPC)" in big.stderr
    assert big.stderr.startswith(f"error: {out}/")  # the path asked for, not a temporary
    assert _files(out) == before
    assert Results.load(out).n_trials == 4
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["run"]


@pytest.mark.slow
def test_terminated_run_removes_its_temporary_on_the_way_out(runs, tmp_path):
    """`kill` (SIGTERM, as a CI timeout sends) stops the command like Ctrl-C: the previous
    results stand and no temporary is left behind, even before the next run."""
    folder = runs[0].save(tmp_path / "run")
    before = _files(folder)
    script = textwrap.dedent(f"""
        import os, signal, sys
        import pandas as pd
        from spmsim.cli import main
        real = pd.DataFrame.to_parquet
        def to_parquet(self, path, *a, **k):
            real(self, path, *a, **k)
            os.kill(os.getpid(), signal.SIGTERM)  # terminated after the first table
        pd.DataFrame.to_parquet = to_parquet
        sys.exit(main(["simulate", {str(ACME)!r}, "--trials", "8", "--no-progress",
                       "--out", {str(folder)!r}]))
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 143, proc.stderr
    assert "Traceback" not in proc.stderr
    assert _files(folder) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
