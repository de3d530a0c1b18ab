"""Capacity planning: hand-worked plans, the expected headcount against closed forms, the
simulation against the deterministic figure, monotonicity under common random numbers,
and the plan's stated probability confirmed by an independent Monte Carlo engine run.

Statistical checks allow Z = 4 standard errors, the SE stated beside each; with fixed seeds
every outcome is deterministic.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import vl_convert
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import integrate

from spmsim.calibration.calibrate import calibrate_scenario
from spmsim.capacity import (
    BLOCK,
    Capacity,
    Hiring,
    Ramping,
    confirm,
    confirm_html,
    expected_headcount,
    load_capacity,
    plan_capacity,
    plan_scenario,
    search,
)
from spmsim.cli import main
from spmsim.data.crm import read_history
from spmsim.engines import simulate
from spmsim.errors import InputError, SpmsimError
from spmsim.model.org import staffing
from spmsim.model.scenario import scenario_from_tree
from spmsim.report import charts

from paths import ACME, ACME_TERRITORIES, CAPACITY, CRM_EXAMPLE, PLANS

EXAMPLE = CAPACITY / "acme_capacity.yaml"
CRM_CAPACITY = CAPACITY / "crm_capacity.yaml"
Z = 4.0
DAYS_2027 = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])

PLAN = {"plan": "Test plan", "ote": 100_000.0, "base_share": 0.5, "year_start": "2027-01-01",
        "components": [{"name": "Commission", "type": "commission", "measure": "new_arr",
                        "rates": "percent", "tier_basis": "amount", "tiers": [{"rate": 10}]}]}
FIXED = {"model": "attainment", "measures": {"new_arr": {"type": "normal", "mean": 1.0,
                                                         "sd": 0.0}}}


def scenario(market: dict | None = None, **role):
    """One role `ae` on a 10 % commission, quota 120,000 a year, with `role` fields."""
    role = {"headcount": 2, "plan": PLAN, "quota": {"new_arr": 120_000.0}, **role}
    return scenario_from_tree({"scenario": "test", "seed": 1, "trials": 1,
                               "org": {"roles": {"ae": role}},
                               "market": {"ae": market or FIXED}})


def capacity(sc=None, *, target=300_000.0, hiring=None, **fields) -> Capacity:
    return Capacity(capacity="test", scenario=sc or scenario(), role="ae", target=target,
                    hiring=hiring or Hiring(lead_months=2, max_per_month=1, max_total=3),
                    **{"trials": 64, "seed": 3, **fields})


LINEAR4 = {"months": 4, "curve": "linear", "start": 0.0}


# ---- hand-worked ------------------------------------------------------------------------

def test_expected_headcount_by_hand_without_attrition():
    role = scenario(ramp=LINEAR4).org.roles["ae"]
    seat, eff = expected_headcount(role, 0.0, None)  # in seat all year, ramped
    assert np.allclose(seat, 1) and np.allclose(eff, 1)
    seat, eff = expected_headcount(role, 2.0, 0.0)  # hired for month 3, ramps over 4 months:
    # the mean of a linear ramp over each month is its mid-point: 1/8, 3/8, 5/8, 7/8, then 1
    assert np.allclose(seat, [0, 0] + [1] * 10, atol=1e-12)
    assert np.allclose(eff, [0, 0, 1 / 8, 3 / 8, 5 / 8, 7 / 8] + [1] * 6, atol=1e-12)
    _, eff = expected_headcount(role, 0.0, 2.0)  # in seat on day one, two months into ramp
    assert np.allclose(eff, [5 / 8, 7 / 8] + [1] * 10, atol=1e-12)
    step = scenario(ramp={"months": 3, "curve": "step", "start": 0.25}).org.roles["ae"]
    _, eff = expected_headcount(step, 1.0, 0.0)  # 25 % for three months, then 100 %
    assert np.allclose(eff, [0, 0.25, 0.25, 0.25] + [1] * 8, atol=1e-12)


def test_expected_headcount_against_closed_forms_with_attrition():
    lam = -math.log(1 - 0.3) / 12  # monthly hazard of 30 % a year
    gone = scenario(attrition={"annual": 0.3, "backfill_months": None}).org.roles["ae"]
    seat, _ = expected_headcount(gone, 0.0, None)
    m = np.arange(12)
    assert np.allclose(seat, (np.exp(-lam * m) - np.exp(-lam * (m + 1))) / lam, atol=1e-9)
    # one backfill after d months, no ramp: the successor is in seat at t when the incumbent
    # left at a < t - d and the successor stays past t: lam (t - d) exp(-lam (t - d))
    d = 2.5
    refill = scenario(attrition={"annual": 0.3, "backfill_months": d, "backfills": 1}
                      ).org.roles["ae"]
    seat, eff = expected_headcount(refill, 0.0, None)

    def in_seat(t):
        return math.exp(-lam * t) + (lam * (t - d) * math.exp(-lam * (t - d)) if t > d else 0)

    exact = [integrate.quad(in_seat, k, k + 1, points=[d])[0] for k in range(12)]
    assert np.allclose(seat, exact, atol=1e-6) and np.allclose(eff, seat)
    # with a linear 4-month ramp the successor's share is lam * integral of
    # exp(-lam s) ramp(s) over s in (0, t - d): compare with quadrature
    ramped = scenario(ramp=LINEAR4, attrition={"annual": 0.3, "backfill_months": d,
                                              "backfills": 1}).org.roles["ae"]
    _, eff = expected_headcount(ramped, 0.0, None)

    def effective(t):
        x = t - d
        succ = integrate.quad(lambda s: lam * math.exp(-lam * (x - s)) * math.exp(-lam * s)
                              * min(s / 4, 1.0), 0, x, points=[4])[0] if x > 0 else 0.0
        return math.exp(-lam * t) + succ

    exact = [integrate.quad(effective, k, k + 1, points=[d])[0] for k in range(12)]
    assert np.allclose(eff, exact, atol=1e-5)


def test_deterministic_plan_by_hand():
    """Two reps booking exactly quota (120,000 a year, spread over the year's days) and one
    hire for month 3 on a linear 4-month ramp: no randomness, so P is 0 or 1 and the
    simulation books exactly the deterministic figure."""
    c = capacity(scenario(ramp=LINEAR4), target=300_000.0)
    plan = plan_capacity(c, progress=False)
    per_day = 120_000 / 365
    hire_days = (31 / 8 + 30 * 3 / 8 + 31 * 5 / 8 + 30 * 7 / 8) + DAYS_2027[6:].sum()
    hand = per_day * (2 * 365 + hire_days)  # 320,465.75...
    assert plan.hires == 1 and plan.start_months == (3,)
    assert plan.probability == 1.0 and plan.se == 0.0
    assert np.allclose(plan.bookings, hand, rtol=1e-12)
    assert plan.expected == pytest.approx(hand, rel=1e-9)
    assert plan.naive_hires == 1 and plan.rep_year == pytest.approx(120_000)
    table = plan.schedule.set_index("month")
    assert table.loc[1, "requisitions"] == 1 and table.loc[3, "new_hires"] == 1
    assert table["requisitions"].sum() == 1 and table["new_hires"].sum() == 1
    assert np.allclose(table["effective_headcount"], [2, 2, 2 + 1 / 8, 2 + 3 / 8, 2 + 5 / 8,
                                                      2 + 7 / 8] + [3] * 6)
    assert table["deterministic_bookings"].sum() == pytest.approx(hand, rel=1e-9)
    assert plan_capacity(capacity(scenario(ramp=LINEAR4), target=239_000.0),
                         progress=False).hires == 0  # the two reps book 240,000


def test_monthly_target_is_checked_to_date_every_month():
    # incumbents book 240,000 x days to date / 365; a target of 20,000 a month is behind
    # after February (38,795 < 40,000) whatever the hires, which start in month 3 at best
    with pytest.raises(InputError, match=r"target: .*lower the target"):
        plan_capacity(capacity(target=[20_000.0] * 12), progress=False)
    assert plan_capacity(capacity(target=[19_000.0] * 12), progress=False).hires == 0


def test_ramping_reps_and_month_one_hires_ramp():
    """A rep in seat on day one two months into a 4-month ramp books 5/8 then 7/8 of a
    month, then full months; a hire starting on the year's first day ramps from zero."""
    c = capacity(scenario(ramp=LINEAR4, headcount=1), target=1.0,
                 ramping=(Ramping(count=1, tenure_months=2),))
    plan = plan_capacity(c, progress=False)
    per_day = 120_000 / 365
    assert np.allclose(plan.bookings, per_day * (31 * 5 / 8 + 28 * 7 / 8 + 306))
    early = capacity(scenario(ramp=LINEAR4, headcount=1), target=200_000.0,
                     hiring=Hiring(open_from=0, lead_months=1, max_per_month=1, max_total=1))
    plan = plan_capacity(early, progress=False)
    assert plan.start_months == (1,)
    month_one = per_day * (31 / 8 + 28 * 3 / 8 + 31 * 5 / 8 + 30 * 7 / 8 + 245)
    assert np.allclose(plan.bookings, per_day * 365 + month_one)


# ---- the simulation against the deterministic figure -------------------------------------

def test_simulated_mean_matches_the_deterministic_figure():
    """Deal flow, skill spread, attrition with two backfills, ramping reps in seat and
    month-1 hires: the plans' mean bookings equal the deterministic figure (the expected
    bookings) within 4 SE, SE = sd of the year's bookings / sqrt(trials)."""
    sc = scenario({"model": "pipeline", "seasonality": [1, 1, 2, 1, 1, 2, 1, 1, 2, 1, 1, 3],
                   "measures": {"new_arr": {"deals_per_month": 2.0,
                                            "size": {"median": 10_000, "sigma": 0.8}}}},
                  headcount=6, skill_sigma=0.3, ramp={"months": 3, "curve": "linear",
                                                      "start": 0.2},
                  attrition={"annual": 0.35, "backfill_months": 2, "backfills": 2},
                  hires=[{"month": 2, "count": 1}])
    c = capacity(sc, target=(1.0,) * 12, trials=3000,
                 ramping=(Ramping(count=2, tenure_months=1),),
                 hiring=Hiring(open_from=-1, lead_months=2, max_per_month=2, max_total=8))
    s = search(c, progress=False)
    assert s.seats.new_months.tolist() == [1, 1, 2, 2, 3, 3, 4, 4]
    se = s.year.std(0, ddof=1) / math.sqrt(c.trials)
    assert np.all(np.abs(s.year.mean(0) - s.deterministic[:, -1]) <= Z * se)
    # bookings to date at every month end, with no new hires and with all of them:
    # SE of each mean = sd over trials / sqrt(trials)
    for k, to_date in ((0, s.draws.fixed), (8, s.draws.fixed + s.draws.new.sum(1))):
        se = to_date.std(0, ddof=1) / math.sqrt(c.trials)
        assert np.all(np.abs(to_date.mean(0) - s.deterministic[k]) <= Z * se)


# ---- the Done-when: an independent Monte Carlo engine run confirms the plan --------------

@pytest.mark.slow
def test_engine_confirms_the_plan_probability():
    c = load_capacity(EXAMPLE)
    plan = plan_capacity(c, progress=False)
    assert plan.hires > 0 and plan.probability >= c.probability
    assert plan.naive_hires < plan.hires and plan.naive_probability < 0.65  # the gap
    check = confirm(plan, trials=4000)  # seed: the plan's + 1, an independent run
    # two independent binomial estimates: SE of the difference = sqrt(p1 q1 / n1 + p2 q2 /
    # n2), about sqrt(0.16 / 2000 + 0.16 / 4000) = 0.011 at p = 0.8
    se = math.sqrt(plan.probability * (1 - plan.probability) / plan.trials
                   + check.probability * (1 - check.probability) / check.trials)
    assert abs(check.probability - plan.probability) <= Z * se
    assert check.agrees and check.seed != c.seed and check.trials == 4000


def test_engine_confirms_a_monthly_target_plan(tmp_path):
    """SMB AEs with a target for every month, met when bookings to date reach the target to
    date at each month end; the engine's monthly revenue is checked the same way."""
    path = write(tmp_path, scenario=str(ACME), role="smb_ae", trials=1000, seed=11,
                 target=[1.5e6, 1.5e6, 2e6, 1.6e6, 1.9e6, 2e6, 2.6e6, 2.9e6, 3.4e6, 3.2e6,
                         3.4e6, 4e6], probability=0.7,
                 hiring={"lead_months": 1, "max_per_month": 5, "max_total": 30})
    plan = plan_capacity(load_capacity(path), progress=False)
    check = confirm(plan, trials=2000)
    # SE of the difference: sqrt(p1 q1 / 1000 + p2 q2 / 2000), about 0.018 at p = 0.7
    se = math.hypot(plan.se, check.se)
    assert plan.hires > 0 and abs(check.probability - plan.probability) <= Z * se


# ---- monotonicity under common random numbers -------------------------------------------

small = st.fixed_dictionaries({
    "headcount": st.integers(1, 4), "annual": st.sampled_from([0.0, 0.2, 0.45]),
    "ramp": st.sampled_from([0, 2, 5]), "sigma": st.sampled_from([0.0, 0.4]),
    "lead": st.integers(0, 3), "per_month": st.integers(1, 3), "level": st.floats(0.8, 1.6),
    "deals": st.sampled_from([0.5, 3.0]), "max_total": st.integers(0, 6)})


def _random_capacity(p: dict, level: float, max_total: int | None = None) -> Capacity:
    sc = scenario({"model": "pipeline", "measures": {"new_arr": {
        "deals_per_month": p["deals"], "size": {"median": 10_000, "sigma": 1.0}}}},
        headcount=p["headcount"], skill_sigma=p["sigma"],
        ramp={"months": p["ramp"], "curve": "s_curve"},
        attrition={"annual": p["annual"], "backfill_months": 2})
    mean = p["headcount"] * p["deals"] * 10_000 * math.exp(0.5) * 12
    return capacity(sc, target=level * mean, trials=100, probability=0.6,
                    hiring=Hiring(lead_months=p["lead"], max_per_month=p["per_month"],
                                  max_total=p.get("max_total", 6) if max_total is None
                                  else max_total))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small, st.floats(1.0, 1.5))
