"""Quota methods judged by simulation: a territory's potential drives a rep's bookings, and
a potential-based quota keeps attainment fair where flat growth on history does not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from spmsim.engines import simulate
from spmsim.errors import SpmsimError
from spmsim.model.quota import fairness
from spmsim.model.scenario import load_scenario

REPS, PER = 20, 5
PLAN = {"plan": "AE", "ote": 150000, "base_share": 0.5, "year_start": "2027-01-01",
        "components": [{"name": "New ARR", "type": "commission", "measure": "new_arr",
                        "weight": 1.0, "tiers": [{"upto": 1.0, "rate": 1.0}, {"rate": 2.0}]}]}
RATE, MEDIAN, SIGMA = 1.0, 40000.0, 0.8
EXPECTED = float(REPS * 12 * RATE * MEDIAN * np.exp(SIGMA ** 2 / 2))  # mean-potential bookings


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """Territories with potential 1 to 4 (x 100k per account); last year's bookings grew
    with the square root of potential (big territories were under-covered)."""
    d = tmp_path_factory.mktemp("quota")
    pot = np.repeat(np.linspace(1.0, 4.0, REPS), PER) * 100_000
    acc = pd.DataFrame({"account_id": [f"A{i:03d}" for i in range(REPS * PER)],
                        "lat": 40.0, "lon": -100.0, "potential": pot, "workload": 10.0,
                        "last_year": np.sqrt(pot) * 100,
                        "rep_id": np.repeat([f"R{k:02d}" for k in range(REPS)], PER)})
    acc.to_csv(d / "accounts.csv", index=False)
    return d


def _scenario(folder, method: dict):
    tree = {"scenario": "quota test", "seed": 11, "trials": 200,
            "org": {"roles": {"ae": {
                "headcount": REPS, "plan": PLAN, "skill_sigma": 0.2,
                "territory": {"accounts": "accounts.csv", "elasticity": 1.0},
                "quota_method": {"target": EXPECTED, **method}}}},
            "market": {"ae": {"model": "pipeline", "measures": {"new_arr": {
                "deals_per_month": RATE, "size": {"median": MEDIAN, "sigma": SIGMA}}}}}}
    path = folder / f"{method['method']}.yaml"
    path.write_text(yaml.safe_dump(tree))
    return load_scenario(path)


def _by_seat(results, column: str) -> np.ndarray:
    reps = results.reps_frame()
    seat = reps["rep"].str.split("-").str[1].astype(int) - 1
    return reps.groupby(seat)[column].mean().sort_index().to_numpy()


def test_potential_quota_narrows_the_attainment_gap(folder):
    potential = np.linspace(1.0, 4.0, REPS)
    gaps, corr = {}, {}
    for method in ("flat_growth", "potential"):
        r = simulate(_scenario(folder, {"method": method}), progress=False)
        att = _by_seat(r, "attainment")
        gaps[method] = att[-5:].mean() - att[:5].mean()  # high- minus low-potential reps
        corr[method] = fairness(att, potential)
        # the target is met on average either way: total bookings equal the target
        assert r.trial["revenue"][:, 0].mean() == pytest.approx(EXPECTED, rel=0.03)
    # flat growth on history: quotas grow with sqrt(potential), bookings with potential, so
    # attainment = sqrt(p) x mean(sqrt p) / mean(p): 0.69 for the five lowest territories,
    # 1.17 for the five highest, a gap of 0.48 (closed form)
    assert gaps["flat_growth"] == pytest.approx(0.48, abs=0.08) and corr["flat_growth"] > 0.8
    # potential quotas: bookings and quota both follow potential (gap and correlation ~ 0;
    # per-seat means over 200 trials have SE about 0.02)
    assert abs(gaps["potential"]) < 0.1 and abs(corr["potential"]) < 0.5
    assert abs(gaps["potential"]) < gaps["flat_growth"] / 5


def test_territory_potential_drives_bookings(folder):
    r = simulate(_scenario(folder, {"method": "equal"}), progress=False)
    revenue = _by_seat(r, "revenue")
    potential = np.linspace(1.0, 4.0, REPS)  # bookings / mean = potential / mean (elasticity 1)
    # five highest over five lowest territories: 3.68 / 1.33 = 2.77; each five-seat mean over
    # 200 trials has a relative SE of about 2 %, so the ratio is within 10 % (about 4 SE)
    ratio = revenue[-5:].mean() / revenue[:5].mean()
    assert ratio == pytest.approx(potential[-5:].mean() / potential[:5].mean(), rel=0.10)
    assert np.corrcoef(revenue, potential)[0, 1] > 0.95
    quotas = _by_seat(r, "quota")
    assert quotas == pytest.approx(np.full(REPS, EXPECTED / REPS))


def test_territories_must_match_the_seats(folder):
    _scenario(folder, {"method": "equal"})
    tree = yaml.safe_load((folder / "equal.yaml").read_text())
    tree["org"]["roles"]["ae"]["headcount"] = REPS - 1
    path = folder / "wrong.yaml"
    path.write_text(yaml.safe_dump(tree))
    with pytest.raises(SpmsimError, match="20 territories for 19 seats"):
        load_scenario(path)


def test_compare_designs_side_by_side(folder):
    from spmsim.model.territory import optimise
    from spmsim.studies.designs import compare_designs

    s = _scenario(folder, {"method": "equal"})
    accounts = pd.read_csv(folder / "accounts.csv")
    balanced = optimise(accounts, REPS, balance=0.15, on="potential", exact=False)
    names = sorted(accounts["rep_id"].unique())
    pd.DataFrame({"account_id": accounts["account_id"],
                  "territory": [names[k] for k in balanced.owner]}).to_csv(
        folder / "balanced.csv", index=False)
    table = compare_designs(
        s, "ae", alignments={"current": "current", "balanced": str(folder / "balanced.csv")},
        quota_methods={"flat": {"method": "flat_growth", "target": EXPECTED},
                       "potential": {"method": "potential", "target": EXPECTED}},
        trials=100)
    assert list(table["alignment"]) == ["current", "current", "balanced", "balanced"]
    assert list(table["quota_method"]) == ["flat", "potential", "flat", "potential"]
    cur, bal = table.iloc[0], table.iloc[2]
    assert cur["moved_accounts"] == 0 and bal["moved_accounts"] > 0.2
    assert bal["cv_potential"] < cur["cv_potential"] / 3  # potential balanced within 15 %
    assert table.iloc[0]["fairness"] > 0.8 and abs(table.iloc[1]["fairness"]) < 0.5
    for col in ("share_at_quota", "cost_p50", "cost_p90", "cost_of_sales", "attainment_p50"):
        assert table[col].notna().all(), col
    assert (table["cost_p90"] >= table["cost_p50"]).all()


def test_workload_coverage_scales_productivity(folder):
    from spmsim.data.accounts import load_accounts
    from spmsim.model.files import files_context
    from spmsim.model.org import TerritoryLink

    accounts = str(folder / "accounts.csv")
    context = files_context({accounts: load_accounts(accounts)})
    link = TerritoryLink.model_validate({"accounts": accounts, "elasticity": 0.0,
                                         "capacity_hours": 25.0}, context=context)
    # every territory has 5 accounts x 10 hours = 50 hours: half covered
    assert link.factors() == pytest.approx(np.full(REPS, 0.5))
    link = TerritoryLink.model_validate({"accounts": accounts, "elasticity": 1.0},
                                        context=context)
    assert link.factors() == pytest.approx(np.linspace(1.0, 4.0, REPS) / 2.5)
