"""Sweeps and plan search: parameter spaces, samplers, the Pareto front, refinement, the
serial sweep end to end (stored, resumed, checked against a direct simulation), the CLI
and the report notebook. Dask backends are in test_sweep_dask.py."""

from __future__ import annotations

import itertools
import json
import math
import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from spmsim.cli import main
from spmsim.engines import simulate
from spmsim.errors import InputError, SpmsimError
from spmsim.model.scenario import load_scenario
from spmsim.studies.study import Constraint, load_study
from spmsim.studies.sweep.runner import (
    Candidate,
    Parameter,
    SweepStudy,
    candidate_seed,
    initial_candidates,
    load_sweep_study,
    refined_candidates,
    run_sweep,
)
from spmsim.studies.sweep.sampling import latin_hypercube
from spmsim.studies.sweep.search import (
    candidates_table,
    metric_column,
    pareto_front,
    refine_centres,
    violation,
)
from spmsim.studies.sweep.view import open_sweep

from paths import ACME, DEFAULT_STUDY, NOTEBOOKS, PLANS, SWEEP_STUDY

RATE = "org.roles.ent_ae.plan.components[0].tiers[1].rate"
CAP = "org.roles.ent_ae.plan.components[0].cap.of_target"
QUOTA = "org.roles.ent_ae.quota.new_arr"


def _quiet(*_):
    return None


def small_spec(**changes) -> dict:
    """A small sweep on the Acme baseline: accelerator, cap and enterprise quota."""
    spec = {
        "study": "small sweep", "base": str(ACME), "seed": 7, "trials": 64,
        "constraints": [{"metric": "cost_of_sales", "max": 0.09},
                        {"metric": "share_at_quota", "group": "ent_ae", "min": 0.5}],
        "objective": {"metric": "profit_after_comp", "goal": "max"},
        "sweep": {
            "parameters": {
                "accelerator": {"path": RATE, "low": 1.25, "high": 3.0},
                "cap": {"path": CAP, "values": [2.0, 3.0, 4.0]},
                "quota": {"path": QUOTA, "low": 800000, "high": 1200000, "integer": True},
            },
            "sampling": "lhs", "n": 6,
            "objectives": [{"metric": "variable_pay_mean", "group": "ent_ae", "goal": "min"},
                           {"metric": "share_at_quota", "group": "ent_ae", "goal": "max"}],
            "refine": {"rounds": 1, "best": 2, "n": 2, "shrink": 0.25},
        },
    }
    spec.update(changes)
    return spec


def write_spec(folder: Path, spec: dict, name: str = "sweep.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def study_of(spec: dict) -> SweepStudy:
    return SweepStudy.model_validate(spec)


# ---- the Pareto front -----------------------------------------------------------------

def test_front_by_hand_min_min():
    pts = np.array([[1, 5], [2, 3], [3, 4], [4, 1], [2, 3], [5, 5], [1, 6]], dtype=float)
    # (3,4) is beaten by (2,3); (5,5) by everything; (1,6) by (1,5); (2,3) twice: both stay
    assert pareto_front(pts, ["min", "min"]).tolist() == \
        [True, True, False, True, True, False, False]


def test_front_by_hand_max_and_mixed_goals():
    pts = np.array([[1, 5], [2, 3], [3, 4], [4, 1], [5, 5]], dtype=float)
    assert pareto_front(pts, ["max", "max"]).tolist() == [False, False, False, False, True]
    # min x, max y: (1,5) beats all but... (5,5) has the same y and larger x: dominated
    assert pareto_front(pts, ["min", "max"]).tolist() == [True, False, False, False, False]
    # max x, min y: (4,1) has the smallest y; (5,5) the largest x; (2,3),(3,4) beaten by (4,1)
    assert pareto_front(pts, ["max", "min"]).tolist() == [False, False, False, True, True]


def test_front_ties_nan_three_objectives_and_shape():
    same = np.array([[1.0, 1.0], [1.0, 1.0]])
    assert pareto_front(same, ["min", "min"]).tolist() == [True, True]
    with_nan = np.array([[1.0, np.nan], [2.0, 2.0], [0.0, 0.0]])
    assert pareto_front(with_nan, ["max", "max"]).tolist() == [False, True, False]
    three = np.array([[1, 3, 1], [0, 2, 2], [1, 3, 0], [2, 2, 2]], dtype=float)
    # min, max, max: (0,2,2) beats (2,2,2), (1,3,1) beats (1,3,0); the first two trade off
    assert pareto_front(three, ["min", "max", "max"]).tolist() == [True, True, False, False]
    assert pareto_front(np.empty((0, 2)), ["min", "max"]).tolist() == []
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        pareto_front(np.zeros((3, 3)), ["min", "max"])


def _dominates(a, b, goals) -> bool:
    better = [(x > y) if g == "max" else (x < y) for x, y, g in zip(a, b, goals, strict=True)]
    worse = [(x < y) if g == "max" else (x > y) for x, y, g in zip(a, b, goals, strict=True)]
    return any(better) and not any(worse)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 3).flatmap(lambda k: st.tuples(
    st.lists(st.lists(st.integers(0, 4), min_size=k, max_size=k), min_size=1, max_size=30),
    st.lists(st.sampled_from(["max", "min"]), min_size=k, max_size=k))))
