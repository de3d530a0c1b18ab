"""Capacity for several roles against one target: a hand-worked mix, the cheaper role
winning, a closed-form (normal) reference for compound Poisson-lognormal bookings, the
one-role mix equal to the single-role plan, the confirmation, and bad input.

Statistical checks allow Z = 4 standard errors plus a stated allowance for the normal
approximation; with fixed seeds every outcome is deterministic.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import vl_convert
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from spmsim.capacity import (
    Capacity,
    CapacityMix,
    Hiring,
    RoleHiring,
    confirm,
    load_capacity,
    new_seat_cost,
    plan_capacity,
    plan_mix,
    role_root,
    search,
)
from spmsim.cli import main
from spmsim.errors import InputError
from spmsim.model.scenario import scenario_from_tree
from spmsim.report import capacityview, charts, tables

from paths import CAPACITY

EXAMPLE = CAPACITY / "acme_hunters_farmers.yaml"
Z = 4.0
FIXED = {"model": "attainment", "measures": {"new_arr": {"type": "normal", "mean": 1.0,
                                                         "sd": 0.0}}}
# every new hire starts in month 1 (requisition in month 1, no lead time): a full year
ALL_AT_ONCE = Hiring(open_from=1, lead_months=0, max_per_month=10, max_total=6)


def plan(ote: float) -> dict:
    return {"plan": f"Plan {ote:.0f}", "ote": ote, "base_share": 0.5,
            "year_start": "2027-01-01",
            "components": [{"name": "Commission", "type": "commission", "measure": "new_arr",
                            "rates": "percent", "tier_basis": "amount",
                            "tiers": [{"rate": 10}]}]}


def two_roles(a: dict, b: dict, market_a: dict = FIXED, market_b: dict = FIXED,
              extra: dict | None = None):
    """Roles `a` and `b` (fields given), with their markets; `extra` adds roles."""
    roles = {"a": a, "b": b, **{k: v[0] for k, v in (extra or {}).items()}}
    markets = {"a": market_a, "b": market_b, **{k: v[1] for k, v in (extra or {}).items()}}
    return scenario_from_tree({"scenario": "test", "seed": 1, "trials": 1,
                               "org": {"roles": roles}, "market": markets})


def mix(sc, target, *, roles=("a", "b"), hiring=ALL_AT_ONCE, **fields) -> CapacityMix:
    return CapacityMix(capacity="test", scenario=sc, target=target,
                       roles={r: RoleHiring(hiring=hiring) for r in roles},
                       **{"trials": 64, "seed": 3, **fields})


def fixed_roles():
    """a: 2 reps at 120,000 a year, OTE 100,000; b: 1 rep at 200,000, OTE 150,000; both
    book exactly quota (attainment 1, sd 0), no ramp, no attrition."""
    return two_roles({"headcount": 2, "plan": plan(100_000), "quota": {"new_arr": 120_000.0}},
                     {"headcount": 1, "plan": plan(150_000), "quota": {"new_arr": 200_000.0}})


# ---- hand-worked ------------------------------------------------------------------------

def test_hand_worked_mix_and_the_cheaper_role():
    """Reps in seat book 2 x 120,000 + 200,000 = 440,000. A new hire is in seat all 12
    months, so it costs its OTE: a 100,000 for 120,000 of bookings, b 150,000 for 200,000.

    Target 639,000 (199,000 more): by cost, (1, 0) 100,000 books 560,000, short; (0, 1)
    150,000 books 640,000: met, so b's hire wins though it costs more a head.
    Target 559,000 (119,000 more): (1, 0) at 100,000 books 560,000: the cheaper role wins.
    """
    sc = fixed_roles()
    p = plan_mix(mix(sc, 639_000.0), progress=False)
    assert p.hires == {"a": 0, "b": 1} and p.start_months == {"a": (), "b": (1,)}
    assert p.cost == pytest.approx(150_000, rel=1e-9)
    assert p.probability == 1.0 and p.se == 0.0
    assert np.allclose(p.bookings, 640_000, rtol=1e-12)
    assert np.allclose(p.by_role["a"], 240_000) and np.allclose(p.by_role["b"], 400_000)
    assert p.expected == pytest.approx(640_000, rel=1e-9)
    assert p.mixes[["hires_a", "hires_b"]].values.tolist() == [[0, 0], [1, 0], [0, 1]]
    assert p.mixes["probability"].tolist() == [0.0, 0.0, 1.0]
    assert p.mixes["cost"].tolist() == pytest.approx([0, 100_000, 150_000])
    cheap = plan_mix(mix(sc, 559_000.0), progress=False)
    assert cheap.hires == {"a": 1, "b": 0} and cheap.cost == pytest.approx(100_000)
    rows = cheap.schedule.set_index(["role", "month"])
    assert rows.loc[("a", 1), "new_hires"] == 1 and rows.loc[("b", 1), "new_hires"] == 0
    assert rows.loc["a", "headcount"].tolist() == pytest.approx([3] * 12)


def test_cost_counts_the_months_in_seat():
    """With a 2-month lead time the first hire starts in month 3 and sits 10 months: cost
    100,000 x 10 / 12 = 83,333.33; it books 120,000 x (days from March) / 365 = 100,274."""
    sc = fixed_roles()
    p = plan_mix(mix(sc, 540_000.0, hiring=Hiring(lead_months=2, max_per_month=1,
                                                  max_total=3)), progress=False)
    days = 365 - 31 - 28
    assert p.hires == {"a": 1, "b": 0} and p.start_months["a"] == (3,)
    assert p.cost == pytest.approx(100_000 * 10 / 12, rel=1e-6)
    assert np.allclose(p.bookings, 440_000 + 120_000 * days / 365, rtol=1e-9)


def test_monthly_targets_are_met_to_date_by_the_mix():
    """12 monthly targets, 60,000 in January and 0 after: January books 31/365 of the year.
    Reps in seat: 440,000 x 31 / 365 = 37,370; a hire of a adds 120,000 x 31 / 365 =
    10,192, of b 200,000 x 31 / 365 = 16,986. By cost: (1, 0) 100,000 -> 47,562 short;
    (0, 1) 150,000 -> 54,356 short; (2, 0) 200,000 -> 57,753 short; (1, 1) 250,000 ->
    64,548 met. (The year's 440,000 would meet 60,000 a year with no hire.)"""
    p = plan_mix(mix(fixed_roles(), (60_000.0,) + (0.0,) * 11), progress=False)
    assert p.hires == {"a": 1, "b": 1} and p.cost == pytest.approx(250_000)
    assert p.mixes["probability"].tolist() == [0, 0, 0, 0, 1]
    assert "target" in p.schedule.columns


# ---- closed form ------------------------------------------------------------------------

def test_best_mix_and_probability_against_the_normal_reference():
    """Steady reps (no skill spread, ramp or attrition), Poisson deal counts and lognormal
    sizes (sigma 0.5): a rep's year is compound Poisson with mean 12 lam E[X] and variance
    12 lam E[X^2], E[X^k] = median^k exp(k^2 sigma^2 / 2); a: lam 10, median 2,000
    (271,956 a year, OTE 100,000); b: lam 5, median 5,000 (339,945, OTE 150,000); three of
    each in seat. The total of a mix (ka, kb) is a sum of independent reps, near normal
    (skewness about 0.1). For the target 2,860,000 the cheapest mix with normal P >= 80 % is
    (3, 1) at 450,000 with P = 86.1 %; every cheaper mix has P <= 74 %, so with 4,000
    trials (SE 0.55 %) the search must find it, and its P must agree with 86.1 % within
    4 SE + 1 % (normal approximation)."""
    def pipeline(lam, median):
        return {"model": "pipeline", "measures": {"new_arr": {
            "deals_per_month": lam, "size": {"median": median, "sigma": 0.5}}}}

    sc = two_roles({"headcount": 3, "plan": plan(100_000), "quota": {"new_arr": 1.0}},
                   {"headcount": 3, "plan": plan(150_000), "quota": {"new_arr": 1.0}},
                   pipeline(10, 2_000), pipeline(5, 5_000))
    p = plan_mix(mix(sc, 2_860_000.0, probability=0.8, trials=4000, seed=11),
                 progress=False)

    def moments(lam, median, reps):
        return (reps * 12 * lam * median * math.exp(0.125),
                reps * 12 * lam * median ** 2 * math.exp(0.5))

    def reference(ka, kb):
        (ma, va), (mb, vb) = moments(10, 2_000, 3 + ka), moments(5, 5_000, 3 + kb)
        return float(stats.norm.sf((2_860_000 - ma - mb) / math.sqrt(va + vb)))

    assert p.hires == {"a": 3, "b": 1}
    assert p.cost == pytest.approx(450_000, rel=1e-9)
    assert abs(p.probability - reference(3, 1)) <= Z * p.se + 0.01
    for _, row in p.mixes.iloc[:-1].iterrows():  # the cheaper mixes weighed first
        assert row["probability"] < 0.8 and reference(row["hires_a"], row["hires_b"]) < 0.75
    mean, var = (sum(x) for x in zip(moments(10, 2_000, 6), moments(5, 5_000, 4),
                                     strict=True))
    assert abs(p.bookings.mean() - mean) <= Z * math.sqrt(var / p.trials)
    assert p.expected == pytest.approx(mean, rel=1e-9)
    assert p.bookings.std(ddof=1) == pytest.approx(math.sqrt(var), rel=0.05)


# ---- the one-role case, confirmation, the example ----------------------------------------

def test_one_role_mix_is_the_single_role_plan():
    sc = two_roles({"headcount": 4, "plan": plan(100_000), "quota": {"new_arr": 1.0},
                    "skill_sigma": 0.3, "ramp": {"months": 3, "curve": "linear"},
                    "attrition": {"annual": 0.3, "backfill_months": 2}},
                   {"headcount": 1, "plan": plan(150_000), "quota": {"new_arr": 1.0}},
                   {"model": "pipeline", "measures": {"new_arr": {
                       "deals_per_month": 3, "size": {"median": 8_000, "sigma": 0.8}}}})
    hiring = Hiring(lead_months=1, max_per_month=2, max_total=8)
    single = plan_capacity(Capacity(capacity="test", scenario=sc, role="a", target=2_000_000.0,
                                    hiring=hiring, trials=500, seed=5), progress=False)
    several = plan_mix(mix(sc, 2_000_000.0, roles=("a",), hiring=hiring, trials=500, seed=5),
                       progress=False)
    assert several.hires == {"a": single.hires} and single.hires > 0
    assert several.start_months["a"] == single.start_months
    assert several.probability == single.probability and several.se == single.se
    assert np.array_equal(several.bookings, single.bookings)
    assert several.expected == single.expected
    table = several.schedule.drop(columns="role")
    assert table.equals(single.schedule)


def test_example_plans_both_roles_and_confirms(tmp_path):
    c = load_capacity(EXAMPLE, trials=600)
    assert isinstance(c, CapacityMix) and list(c.roles) == ["smb_ae", "account_mgr"]
    p = plan_mix(c, progress=False)
    assert set(p.hires) == {"smb_ae", "account_mgr"} and p.probability >= c.probability
    assert np.allclose(p.bookings, p.by_role["smb_ae"] + p.by_role["account_mgr"])
    check = confirm(p, trials=1500)
    assert check.agrees, check.text()
    code = main(["capacity", str(EXAMPLE), "--out", str(tmp_path / "out"), "--trials", "300",
                 "--no-progress"])
    assert code == 0
    written = sorted(f.name for f in (tmp_path / "out").iterdir())
    assert written == ["bookings.csv", "capacity.json", "hiring_plan.csv", "mixes.csv",
                       "summary.csv"]


def test_the_report_views_show_every_role():
    """The memo, the table by role and month, the figures and the charts of a mix (the
    capacity report's pieces): both roles named, money with its currency."""
    p = plan_mix(mix(fixed_roles(), 639_000.0), progress=False)
    memo = capacityview.memo(p, "checked")
    assert "Recommendation: hire 1 new Plan 150000 (starting 1 in January)" in memo
    assert "$639K target in 100.0% of simulated years" in memo and "($150K)" in memo
    table = capacityview.schedule_table(p)
    assert table.index.names == ["Role", "Month"] and len(table) == 24
    assert table.loc[("Plan 150000", "2027-01"), "New hires starting"] == "1"
    figures = capacityview.figures(p)["Value"]
    assert figures["New hires' pay in the year"] == "$150K"
    assert figures["New Plan 100000s"] == "0" and figures["P(target met)"] == "100.0% +- 0.0%"
    assert "<table" in tables.html_table(table)
    assert list(p.marks()["mark"]) == ["P10", "P50", "P90", "target", "deterministic"]
    for chart in (capacityview.headcount_chart(p), capacityview.choice_chart(p),
                  charts.capacity_bookings_chart(p.distribution(10), p.marks())):
        assert "<svg" in vl_convert.vegalite_to_svg(chart.to_dict())


@pytest.mark.notebook
def test_the_capacity_report_plans_a_mix(tmp_path):
    assert main(["notebook", "capacity_study", "-p", f"capacity={EXAMPLE}", "-p",
                 "trials=200", "-p", "confirm_trials=200", "--reports", str(tmp_path),
                 "--name", "mix"]) == 0
    page = (tmp_path / "mix.html").read_text()
    assert "new SMB AEs" in page and "new Account Managers" in page
    assert "Independent check (Monte Carlo engine, 200 trials" in page
    assert page.count("<svg") >= 3


# ---- bad input --------------------------------------------------------------------------

def write(tmp_path, **fields) -> str:
    tree = {"capacity": "bad", "scenario": str(CAPACITY.parent / "acme_baseline.yaml"),
            "target": 1e8, "roles": {"smb_ae": {"hiring": {"max_per_month": 2}}}, **fields}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(tree))
    return str(path)


