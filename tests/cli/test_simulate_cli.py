"""`spmsim simulate`: writes results and a summary, exit 2 and nothing written on bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

from spmsim.cli import main
from spmsim.engines.results import Results

from paths import ACME, ACME_STEEPER

BASELINE = str(ACME)
VARIANT = str(ACME_STEEPER)


def _run(*args: str) -> int:
    return main(["simulate", *args, "--no-progress"])


@pytest.fixture(scope="module")
def baseline_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("sim") / "acme"
    assert _run(BASELINE, "--out", str(out), "--trials", "128") == 0
    return out


def test_simulate_writes_results_and_summary(baseline_run, capsys):
    out = baseline_run
    for name in ("trials", "periods", "histograms", "reps"):
        assert (out / f"{name}.parquet").stat().st_size > 0
    meta = json.loads((out / "meta.json").read_text())
    assert meta["seed"] == 2027 and meta["trials"] == 128 and meta["engine"] == "montecarlo"
    assert meta["scenario"]["scenario"] == "Acme FY27 baseline"
    text = (out / "summary.txt").read_text()
    assert text.startswith("Acme FY27 baseline: 128 trials, seed 2027")
    for metric in ("variable pay P50", "share of reps at quota", "cost of sales (P50)",
                   "P(variable pay > budget)", "revenue share of top 20 % reps"):
        assert metric in text
    r = Results.load(out)
    assert r.n_trials == 128 and r.groups == ("ent_ae", "smb_ae", "account_mgr", "all")
    assert not list(out.glob(".*.tmp"))


def test_summary_is_sensible(baseline_run):
    s = Results.load(baseline_run).summary()["all"]
    assert 100 < s["reps in seat (FTE)"] < 120
    assert 0.3 < s["share of reps at quota"] < 0.6
    assert 0.03 < s["cost of sales (P50)"] < 0.12
    assert s["variable pay P10"] < s["variable pay P50"] < s["variable pay P90"]
    assert 0.4 < s["revenue share of top 20 % reps"] < 0.7


def test_steeper_accelerator_costs_more_on_the_same_draws(baseline_run, tmp_path):
    assert _run(VARIANT, "--out", str(tmp_path / "steep"), "--trials", "128") == 0
    base, steep = Results.load(baseline_run), Results.load(tmp_path / "steep")
    assert np.array_equal(base.trial["revenue"], steep.trial["revenue"])
    pay_base, pay_steep = base.trial["variable_pay"], steep.trial["variable_pay"]
    assert np.all(pay_steep >= pay_base - 1e-6)
    assert pay_steep[:, -1].mean() > pay_base[:, -1].mean()


def test_set_and_seed_change_the_numbers(baseline_run, tmp_path):
    out = tmp_path / "other"
    assert _run(BASELINE, "--out", str(out), "--trials", "128", "--seed", "7",
                "--set", "org.roles.smb_ae.headcount=20", "--no-rep-detail") == 0
    r = Results.load(out)
    assert r.seed == 7 and r.reps is None and not (out / "reps.parquet").exists()
    assert r.scenario["org"]["roles"]["smb_ae"]["headcount"] == 20
    base = Results.load(baseline_run)
    assert not np.array_equal(r.trial["revenue"], base.trial["revenue"])


def test_rerun_without_rep_detail_removes_the_stale_table(tmp_path):
    out = tmp_path / "again"
    assert _run(BASELINE, "--out", str(out), "--trials", "64") == 0
    assert (out / "reps.parquet").exists()
    assert _run(BASELINE, "--out", str(out), "--trials", "64", "--no-rep-detail") == 0
    assert not (out / "reps.parquet").exists()
    assert Results.load(out).reps is None


@pytest.mark.parametrize("args, message", [
    (["--set", "org.roles.ent_ae.headcount"], "write PATH=VALUE"),
    (["--set", "org.roles.ent_ae.headcount=-3"], "org.roles.ent_ae.headcount"),
    (["--set", "org.roles.nobody.headcount=3"], "no key 'nobody'"),
    (["--trials", "0"], "trials"),
])
def test_bad_input_exits_2_and_writes_nothing(tmp_path, capsys, args, message):
    out = tmp_path / "never"
    assert _run(BASELINE, "--out", str(out), *args) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_missing_scenario_file(tmp_path, capsys):
    assert _run(str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "o")) == 2
    assert "nope.yaml: cannot read the file" in capsys.readouterr().err


def test_schema_prints_the_scenario_schema(capsys):
    assert main(["schema", "scenario"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"] == "Scenario" and "org" in schema["properties"]
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "Plan"


def test_simulate_notes_a_memory_budget_it_cannot_keep(tmp_path, capsys):
    """Under one simulated year per worker the run goes on, one trial at a time, and says
    so as a plain note (no Python warning with a file and line)."""
    code = main(["simulate", str(ACME), "--trials", "3", "--memory-mb", "0.01",
                 "--threads", "1", "--no-progress", "--out", str(tmp_path / "run")])
    out = capsys.readouterr().out
    assert code == 0
    assert "note: one simulated year of this organisation needs about" in out
    assert "--memory-mb" in out and "Warning" not in out