def test_front_invariants(case):
    rows, goals = case
    front = pareto_front(np.array(rows, dtype=float), goals)
    for i, row in enumerate(rows):
        beaten = any(_dominates(other, row, goals) for other in rows)
        assert front[i] == (not beaten)
        if not front[i]:  # every point off the front is beaten by a point on it
            assert any(_dominates(rows[j], row, goals) for j in np.flatnonzero(front))


def test_violation_is_relative_distance_outside_the_bounds():
    table = pd.DataFrame({"cost_of_sales": [0.08, 0.099, np.nan],
                          "share_at_quota (ent_ae)": [0.65, 0.55, 0.65]})
    cons = [Constraint(metric="cost_of_sales", max=0.09),
            Constraint(metric="share_at_quota", group="ent_ae", min=0.6, max=0.7)]
    got = violation(table, cons)
    assert got[0] == 0.0
    assert got[1] == pytest.approx(0.009 / 0.09 + 0.05 / 0.6)
    assert got[2] == math.inf


# ---- parameter spaces and samplers -------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(st.integers(1, 60), st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_latin_hypercube_hits_every_stratum_once(n, d, seed):
    u = latin_hypercube(n, d, np.random.default_rng(seed))
    assert u.shape == (n, d) and (u >= 0).all() and (u < 1).all()
    for j in range(d):
        assert sorted(np.floor(u[:, j] * n).astype(int)) == list(range(n))


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 40), st.integers(0, 2**32 - 1))
def test_lhs_through_parameters_stratifies_each_range(n, seed):
    linear = Parameter(path="a", low=1.25, high=3.0)
    log = Parameter(path="b", low=1e4, high=1e6, log=True)
    u = latin_hypercube(n, 2, np.random.default_rng(seed))
    x = np.array(linear.from_unit(u[:, 0]))
    y = np.array(log.from_unit(u[:, 1]))
    assert sorted(np.floor((x - 1.25) / 1.75 * n).astype(int)) == list(range(n))
    assert sorted(np.floor(np.log(y / 1e4) / np.log(100) * n).astype(int)) == list(range(n))


def test_integer_and_list_parameters_map_the_unit_interval_evenly():
    quota = Parameter(path="q", low=1, high=4, integer=True)
    assert quota.from_unit(np.array([0.0, 0.24, 0.25, 0.5, 0.99, 1.0])) == [1, 1, 2, 3, 4, 4]
    assert [quota.to_unit(v) for v in (1, 4)] == [0.125, 0.875]
    cap = Parameter(path="c", values=[{"of_target": 2.0}, None, 3])
    assert cap.from_unit(np.array([0.1, 0.5, 0.9])) == [{"of_target": 2.0}, None, 3]
    assert cap.to_unit(None) == pytest.approx(0.5)
    assert Parameter(path="r", low=1.0, high=2.0).to_unit(1.5) == 0.5