def test_unknown_role_is_named_with_the_choices(tmp_path):
    with pytest.raises(InputError, match=r"roles\.hunter: no role 'hunter'.*ent_ae, smb_ae"):
        load_capacity(write(tmp_path, roles={"hunter": {"hiring": {"max_per_month": 1}}}))
    code = main(["capacity", write(tmp_path, roles={"x": {"hiring": {"max_per_month": 1}}}),
                 "--out", str(tmp_path / "out"), "--no-progress"])
    assert code != 0 and not (tmp_path / "out").exists()


def test_roles_that_book_no_revenue_are_refused():
    manager = ({"headcount": 1, "plan": plan(200_000), "quota": {"new_arr": 1.0}},
               {"model": "team", "of": "a", "measures": ["new_arr"]})
    team = {"headcount": 4, "plan": plan(100_000), "quota": {"new_arr": 1.0}, "team_size": 4}
    sc = two_roles(team, {"headcount": 1, "plan": plan(150_000), "quota": {"new_arr": 1.0},
                          "overlay": True}, extra={"mgr": manager})
    with pytest.raises(ValueError, match=r"roles\.mgr: a manager role .* books no revenue"):
        mix(sc, 1e6, roles=("a", "mgr"))
    with pytest.raises(ValueError, match=r"roles\.b: an overlay role"):
        mix(sc, 1e6, roles=("a", "b"))