def test_more_hires_never_lower_the_probability_and_higher_targets_need_more(p, raise_by):
    s = search(_random_capacity(p, p["level"]), progress=False)
    assert np.all(np.diff(s.year, axis=1) >= 0)  # trial by trial
    assert np.all(np.diff(s.probability) >= 0)
    hires = []
    for level in (p["level"], p["level"] * raise_by):
        try:
            hires.append(plan_capacity(_random_capacity(p, level), progress=False).hires)
        except InputError:
            hires.append(math.inf)  # unreachable within the limits
    assert hires[0] <= hires[1]


def test_allowing_more_hires_keeps_every_smaller_plan():
    """Each seat draws from its own streams, so raising the limit changes no plan within
    the old one."""
    p = {"headcount": 3, "annual": 0.2, "ramp": 2, "sigma": 0.4, "lead": 1, "per_month": 2,
         "deals": 3.0}
    a = search(_random_capacity(p, 1.1, max_total=3), progress=False)
    b = search(_random_capacity(p, 1.1, max_total=7), progress=False)
    assert np.array_equal(a.year, b.year[:, :4])


# ---- reproducibility --------------------------------------------------------------------

def test_same_seed_same_plan_and_trials_are_blocks():
    p = {"headcount": 4, "annual": 0.3, "ramp": 3, "sigma": 0.4, "lead": 1, "per_month": 2,
         "deals": 2.0}
    c = _random_capacity(p, 1.2).model_copy(update={"trials": 300})
    one, two = plan_capacity(c, progress=False), plan_capacity(c, progress=False)
    assert np.array_equal(one.bookings, two.bookings)
    assert one.schedule.equals(two.schedule) and one.curve.equals(two.curve)
    other = plan_capacity(c.model_copy(update={"seed": 5}), progress=False)
    assert not np.array_equal(one.bookings, other.bookings)
    short = search(c.model_copy(update={"trials": BLOCK}), progress=False)
    longer = search(c, progress=False)
    assert np.array_equal(short.year, longer.year[:BLOCK])  # a block's draws are its own