def test_grid_is_the_product_of_each_parameters_points():
    spec = small_spec()
    spec["sweep"] = {**spec["sweep"], "sampling": "grid", "n": None, "refine": None}
    spec["sweep"]["parameters"] = {
        "accelerator": {"path": RATE, "low": 1.0, "high": 2.5, "steps": 4},
        "cap": {"path": CAP, "values": [2.0, 3.0, 4.0]},
        "quota": {"path": QUOTA, "low": 1, "high": 3, "integer": True, "steps": 5},
        "log": {"path": "trials", "low": 10, "high": 1000, "log": True, "steps": 3},
    }
    del spec["sweep"]["n"]
    cands = initial_candidates(study_of(spec))
    assert len(cands) == 4 * 3 * 3 * 3  # integers 1..3 once each, not 5 points
    assert [c.index for c in cands] == list(range(len(cands)))
    assert cands[0].params == {"accelerator": 1.0, "cap": 2.0, "quota": 1, "log": 10.0}
    assert cands[-1].params == {"accelerator": 2.5, "cap": 4.0, "quota": 3,
                                "log": pytest.approx(1000.0)}
    assert sorted({c.params["accelerator"] for c in cands}) == [1.0, 1.5, 2.0, 2.5]
    assert sorted({round(c.params["log"]) for c in cands}) == [10, 100, 1000]
    assert len({c.key for c in cands}) == len(cands)


def test_random_sampling_drops_repeated_designs():
    spec = small_spec()
    spec["sweep"] = {**spec["sweep"], "sampling": "random", "n": 50}
    spec["sweep"]["parameters"] = {"cap": {"path": CAP, "values": [2.0, 3.0]},
                                   "x": {"path": QUOTA, "values": [1, 2]}}
    cands = initial_candidates(study_of(spec))
    assert sorted(tuple(c.params.values()) for c in cands) == \
        sorted(itertools.product([2.0, 3.0], [1, 2]))
    assert [c.index for c in cands] == [0, 1, 2, 3]


def test_candidates_are_the_same_for_the_same_seed_and_differ_for_another():
    a = initial_candidates(study_of(small_spec()))
    b = initial_candidates(study_of(small_spec()))
    c = initial_candidates(study_of(small_spec(seed=8)))
    assert [x.params for x in a] == [x.params for x in b]
    assert [x.id for x in a] == [x.id for x in b]
    assert [x.params for x in a] != [x.params for x in c]
    assert Candidate(3, 0, {"a": 1.5}).id == Candidate(3, 1, {"a": 1.5}).id
    assert Candidate(3, 0, {"a": 1.5}).id != Candidate(3, 0, {"a": 1.25}).id


def test_seeds_common_by_default_spawned_per_index_otherwise():
    common = study_of(small_spec())
    assert common.common_draws
    assert {candidate_seed(common, i) for i in range(5)} == {7}
    spawned = study_of(small_spec(common_draws=False))
    seeds = [candidate_seed(spawned, i) for i in range(50)]
    assert len(set(seeds)) == 50 and 7 not in seeds
    assert [candidate_seed(spawned, i) for i in (49, 3)] == [seeds[49], seeds[3]]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 3), st.floats(0.05, 0.9), st.integers(1, 5))
def test_refinement_stays_within_the_declared_bounds(seed, round_, shrink, best):
    spec = small_spec(seed=seed)
    spec["sweep"]["refine"] = {"rounds": 3, "best": best, "n": 5, "shrink": shrink}
    study = study_of(spec)
    first = initial_candidates(study)
    centres = [c.params for c in first[:best]]
    new = refined_candidates(study, round_, centres, first)
    assert new and min(c.index for c in new) == max(c.index for c in first) + 1
    assert len({c.key for c in first + new}) == len(first) + len(new)
    for c in new:
        assert 1.25 <= c.params["accelerator"] <= 3.0
        assert c.params["cap"] in (2.0, 3.0, 4.0)
        assert isinstance(c.params["quota"], int) and 800000 <= c.params["quota"] <= 1200000
    # the box shrinks around each centre: accelerators within half its width (+ a cell)
    half = shrink ** round_ / 2 * 1.75
    for c in new:
        assert min(abs(c.params["accelerator"] - ctr["accelerator"]) for ctr in centres) \
            <= half + 1e-9