def test_unreachable_target_and_too_many_mixes(tmp_path):
    with pytest.raises(InputError, match=r"target: \$1,000,000,000 is met with probability "
                       r"0\.0% .* allow more or earlier hires"):
        plan_mix(load_capacity(write(tmp_path, target=1e9), trials=50), progress=False)
    roles = {r: {"hiring": {"max_per_month": 12}} for r in ("ent_ae", "smb_ae",
                                                            "account_mgr")}
    with pytest.raises(InputError, match=r"roles: [\d,]+ hiring mixes .*max_total"):
        plan_mix(load_capacity(write(tmp_path, roles=roles), trials=50), progress=False)


def test_a_one_role_plan_refuses_a_several_roles_file():
    with pytest.raises(InputError, match=r"roles: several roles are planned together"):
        plan_capacity(load_capacity(EXAMPLE, trials=10), progress=False)


# ---- invariants -------------------------------------------------------------------------

TWO_PIPELINES = two_roles({"headcount": 2, "plan": plan(100_000), "quota": {"new_arr": 1.0},
                    "attrition": {"annual": 0.3, "backfill_months": 1}},
                   {"headcount": 1, "plan": plan(130_000), "quota": {"new_arr": 1.0},
                    "ramp": {"months": 2, "curve": "linear"}},
                   {"model": "pipeline", "measures": {"new_arr": {
                       "deals_per_month": 4, "size": {"median": 5_000, "sigma": 0.6}}}},
                   {"model": "pipeline", "measures": {"new_arr": {
                       "deals_per_month": 2, "size": {"median": 12_000, "sigma": 0.6}}}})