# ---- inputs and messages ----------------------------------------------------------------

def write(tmp_path: Path, **fields) -> Path:
    doc = {"capacity": "t", "scenario": str(ACME), "role": "ent_ae",
           "target": 50_000_000, "hiring": {"lead_months": 3, "max_per_month": 4},
           "trials": 200, "seed": 1, **fields}
    path = tmp_path / "capacity.yaml"
    path.write_text(yaml.safe_dump({k: v for k, v in doc.items() if v is not None}))
    return path


@pytest.mark.parametrize("fields, where, fix", [
    ({"hiring": {"lead_months": 3}}, "hiring.max_per_month", "required"),
    ({"role": "sdr"}, "role", "no role 'sdr'"),
    ({"probability": 1.2}, "probability", "less than 1"),
    ({"target": [1.0, 2.0, 3.0]}, "target", "12 monthly targets"),
    ({"ramping": [{"count": 99, "tenure_months": 2}]}, "ramping", "99 ramping reps"),
    ({"targt": 5}, "targt", "did you mean `target`"),
    ({"scenario": "nowhere.yaml"}, "scenario", "no scenario file"),
    ({"scenario": None}, "scenario", "required"),
    ({"set": {"org.roles.ent_ae.ramp.monthz": 3}}, "set", "org.roles.ent_ae.ramp.monthz: "
     "unknown key"),
    ({"set": {"org.roles.ent_ae.ramp[0]": 3}}, "set.org.roles.ent_ae.ramp[0]", ""),
    ({"scenario": str(ACME_TERRITORIES), "role": "smb_ae"},
     "role", "territory"),
])
def test_bad_input_names_the_file_and_field(tmp_path, fields, where, fix):
    path = write(tmp_path, **fields)
    with pytest.raises(InputError) as e:
        load_capacity(path)
    message = str(e.value)
    assert message.startswith(str(path)) and f": {where}:" in message and fix in message