# ---- spec errors --------------------------------------------------------------------------

@pytest.mark.parametrize(("change", "match"), [
    ({"accelerator": {"path": RATE, "low": 3.0, "high": 1.0}},
     r"sweep\.parameters\.accelerator: low \(3\) must be below high \(1\)"),
    ({"accelerator": {"path": RATE, "values": [1.0], "low": 1.0, "high": 2.0}},
     r"sweep\.parameters\.accelerator: give `values: \[\.\.\.\]` or `low` and `high`"),
    ({"accelerator": {"path": RATE, "values": [1.0], "log": True}},
     r"sweep\.parameters\.accelerator: log: only for a `low`/`high` range"),
    ({"accelerator": {"path": RATE, "low": 0.0, "high": 1.0, "log": True}},
     r"log: true needs low > 0"),
    ({"accelerator": {"path": "org..roles", "low": 1.0, "high": 2.0}},
     r"sweep\.parameters\.accelerator\.path: .*malformed path"),
    ({"Bad-Name": {"path": RATE, "low": 1.0, "high": 2.0}},
     r"parameters\.Bad-Name: a name is lower case"),
    ({"seed": {"path": RATE, "low": 1.0, "high": 2.0}},
     r"parameters\.seed: the candidates table has a column 'seed' already"),
    ({"accelerator": {"path": RATE, "low": 1.0, "hihg": 2.0}},
     r"sweep\.parameters\.accelerator\.hihg: unknown key.*`high`"),
])
def test_bad_parameters_name_the_field(tmp_path, change, match):
    spec = small_spec()
    spec["sweep"]["parameters"] = change
    with pytest.raises(InputError, match=match):
        load_sweep_study(write_spec(tmp_path, spec))


def test_bad_sweeps_name_the_field(tmp_path):
    spec = small_spec()
    spec["sweep"]["sampling"] = "grid"
    with pytest.raises(InputError, match=r"sweep: n: a grid's size is the product"):
        load_sweep_study(write_spec(tmp_path, spec))
    spec = small_spec(variants={"a": {}})
    with pytest.raises(InputError, match=r"variants: a sweep study makes its candidates"):
        load_sweep_study(write_spec(tmp_path, spec))
    spec = small_spec()
    spec["sweep"]["parameters"]["accelerator"]["path"] = RATE.replace("tiers", "tier")
    with pytest.raises(InputError, match=r"sweep\.parameters\.accelerator\.path: .*did you "
                       r"mean `tiers`"):
        run_sweep(write_spec(tmp_path, spec), tmp_path / "out", progress=False, log=_quiet)
    assert not (tmp_path / "out" / "candidates.parquet").exists()
    spec = small_spec()
    spec["sweep"]["objectives"][1]["group"] = "ent_ea"
    spec["constraints"][0]["group"] = "smb"
    with pytest.raises(InputError, match=r"sweep\.objectives\[1\]\.group: no role 'ent_ea' "
                       r"in the base scenario \(ent_ae, smb_ae, account_mgr, all\)\n.*"
                       r"constraints\[0\]\.group: no role 'smb'"):
        run_sweep(write_spec(tmp_path, spec), tmp_path / "out", progress=False, log=_quiet)
    assert not (tmp_path / "out" / "candidates").exists()


def test_example_sweep_study_is_valid_and_reaches_the_plan():
    study = load_sweep_study(SWEEP_STUDY)
    assert study.sweep.sampling == "lhs" and study.common_draws
    assert {p.path for p in study.sweep.parameters.values()} == {RATE, CAP, QUOTA}
    base = yaml.safe_load((PLANS / "enterprise_ae.yaml").read_text())
    assert base["components"][0]["tiers"][1]["rate"] == 2.0  # the path is the accelerator
    assert base["components"][0]["cap"]["of_target"] == 3.0