TWO_HIRING = Hiring(lead_months=1, max_per_month=2, max_total=4)


@settings(max_examples=15, deadline=None)
@given(target=st.floats(400_000, 2_400_000), probability=st.floats(0.05, 0.95))
def test_the_plan_is_the_cheapest_mix_that_meets_the_target(target, probability):
    """Against a brute force over every mix on the same draws: the plan meets the
    probability, no cheaper mix does, and P never falls when a hire is added (common random
    numbers)."""
    c = mix(TWO_PIPELINES, target, probability=probability, hiring=TWO_HIRING, trials=200, seed=9)
    found = [search(c.role_capacity(r), progress=False, root=role_root(c.seed, i))
             for i, r in enumerate(c.roles)]
    cost = [new_seat_cost(s) for s in found]
    p = np.array([[((s_a + s_b) >= target).mean() for s_b in found[1].year.T]
                  for s_a in found[0].year.T])  # (ka, kb)
    assert np.all(np.diff(p, axis=0) >= 0) and np.all(np.diff(p, axis=1) >= 0)
    total = cost[0][:, None] + cost[1][None, :]
    if not (p >= probability).any():
        with pytest.raises(InputError, match="target: "):
            plan_mix(c, progress=False)
        return
    best = plan_mix(c, progress=False)
    ka, kb = best.hires["a"], best.hires["b"]
    assert best.probability == p[ka, kb] >= probability
    assert best.cost == pytest.approx(total[ka, kb])
    assert total[ka, kb] == total[p >= probability].min()
