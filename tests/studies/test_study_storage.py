"""Study and sweep folders under hostile conditions: a full disk during a rerun leaves the
previous study whole; a folder of other files is never replaced; unsafe variant names are
refused; winners-and-losers CSVs neutralise formula-like rep ids; a sweep's folder mixing
two runs is refused by `open_sweep`."""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

import spmsim.studies.study as study_module
from spmsim.errors import InputError, SpmsimError
from spmsim.studies.study import load_study, run_study
from spmsim.studies.sweep.runner import run_sweep
from spmsim.studies.sweep.view import open_sweep

from paths import ACME, FY27, PLANS

EVIL = '=HYPERLINK("http://example.com/x","pay")'


def _quiet(*_):
    return None


def _study(folder: Path, **changes) -> Path:
    spec = {"study": "two plans", "base": str(ACME), "seed": 3, "trials": 8,
            "variants": {"baseline": {}, "steeper": {"set": {
                "org.roles.ent_ae.plan.components[0].tiers[1].rate": 3.0}}}}
    spec.update(changes)
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_full_disk_during_a_study_rerun_leaves_the_previous_study(tmp_path, monkeypatch):
    path, out = _study(tmp_path), tmp_path / "out"
    run_study(path, out, progress=False, log=_quiet)
    before = _tree(out)
    path.write_text(path.read_text().replace("seed: 3", "seed: 4"))

    def full(target, tables):
        raise OSError(errno.ENOSPC, "No space left on device", str(target))

    monkeypatch.setattr(study_module, "write_duckdb", full)
    with pytest.raises(OSError):
        run_study(path, out, progress=False, log=_quiet)
    assert _tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "study.yaml"]


def test_a_study_never_replaces_a_folder_of_other_files(tmp_path):
    path = _study(tmp_path)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "keep.md").write_text("mine")
    with pytest.raises(InputError, match="holds files spmsim did not write here"):
        run_study(path, tmp_path / "notes", progress=False, log=_quiet)
    assert _tree(tmp_path / "notes") == {"keep.md": b"mine"}


@pytest.mark.parametrize("name", ["a\n", "../up", "a/b", ".hidden", "a b", "x" * 101])
def test_unsafe_variant_names_refused(tmp_path, name):
    path = _study(tmp_path, variants={name: {}})
    with pytest.raises(InputError, match="a variant name is a folder name"):
        load_study(path)


def _evil_history(folder: Path) -> dict:
    """Last year's files with one enterprise rep's id made a spreadsheet formula."""
    for name in ("deals", "quotas", "roster"):
        text = (FY27 / f"{name}.csv").read_text()
        quoted = '"' + EVIL.replace('"', '""') + '"'
        (folder / f"{name}.csv").write_text(text.replace("ENT01,", f"{quoted},"))
    return {"deals": "deals.csv", "quotas": "quotas.csv", "roster": "roster.csv",
            "plans": str(PLANS), "current": "baseline"}


@pytest.mark.slow
def test_winners_and_losers_csv_neutralise_formula_rep_ids(tmp_path):
    path = _study(tmp_path, history=_evil_history(tmp_path),
                  variants={"baseline": {}, "proposed": {"set": {
                      "org.roles.ent_ae.plan": str(PLANS / "enterprise_ae_proposed.yaml")}}})
    out = tmp_path / "out"
    run_study(path, out, progress=False, log=_quiet)
    rows = pd.read_csv(out / "winners_losers.csv", dtype=str)
    assert ("'" + EVIL) in set(rows["rep_id"])
    assert not rows["rep_id"].str.startswith(("=", "+", "@")).any()


def test_replay_csvs_neutralise_formula_rep_ids(tmp_path):
    from spmsim.cli import main

    _evil_history(tmp_path)
    out = tmp_path / "replay"
    assert main(["replay", "--plan", str(PLANS), "--deals", str(tmp_path / "deals.csv"),
                 "--quotas", str(tmp_path / "quotas.csv"), "--roster",
                 str(tmp_path / "roster.csv"), "--out", str(out)]) == 0
    for name in ("payouts_by_rep.csv", "payouts_by_period.csv", "payouts_by_component.csv"):
        rows = pd.read_csv(out / name, dtype=str)
        assert ("'" + EVIL) in set(rows["rep_id"]), name
        assert not rows["rep_id"].str.startswith(("=", "+", "@")).any(), name


# ---- sweeps ------------------------------------------------------------------------------

def _sweep(folder: Path, seed: int) -> Path:
    spec = {"study": "tiny sweep", "base": str(ACME), "seed": seed, "trials": 8,
            "sweep": {"parameters": {"accelerator": {
                "path": "org.roles.ent_ae.plan.components[0].tiers[1].rate",
                "values": [1.5, 2.5]}}, "sampling": "grid",
                "objectives": [{"metric": "variable_pay_mean", "goal": "min"},
                               {"metric": "share_at_quota", "goal": "max"}]}}
    path = folder / f"sweep{seed}.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


@pytest.mark.slow
def test_open_sweep_refuses_a_folder_mixing_two_runs(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    run_sweep(_sweep(tmp_path, 1), a, progress=False, log=_quiet)
    run_sweep(_sweep(tmp_path, 2), b, progress=False, log=_quiet)
    assert open_sweep(a).meta["seed"] == 1
    shutil.copy(b / "candidates.parquet", a / "candidates.parquet")
    with pytest.raises(SpmsimError, match="candidates.parquet: not the file sweep.json lists"):
        open_sweep(a)
    with pytest.raises(SpmsimError, match="no finished sweep here"):
        open_sweep(tmp_path / "missing")