def test_calibrated_from_the_example_history():
    """`calibrate:` fits the role from the CRM history; reps in seat on the export date who
    are still ramping on the plan year's first day are the ramping reps, by tenure."""
    c = load_capacity(CRM_CAPACITY, trials=200)
    role = c.scenario.org.roles[c.role]
    fit = calibrate_scenario(read_history(CRM_EXAMPLE),
                    PLANS / "enterprise_ae.yaml", bootstrap=0,
                    seed=c.seed).roles["Enterprise AE"]
    assert c.role == "enterprise_ae" and role.headcount == fit.headcount
    assert (role.ramp.months, role.ramp.curve) == (fit.ramp.months, fit.ramp.curve)
    assert role.ramp.start == pytest.approx(fit.ramp.start, abs=1e-4)  # the YAML's rounding
    assert role.attrition.annual == fit.attrition["annual"]
    assert role.skill_sigma == pytest.approx(fit.skill_sigma, abs=1e-4)
    roster = pd.read_csv(CRM_EXAMPLE / "roster.csv",
                         parse_dates=["Hire Date", "Termination Date"])
    as_of = pd.Timestamp("2026-12-31")  # the history's last date
    stays = roster["Termination Date"].isna() | (roster["Termination Date"] > as_of)
    tenure = (pd.Timestamp(c.scenario.year_start) - roster["Hire Date"]).dt.days / (365.25 / 12)
    ramping = stays & (tenure < role.ramp.months)
    assert sum(r.count for r in c.ramping) == ramping.sum() > 0
    assert sorted(r.tenure_months for r in c.ramping) == pytest.approx(
        sorted(tenure[ramping].round(2)))
    plan = plan_capacity(c, progress=False)
    assert plan.probability >= c.probability and plan.hires > (plan.naive_hires or 0)


