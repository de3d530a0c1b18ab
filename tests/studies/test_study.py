"""Studies: every variant run and stored (Parquet + DuckDB), failures recorded, constraints
checked, the recommendation, and the same numbers for the same seed."""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml

from spmsim.cli import main
from spmsim.engines.results import Results
from spmsim.errors import InputError
from spmsim.studies.study import Constraint, Study, load_study, run_study, summarise, variant_seeds

from paths import ACME_TERRITORIES, DEFAULT_STUDY, PLANS


def _quiet(*_):
    return None


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("study") / "default"
    return out, run_study(DEFAULT_STUDY, out, trials=64, progress=False, log=_quiet)


@pytest.mark.slow
def test_every_variant_is_stored_and_queryable(default_run):
    out, summary = default_run
    names = ["baseline", "steeper_accelerator", "proposed_enterprise", "flat_growth_quotas"]
    assert list(summary["variant"]) == names and (summary["status"] == "ok").all()
    for name in names:
        assert Results.load(out / "variants" / name).n_trials == 64
    con = duckdb.connect(str(out / "results.duckdb"), read_only=True)
    counts = dict(con.execute('SELECT variant, count(*) FROM trials WHERE "group" = \'all\' '
                              "GROUP BY variant").fetchall())
    assert counts == dict.fromkeys(names, 64)
    assert con.execute("SELECT count(*) FROM summary").fetchone()[0] == 4
    assert con.execute("SELECT count(DISTINCT seed) FROM status").fetchone()[0] == 1  # common
    assert con.execute("SELECT count(*) FROM periods").fetchone()[0] == 4 * 64 * 4 * 12
    con.close()


def test_variants_change_what_they_say(default_run):
    out, summary = default_run
    base = summary.set_index("variant")
    # steeper accelerators pay more on (statistically) the same business
    assert base.loc["steeper_accelerator", "variable_pay_p50"] > \
        base.loc["baseline", "variable_pay_p50"]
    steep = Results.load(out / "variants" / "steeper_accelerator")
    plan = steep.scenario["org"]["roles"]["ent_ae"]["plan"]
    assert plan["components"][0]["tiers"][1]["rate"] == 3.0
    proposed = Results.load(out / "variants" / "proposed_enterprise")
    assert proposed.scenario["org"]["roles"]["ent_ae"]["plan"]["plan"] == \
        "Enterprise AE FY27 (proposed)"
    flat = Results.load(out / "variants" / "flat_growth_quotas")
    assert flat.scenario["org"]["roles"]["smb_ae"]["quota_method"]["method"] == "flat_growth"


@pytest.mark.slow
def test_same_seed_same_numbers(default_run, tmp_path):
    _, summary = default_run
    again = run_study(DEFAULT_STUDY, tmp_path / "again", trials=64, progress=False, log=_quiet)
    pd.testing.assert_frame_equal(summary, again)


def test_variants_share_the_study_seed_unless_draws_are_independent():
    study = load_study(DEFAULT_STUDY)
    assert study.common_draws  # the default: common random numbers, a paired comparison
    assert set(variant_seeds(study).values()) == {study.seed}
    spawned = study.model_copy(update={"common_draws": False})
    seeds = variant_seeds(spawned)
    assert len(set(seeds.values())) == len(seeds)
    assert variant_seeds(spawned) == seeds


def test_a_failing_variant_is_recorded_and_the_study_goes_on(tmp_path, capsys):
    spec = yaml.safe_load(DEFAULT_STUDY.read_text())
    spec["base"] = str(ACME_TERRITORIES)
    spec.pop("history")  # its paths are relative to the shipped study (tests/test_winners.py)
    spec["variants"]["proposed_enterprise"]["set"]["org.roles.ent_ae.plan"] = \
        str(PLANS / "enterprise_ae_proposed.yaml")
    spec["variants"]["broken"] = {"set": {"org.roles.smb_ae.headcount": -5}}
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    assert main(["study", str(path), "--out", str(tmp_path / "out"), "--trials", "64",
                 "--no-progress"]) == 1
    summary = pd.read_csv(tmp_path / "out" / "summary.csv")
    broken = summary.set_index("variant").loc["broken"]
    assert broken["status"].startswith("failed:") and "headcount" in broken["status"]
    assert not broken["meets_all"] and not broken["recommended"]
    assert (summary.set_index("variant").drop("broken")["status"] == "ok").all()
    assert "1 variant(s) failed" in capsys.readouterr().err