# ---- a whole sweep -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sweep")
    path = write_spec(folder, small_spec())
    table = run_sweep(path, folder / "out", progress=False, log=_quiet)
    return path, folder / "out", table


def test_sweep_writes_every_candidate_with_its_parameters(swept):
    path, out, table = swept
    study = load_sweep_study(path)
    assert list(table["index"]) == list(range(len(table)))
    assert (table["round"] == 0).sum() == 6 and 1 <= (table["round"] == 1).sum() <= 4
    assert (table["status"] == "ok").all()
    assert len(list((out / "candidates").glob("c*.json"))) == len(table)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "candidates.parquet"), table)
    con = duckdb.connect(str(out / "results.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM candidates").fetchone()[0] == len(table)
    assert con.execute('SELECT count(*) FROM candidates WHERE on_front AND NOT feasible'
                       ).fetchone()[0] == 0
    assert [r[0] for r in con.execute("SELECT name FROM parameters").fetchall()] == \
        ["accelerator", "cap", "quota"]
    con.close()
    meta = json.loads((out / "sweep.json").read_text())
    assert meta["candidates"] == len(table) and meta["role"] == "ent_ae"
    assert meta["trials"] == 64 and meta["common_draws"] is True
    assert set(table["seed"]) == {study.seed}
    # the refinement round is centred on the best feasible candidates of round 0
    first = candidates_table(study, [json.loads((out / "candidates" / f"{c}.json").read_text())
                                     for c in table.loc[table["round"] == 0, "candidate"]])
    assert refine_centres(first, study, 2) == \
        list(first[first["feasible"]].sort_values("objective", ascending=False)["index"][:2])


def test_front_and_choice_follow_from_the_table(swept):
    path, _, table = swept
    study = load_sweep_study(path)
    cols = [metric_column(o.metric, o.group) for o in study.sweep.objectives]
    ok = table["status"] == "ok"
    feasible = ok & (table["cost_of_sales"] <= 0.09) & (table["share_at_quota (ent_ae)"] >= 0.5)
    assert (table["feasible"] == feasible).all()
    f = table[feasible]
    front = pareto_front(f[cols].to_numpy(), ["min", "max"])
    assert list(table.loc[table["on_front"], "candidate"]) == list(f.loc[front, "candidate"])
    assert table["chosen"].sum() == 1
    chosen = table[table["chosen"]].iloc[0]
    # profit is not an axis of the front here, yet with revenue fixed by the draws (common
    # draws, plan-only parameters) the most profitable feasible plan pays least: on the front
    assert chosen["profit_after_comp"] == f["profit_after_comp"].max()
    assert chosen["on_front"]


def test_sweep_numbers_are_a_direct_simulation_of_the_candidate(swept):
    path, _, table = swept
    row = table[table["chosen"]].iloc[0]
    scenario = load_scenario(ACME, {RATE: float(row["accelerator"]), CAP: float(row["cap"]),
                                    QUOTA: int(row["quota"])})
    summary = simulate(scenario, trials=64, seed=7, progress=False).summary()
    assert row["profit_after_comp"] == summary.loc["profit after comp (mean)", "all"]
    assert row["share_at_quota (ent_ae)"] == summary.loc["share of reps at quota", "ent_ae"]
    assert row["variable_pay_p90 (smb_ae)"] == summary.loc["variable pay P90", "smb_ae"]


@pytest.mark.slow
def test_same_seed_same_table_and_interrupted_sweep_resumes(swept, tmp_path):
    path, _, table = swept
    ran = []

    def stop_after_three(record):
        ran.append(record["candidate"])
        if len(ran) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(path, tmp_path / "out", progress=False, log=_quiet,
                  on_candidate=stop_after_three)
    assert len(list((tmp_path / "out" / "candidates").glob("c*.json"))) == 3
    again = []
    resumed = run_sweep(path, tmp_path / "out", progress=False, log=_quiet,
                        on_candidate=lambda r: again.append(r["candidate"]))
    assert not set(again) & set(ran) and len(again) == len(table) - 3
    pd.testing.assert_frame_equal(resumed, table)
    rerun = []
    run_sweep(path, tmp_path / "out", progress=False, log=_quiet,
              on_candidate=lambda r: rerun.append(r))
    assert rerun == []  # everything finished: nothing runs again
    run_sweep(path, tmp_path / "out", progress=False, log=_quiet, resume=False,
              on_candidate=lambda r: rerun.append(r))
    assert len(rerun) == len(table)


def test_resume_detects_a_changed_sweep(swept, tmp_path):
    path, out, _ = swept
    spec = small_spec()
    spec["sweep"]["parameters"]["accelerator"]["high"] = 2.5
    changed = write_spec(tmp_path, spec, "changed.yaml")
    with pytest.raises(SpmsimError, match=r"candidate 0 was .* the sweep changed since; run "
                       r"with --no-resume"):
        run_sweep(changed, out, progress=False, log=_quiet)
    more_trials = write_spec(tmp_path, small_spec(trials=128), "more.yaml")
    with pytest.raises(SpmsimError, match=r"ran with other trials, seed, engine or base"):
        run_sweep(more_trials, out, progress=False, log=_quiet)


def test_a_failing_candidate_is_recorded_and_the_sweep_goes_on(tmp_path, capsys):
    spec = small_spec()
    spec["sweep"]["parameters"] = {"cap": {"path": CAP, "values": [2.0, -1.0]}}
    spec["sweep"].update(sampling="grid", refine=None)
    del spec["sweep"]["n"]
    path = write_spec(tmp_path, spec)
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), "--no-progress"]) == 1
    table = pd.read_csv(tmp_path / "out" / "summary.csv")
    assert table["status"].iloc[0] == "ok"
    assert table["status"].iloc[1].startswith("failed:") and "of_target" in \
        table["status"].iloc[1]
    assert not table["feasible"].iloc[1] and not table["on_front"].iloc[1]
    assert "1 candidate(s) failed" in capsys.readouterr().err