@pytest.mark.parametrize("fields, where, fix", [
    ({"scenario": None, "calibrate": {"history": "nowhere", "plan": "x.yaml"}}, "", "nowhere"),
    ({"scenario": None, "calibrate": {"history": str(CRM_EXAMPLE),
                                      "plan": str(PLANS /
                                                  "enterprise_ae.yaml"), "role": "SDR"}},
     "calibrate.role", "'Enterprise AE'"),
    ({"scenario": None, "calibrate": {"history": "x"}}, "calibrate.plan", "required"),
    ({"calibrate": {"history": "x", "plan": "y"}}, "scenario", "not both"),
])
def test_bad_calibrate_names_the_field(tmp_path, fields, where, fix):
    path = write(tmp_path, **fields)
    with pytest.raises(InputError) as e:
        load_capacity(path)
    assert (f": {where}:" if where else "") in str(e.value) and fix in str(e.value)


def test_set_overrides_reach_the_scenario(tmp_path):
    path = write(tmp_path, set={"org.roles.ent_ae.attrition.annual": 0.1})
    assert load_capacity(path).scenario.org.roles["ent_ae"].attrition.annual == 0.1


def test_unreachable_target_says_what_to_change():
    c = load_capacity(EXAMPLE, trials=200)
    big = c.model_copy(update={"target": 90_000_000.0})
    with pytest.raises(InputError) as e:
        plan_capacity(big, progress=False)
    text = str(e.value)
    assert "target: $90,000,000 is met with probability" in text and "all 36 new hires" in text
    assert "lower the target or the probability, or allow more or earlier hires" in text


def test_plans_the_scenario_model_cannot_hold_are_not_confirmed():
    c = capacity(scenario(ramp=LINEAR4, headcount=1), target=1.0,
                 ramping=(Ramping(count=1, tenure_months=2),))
    plan = plan_capacity(c, progress=False)
    with pytest.raises(SpmsimError, match="no tenure for reps in seat"):
        plan_scenario(plan)
    assert "independent check not possible" in confirm_html(plan, 100)