def test_bad_study_file_names_the_field(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("study: x\nbase: a.yaml\nseed: 1\nvariants: {a: {}}\n"
                    "constraints: [{metric: cost_of_sale, max: 0.1}]\n")
    with pytest.raises(InputError, match=r"s.yaml: constraints\[0\].metric"):
        load_study(path)


def _study(constraints, goal="max") -> Study:
    return Study.model_validate({"study": "t", "base": "x.yaml", "seed": 1,
                                 "variants": {"a": {}, "b": {}, "c": {}},
                                 "constraints": constraints,
                                 "objective": {"metric": "profit_after_comp", "goal": goal}})


def test_recommendation_by_hand():
    m = {"a": {"all": {"cost_of_sales": 0.08, "share_at_quota": 0.65,
                       "profit_after_comp": 10.0}},
         "b": {"all": {"cost_of_sales": 0.10, "share_at_quota": 0.60,
                       "profit_after_comp": 12.0}},
         "c": {"all": {"cost_of_sales": 0.07, "share_at_quota": 0.62,
                       "profit_after_comp": 11.0}}}
    study = _study([{"metric": "cost_of_sales", "max": 0.09},
                    {"metric": "share_at_quota", "min": 0.6, "max": 0.7}])
    s = summarise(study, m, dict.fromkeys("abc", "ok")).set_index("variant")
    assert list(s["meets_all"]) == [True, False, True]  # b costs too much
    assert list(s["recommended"]) == [False, False, True]  # c: the most profit of a and c
    s = summarise(_study([{"metric": "cost_of_sales", "max": 0.09}], goal="min"), m,
                  dict.fromkeys("abc", "ok")).set_index("variant")
    assert s.loc["a", "recommended"]
    s = summarise(study, m, {"a": "ok", "b": "ok", "c": "failed: x"}).set_index("variant")
    assert s.loc["a", "recommended"] and not s.loc["c", "meets_all"]
    s = summarise(_study([{"metric": "cost_of_sales", "max": 0.01}]), m,
                  dict.fromkeys("abc", "ok"))
    assert not s["recommended"].any()


def test_constraint_checks():
    c = Constraint(metric="share_at_quota", min=0.6, max=0.7)
    assert c.met(0.6) and c.met(0.7) and not c.met(0.71) and not c.met(math.nan)
    assert c.label() == "0.6 <= share_at_quota <= 0.7"
    with pytest.raises(ValueError, match="min"):
        Constraint(metric="share_at_quota")
    assert np.isclose(Constraint(metric="cost_of_sales", group="smb_ae", max=0.1).max, 0.1)


def test_variants_are_paired_trial_by_trial(default_run):
    """Common draws: a plan-only variant books the same revenue as the baseline in every
    trial, so the recommended and the runner-up are compared on the same simulated years."""
    import json

    out, summary = default_run
    base = Results.load(out / "variants" / "baseline").trials_frame()
    steep = Results.load(out / "variants" / "steeper_accelerator").trials_frame()
    np.testing.assert_array_equal(base["revenue"].to_numpy(), steep["revenue"].to_numpy())
    assert (steep["variable_pay"] >= base["variable_pay"] - 1e-6).all()  # it only pays more
    c = json.loads((out / "study.json").read_text())["comparison"]
    rec = summary.loc[summary["recommended"], "variant"].iloc[0]
    assert c["paired"] and c["n"] == 64 and c["better"] == rec and c["other"] != rec
    assert c["low"] <= c["mean"] <= c["high"] and 0 <= c["prob_better"] <= 1