def test_sweep_and_variant_studies_point_to_each_others_command(tmp_path):
    with pytest.raises(InputError, match=r"sweep: a sweep study .*run it with `spmsim sweep`"):
        load_study(write_spec(tmp_path, small_spec()))
    with pytest.raises(InputError, match=r"sweep: this study lists variants: run it with "
                       r"`spmsim study`"):
        load_sweep_study(DEFAULT_STUDY)


@pytest.mark.notebook
def test_cli_prints_the_choice_and_renders_the_report(swept, tmp_path, capsys):
    path, out, _ = swept
    reports = tmp_path / "reports"
    assert main(["sweep", str(path), "--out", str(out), "--no-progress", "--report",
                 "--reports", str(reports)]) == 0
    printed = capsys.readouterr().out
    assert "round 0: 6 candidates, 6 already finished, 0 to run" in printed
    view = open_sweep(out)
    assert "Chosen plan (" in printed and f"candidate {view.meta['chosen']})" in printed
    shown = printed.split("wrote")[0].split("to run")[-1]
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", shown), shown  # no field names
    assert not re.search(r"\d\.\d{4,}", shown)
    page = (reports / f"{path.stem}_sweep.html").read_text()
    assert page.count("<svg") == 2 and "adopt the chosen plan" in page and "Pareto front" in page
    assert view.meta["chosen"] not in page  # candidates are ranked, not named by id
    assert "Plan search (sweep)" in (reports / "index.html").read_text()


def test_notebook_is_thin():
    nb = json.loads((NOTEBOOKS / "sweep_study.ipynb").read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert [c["metadata"].get("tags") for c in code][0] == ["parameters"]
    for c in code:
        assert not c["outputs"] and c["execution_count"] is None
        assert "def " not in "".join(c["source"]) and "for " not in "".join(c["source"])