def test_hires_starting_in_month_one_are_confirmed_by_the_engine():
    # org.staffing ramps a hire who starts on the year's first day, so such a plan is a
    # scenario and the engine's mean bookings agree with the plan's: 4 SE of the difference
    # of two independent means (SE from the two samples' standard deviations)
    early = capacity(scenario(ramp=LINEAR4), target=300_000.0, trials=2000,
                     hiring=Hiring(open_from=0, lead_months=1, max_per_month=2, max_total=2))
    plan = plan_capacity(early, progress=False)
    sc = plan_scenario(plan, trials=2000, seed=99)
    assert any(h.month == 1 for h in sc.org.roles["ae"].hires)
    engine = simulate(sc, keep_reps=False, progress=False)
    mine = plan.bookings
    theirs = engine.trial["revenue"][:, engine.groups.index("ae")]
    se = math.sqrt(mine.var() / mine.size + theirs.var() / theirs.size)
    assert abs(mine.mean() - theirs.mean()) < 4 * se


def test_plan_scenario_is_the_role_with_the_plan_hires():
    c = load_capacity(EXAMPLE, trials=200)
    plan = plan_capacity(c, progress=False)
    sc = plan_scenario(plan)
    role = sc.org.roles["ent_ae"]
    assert list(sc.org.roles) == ["ent_ae"] and list(sc.market) == ["ent_ae"]
    assert role.seats == 36 + 4 + plan.hires and sc.seed == c.seed + 1
    assert sorted(h.month for h in role.hires for _ in range(h.count)) == sorted(
        [2, 2, 5, 5, *plan.start_months])


# ---- the command line -------------------------------------------------------------------

def test_cli_writes_the_plan_and_the_distribution(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["capacity", str(EXAMPLE), "--out", str(out), "--trials", "300",
                 "--seed", "4", "--confirm", "300", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "P(target met)" in printed and "naive plan" in printed
    assert "independent check (Monte Carlo engine, 300 trials, seed 5)" in printed
    plan = np.genfromtxt(out / "hiring_plan.csv", delimiter=",", names=True, dtype=None,
                         encoding="utf-8")
    hires = int(plan["new_hires"].sum())
    assert int(plan["requisitions"].sum()) == hires and f"plan: {hires} new hires" in printed
    bookings = np.loadtxt(out / "bookings.csv", delimiter=",", skiprows=1)
    assert bookings.shape == (300, 2)
    assert sorted(p.name for p in out.iterdir()) == ["bookings.csv", "capacity.json",
                                                     "curve.csv", "hiring_plan.csv",
                                                     "summary.csv"]
    echo = json.loads((out / "capacity.json").read_text())
    assert echo["seed"] == 4 and echo["trials"] == 300 and echo["scenario"]["org"]["roles"]


def test_cli_bad_input_exits_2_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["capacity", str(write(tmp_path, role="sdr")), "--out", str(out)]) == 2
    assert "role: no role 'sdr'" in capsys.readouterr().err and not out.exists()
    assert main(["capacity", str(EXAMPLE), "--out", str(out), "--trials", "100",
                 "--probability", "0.999", "--no-progress"]) == 2
    assert "lower the target" in capsys.readouterr().err and not out.exists()


def test_charts_draw_the_plan():
    plan = plan_capacity(capacity(scenario(ramp=LINEAR4), target=300_000.0, trials=64),
                         progress=False)
    assert len(plan.distribution(bins=10)) == 10 and plan.distribution()["trials"].sum() == 64
    assert list(plan.marks()["mark"]) == ["P10", "P50", "P90", "target", "deterministic"]
    for chart in (charts.capacity_headcount_chart(plan.schedule),
                  charts.capacity_bookings_chart(plan.distribution(), plan.marks()),
                  charts.capacity_curve_chart(plan.curve, 0.8)):
        assert "<svg" in vl_convert.vegalite_to_svg(chart.to_dict())


# ---- the org model ----------------------------------------------------------------------

def test_org_staffing_ramps_a_hire_starting_in_month_one():
    role = scenario(ramp=LINEAR4, headcount=0, hires=[{"month": 1, "count": 1}]
                    ).org.roles["ae"]
    staff = staffing(role, 1, None, None)
    assert staff.productivity[0, 0, 0] == pytest.approx(1 / 8)  # mid-month of a 4-month ramp
