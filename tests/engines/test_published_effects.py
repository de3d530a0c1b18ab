"""The agent engine against the published field evidence on sales compensation.

One test per effect, each naming its source (the manual lists them with what each paper
reports: docs/methods/agents.md, "Published effects"). Reps choose effort by dynamic
programming (`effort_choice`); every comparison runs the same scenario (same seed, so the
same skill draws) under two plans. Direction is asserted with a two-sample z above 4 on the
per-trial totals; sizes are asserted only where the paper gives one for the same mechanism,
and each measured figure is stated next to its assertion (seed 2323).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from spmsim.engines import simulate_agents
from spmsim.engines.montecarlo import stream_rng
from spmsim.engines.results import Results
from spmsim.model.scenario import Scenario, scenario_from_tree

pytestmark = pytest.mark.slow

Z = 4.0
LAM, MEDIAN, SIGMA = 1.5, 20_000.0, 0.8
BOOKINGS = 12 * LAM * MEDIAN * math.exp(SIGMA ** 2 / 2)  # a year's mean bookings at effort 1
STAGES = [{"name": "qualify", "days": 10, "to_next": 0.6},
          {"name": "close", "days": 20, "to_next": 0.7}]  # a 30-day cycle: one month's lag
REPS, TRIALS, SEED, SKILL_SIGMA = 30, 60, 2323, 0.3
CHOICE = {"effort_choice": {}}  # the defaults


def commission(rate: float, weight: float, *, upto: float | None = None,
               over: float | None = None, cap: float | None = None) -> dict:
    tiers = [{"rate": rate}] if upto is None else [{"upto": upto, "rate": rate},
                                                   {"rate": over}]
    c = {"name": "Commission", "type": "commission", "measure": "new_arr", "weight": weight,
         "rates": "multiplier", "tier_basis": "attainment", "tiers": tiers}
    if cap is not None:
        c["cap"] = {"of_target": cap}
    return c


def bonus(weight: float, at: float = 1.0) -> dict:
    return {"name": "Quota bonus", "type": "bonus", "measure": "new_arr", "weight": weight,
            "curve": [[at, 1.0]], "steps": True}


def plan(*components: dict) -> dict:
    return {"plan": "Field test plan", "ote": 100_000.0, "base_share": 0.5,
            "year_start": "2027-01-01", "payout_period": "quarter",
            "components": list(components)}


def scenario(the_plan: dict, *, behavior: dict | None = None, quota: float = BOOKINGS,
             skill_sigma: float = SKILL_SIGMA, stages: list[dict] = STAGES,
             **role_extra) -> Scenario:
    tree = {"scenario": "field evidence", "seed": SEED, "trials": TRIALS,
            "org": {"roles": {"ae": {"headcount": REPS, "plan": the_plan,
                                     "quota": {"new_arr": quota},
                                     "skill_sigma": skill_sigma, **role_extra}}},
            "market": {"ae": {"model": "pipeline", "stages": stages,
                              "measures": {"new_arr": {"deals_per_month": LAM,
                                                       "size": {"median": MEDIAN,
                                                                "sigma": SIGMA}}}}},
            "behavior": CHOICE if behavior is None else behavior}
    return scenario_from_tree(tree)


def run(s: Scenario, logged: int = 0) -> Results:
    return simulate_agents(s, trials=TRIALS, progress=False, logged_trials=logged)


def revenue(r: Results) -> np.ndarray:
    return r.trial["revenue"][:, 0]


def z_two(a: np.ndarray, b: np.ndarray) -> float:
    se = math.sqrt(np.var(a, ddof=1) / a.size + np.var(b, ddof=1) / b.size)
    return (float(np.mean(a)) - float(np.mean(b))) / se


def gain(new: np.ndarray, old: np.ndarray) -> float:
    return float(new.mean() / old.mean() - 1)


def skills() -> pd.DataFrame:
    """Each rep's skill in each trial, drawn as the engine draws it (the first normal of the
    seat's stream; no territory, no successors): a ranking by ability that, unlike one by
    either run's bookings, does not favour either plan's luck."""
    root = np.random.SeedSequence(SEED)
    rows = [(t, f"ae-{s + 1:03d}",
             math.exp(SKILL_SIGMA * stream_rng(root, t, 0, "agent", s).standard_normal()))
            for t in range(TRIALS) for s in range(REPS)]
    return pd.DataFrame(rows, columns=["trial", "rep", "skill"])


def by_ability(a: Results, b: Results) -> pd.DataFrame:
    """Both runs' bookings per rep and trial with the rep's skill third (0 lowest)."""
    merged = a.reps[["trial", "rep", "revenue"]].merge(
        b.reps[["trial", "rep", "revenue"]], on=["trial", "rep"], suffixes=("_a", "_b"))
    merged = merged.merge(skills(), on=["trial", "rep"])
    merged["third"] = np.minimum((merged["skill"].rank(pct=True) * 3).astype(int), 2)
    return merged


# ---- bonuses -----------------------------------------------------------------------------

COMMISSION_ONLY = plan(commission(1.0, 0.7))  # 0.7 of TI at quota, linear
WITH_BONUS = plan(commission(1.0, 0.7), bonus(0.3))  # the same, plus 0.3 of TI at quota


@pytest.fixture(scope="module")
def bonus_runs() -> dict[str, Results]:
    return {"commission": run(scenario(COMMISSION_ONLY)),
            "bonus": run(scenario(WITH_BONUS))}


def test_a_quota_bonus_on_top_of_the_commission_raises_bookings(bonus_runs):
    """Chung, Steenburgh and Sudhir (2014): bonuses enhance productivity in every segment;
    Kishore et al. (2013) likewise find quota-based pay moves output. Same commission, a
    quota bonus of 0.3 TI added: bookings rise (z > 4, by at least 2 %). Chung et al.'s
    working paper (2009) puts the bonus plan 18.5 % above a commission-only plan, but that
    compares their whole plan (quarterly and annual bonuses, overachievement) with a
    different base rate, so no size is asserted. Measured: +9.5 % (z = 6.0)."""
    base, more = revenue(bonus_runs["commission"]), revenue(bonus_runs["bonus"])
    assert z_two(more, base) > Z, (base.mean(), more.mean())
    assert gain(more, base) >= 0.02


def test_no_segment_loses_from_the_bonus(bonus_runs):
    """Chung et al. (2014): "bonuses enhance productivity across all segments". Reps by
    skill third: each third books more with the bonus (its gain above 0).
    Measured: +4.3 %, +14.2 %, +9.0 % from the lowest third up."""
    merged = by_ability(bonus_runs["commission"], bonus_runs["bonus"])
    for _, d in merged.groupby("third"):
        assert d["revenue_b"].sum() > d["revenue_a"].sum()


# ---- bonus versus commission ---------------------------------------------------------------

BONUS_ONLY = plan(bonus(1.0))  # TI paid at quota, nothing below or above
EQUIVALENT = plan(commission(1.0, 1.0))  # TI at quota, linear: the same pay at quota


def test_commission_instead_of_a_bonus_helps_low_ability_reps_most():
    """Kishore, Rao, Narasimhan and John (2013): a pharmaceutical firm replaced a quota
    bonus by an equivalent commission; sales rose, "with much larger increases occurring at
    lower ability deciles" (the abstract gives no figure, so only direction is asserted).
    The commission raises bookings overall (z > 4), and the lowest skill third's relative
    gain exceeds the highest third's by 5 points or more. Measured: overall +8.4 %
    (z = 4.9); lowest third +23 %, middle 0 %, highest +8 %."""
    runs = {k: run(scenario(p)) for k, p in (("bonus", BONUS_ONLY), ("commission", EQUIVALENT))}
    assert z_two(revenue(runs["commission"]), revenue(runs["bonus"])) > Z
    merged = by_ability(runs["bonus"], runs["commission"])
    sums = merged.groupby("third")[["revenue_a", "revenue_b"]].sum()
    gains = sums["revenue_b"] / sums["revenue_a"] - 1
    assert gains[0] > gains[2] + 0.05, gains


# ---- overachievement and caps ------------------------------------------------------------

def test_overachievement_commission_sustains_top_performers():
    """Chung et al. (2014): overachievement commissions "help sustain the high productivity
    of the best performers even after attaining quotas"; their working paper (2009) finds
    removing them cuts revenue by about 6 %. Commission 1 to quota then 1.5 above, against
    nothing above quota: bookings fall without it (z > 4). Only the direction is asserted:
    the firm's over-quota rate is not in what we could read. Measured: -20 % (z = 14),
    three times the published 6 %."""
    over = run(scenario(plan(commission(1.0, 1.0, upto=1.0, over=1.5))))
    flat = run(scenario(plan(commission(1.0, 1.0, upto=1.0, over=0.0))))
    assert z_two(revenue(over), revenue(flat)) > Z


ACCELERATED = commission(1.0, 1.0, upto=1.0, over=1.5)
CAPPED = commission(1.0, 1.0, upto=1.0, over=1.5, cap=1.3)
RATCHET = {"effort_choice": {"ratchet": 0.3}}


@pytest.fixture(scope="module")
def cap_runs() -> dict[str, np.ndarray]:
    return {"free": revenue(run(scenario(plan(ACCELERATED)))),
            "capped": revenue(run(scenario(plan(CAPPED)))),
            "ratchet": revenue(run(scenario(plan(ACCELERATED), behavior=RATCHET))),
            "both": revenue(run(scenario(plan(CAPPED), behavior=RATCHET)))}


def paired_z(a: np.ndarray, b: np.ndarray) -> float:
    """z of the mean paired difference a - b over trials (the runs share their draws)."""
    d = a - b
    return float(d.mean() / (d.std(ddof=1) / math.sqrt(d.size)))


def test_removing_a_cap_and_a_ratchet_raises_bookings(cap_runs):
    """Misra and Nair (2011): removing the cap and the quota ratchet at a contact lens
    maker raised revenue by 9 %. Commission 1 to quota and 1.5 above, capped at 1.3 x
    target, with reps expecting next year's quota to rise by 0.3 x their attainment above
    quota (`ratchet`: our figure, not an estimate; Leone, Misra and Zimmerman report
    asymmetric ratcheting without a coefficient we could read): removing both raises
    bookings within a factor of two of 9 % (4.5-18 %, z > 4); removing either alone raises
    them too (paired z > 3). Measured: both +16.5 % (z = 9.8); the cap alone +13.8 %,
    the ratchet alone +4.0 %."""
    free, capped, ratchet, both = (cap_runs[k] for k in ("free", "capped", "ratchet", "both"))
    assert z_two(free, both) > Z
    assert 0.045 <= gain(free, both) <= 0.18, gain(free, both)
    assert paired_z(free, capped) > 3 and paired_z(free, ratchet) > 3


# ---- effort or timing --------------------------------------------------------------------

TIMING = {"window_days": 14, "reach": 0.3, "horizon_days": 45, "pull_share": 1.0,
          "discount": 0.1, "push_at_cap": True}


def test_a_bonus_works_through_effort_more_than_timing():
    """Steenburgh (2008): lump-sum bonuses "primarily motivate salespeople to work harder"
    rather than to play timing games. The bonus's effect on the year's bookings with only
    effort choice on is larger than with only deal timing on (the timing effect is
    bookings moved, less their discount). Measured: effort +9.5 %, timing +0.7 %."""
    effort = gain(revenue(run(scenario(WITH_BONUS))), revenue(run(scenario(COMMISSION_ONLY))))
    timing_b = {"timing": TIMING}
    timing = gain(revenue(run(scenario(WITH_BONUS, behavior=timing_b))),
                  revenue(run(scenario(COMMISSION_ONLY, behavior=timing_b))))
    assert effort > 0.02 and effort > abs(timing) * 2, (effort, timing)


# ---- timing with a price ---------------------------------------------------------------

PRICED = {"timing": {"price": "chosen", "window_days": 14, "horizon_days": 45,
                     "price_sensitivity": 0.1, "max_discount": 0.4}}
LONG_CLOSE = [STAGES[0], {"name": "negotiate", "days": 30, "to_next": 0.7}]
ACCELERATING = plan(commission(1.0, 1.0, upto=1.0, over=2.0))


def year_end_run(the_plan: dict) -> Results:
    return run(scenario(the_plan, behavior=PRICED, quota=0.9 * BOOKINGS, stages=LONG_CLOSE),
               logged=TRIALS)


def year_end_share(r: Results) -> np.ndarray:
    """Per trial: share of won bookings in the plan year's last 14 days."""
    won = r.events[r.events["event"] == "won"]
    late = won["amount"].where(won["day"] >= 365 - 14, 0.0)
    return (late.groupby(won["trial"]).sum() / won.groupby("trial")["amount"].sum()).to_numpy()


def test_deals_are_pulled_into_the_year_end_at_a_price():
    """Oyer (1998): nonlinear annual plans bring sales forward into the fiscal year's end
    (we found no figure to hold a size against); Larkin (2014): reps on an accelerating
    plan close deals early at lower prices, costing the vendor 6-8 % of revenue. With the
    price chosen, an accelerating plan (rate 2 above quota) moves bookings into the year's
    last 14 days above a linear plan's (z > 4) and its discounts cost revenue; the linear
    plan, where a deal pays the same either year, pulls nothing. Measured: year-end share
    5.5 % against 3.9 % (z = 6.7; even: 3.8 %), 10 pulls a trial; discounts 0.27 % of
    revenue, twenty times below Larkin's: with
    pay trued up to date only the year end changes pay, and only deals already in their
    last stage can be pulled."""
    acc, lin = year_end_run(ACCELERATING), year_end_run(plan(commission(1.0, 1.0)))
    assert not (lin.events["event"] == "pulled").any()
    assert z_two(year_end_share(acc), year_end_share(lin)) > Z
    won = acc.events[acc.events["event"] == "won"]
    cost = (won["amount"] * won["discount"] / (1 - won["discount"])).sum() / won["amount"].sum()
    assert cost > 0.001, cost
    pulled = acc.events[acc.events["event"] == "pulled"]
    assert ((pulled["discount"] > 0) & (pulled["discount"] <= 0.4)).all()
    assert (pulled["day"] >= 365 - 14 - 1e-9).all()


def discount_cost(r: Results) -> np.ndarray:
    """Per trial: the discounts given (list price less price paid) as a share of revenue."""
    won = r.events[r.events["event"] == "won"]
    given = won["amount"] * won["discount"] / (1 - won["discount"])
    return (given.groupby(won["trial"]).sum() / won.groupby("trial")["amount"].sum()).to_numpy()


QUARTER_STARTS = (90.0, 181.0, 273.0)  # days of 1 April, 1 July and 1 October 2027


def test_quarterly_windows_raise_the_cost_of_timing():
    """Larkin (2014): under accelerating commissions with quarterly deadlines reps close
    deals in the quarter that pays, at a discount (6-8 % of revenue). The accelerating plan
    of the test above judged on each quarter (`basis: period`, 2x above the quarter's
    quota) against on the year: reps time deals at every quarter end, not only the year
    end, so discounts cost more (z > 4, 60 trials). Pulls fall in a quarter's last 14 days,
    and a deal pushed within the year closes on the next quarter's first day. Measured:
    0.27 % of revenue on the year, 0.47 % by quarter (z = 8.0); 10 pulls a trial on the
    year, 28 pulls and 42 pushes by quarter. Far below Larkin's size on this market of
    small deals and a two-month close; the Acme example with his setting's long cycles
    comes nearer (docs/benchmarks.md)."""
    def quarterly(basis: str) -> Results:
        return year_end_run({**ACCELERATING, "basis": basis})

    annual, by_quarter = quarterly("annual"), quarterly("period")
    a, q = discount_cost(annual), discount_cost(by_quarter)
    assert z_two(q, a) > Z, (a.mean(), q.mean())
    ev = by_quarter.events
    pulled = ev.loc[ev["event"] == "pulled", "day"].to_numpy()
    ends = np.array(QUARTER_STARTS + (365.0,))
    to_end = ends[np.searchsorted(ends, pulled, side="right")] - pulled
    assert ((to_end > 0) & (to_end <= 14 + 1e-9)).all()
    assert (pulled < 365 - 14).any()  # quarter ends within the year, not only its end
    pushed = ev[(ev["event"] == "pushed") & (ev["day"] < 365 - 14)]
    assert len(pushed) > 0
    won = ev[ev["event"] == "won"]
    landed = won[won["day"].isin(QUARTER_STARTS)]
    keys = set(zip(landed["trial"], landed["amount"], strict=True))
    assert all(k in keys for k in zip(pushed["trial"], pushed["amount"], strict=True))


# ---- selection ---------------------------------------------------------------------------

def test_pay_for_output_selects_more_productive_reps():
    """Lazear (2000): when Safelite Glass moved from hourly wages to piece rates, output per
    worker rose 44 %, partly because the firm attracted and kept more able workers (we
    could not confirm from the text we read how much was selection; no size asserted).
    Here only selection acts (no effort or timing behaviour, so without it both plans book
    the same): a linear commission against a plan paying full TI from half of quota
    (nearly a salary), 30 % attrition, a month's vacancy, market wage OTE x skill^0.5.
    Able reps fall short of their market wage on the flat plan and leave, and able
    candidates decline it, so bookings per rep in seat rise on the commission: paired
    over trials (both runs share every draw until behaviour differs), z > 4. Measured:
    +2.8 % (paired z = 6.1), in one year with a third of the seats turning over."""
    flat_plan = plan({"name": "Flat bonus", "type": "bonus", "measure": "new_arr",
                      "weight": 1.0, "curve": [[0.5, 1.0]], "steps": True})
    out = {}
    for name, p in (("flat", flat_plan), ("commission", EQUIVALENT)):
        for sel in (False, True):
            b = {"selection": {"skill_premium": 0.5, "below_market_share": 0.9,
                               "hazard_multiplier": 3.0, "candidates": 10}} if sel else {}
            r = run(scenario(p, behavior=b, attrition={"annual": 0.3, "backfill_months": 1}))
            out[name, sel] = r.trial["revenue"][:, 0] / r.trial["fte"][:, 0]
    np.testing.assert_allclose(out["flat", False], out["commission", False])
    diff = out["commission", True] - out["flat", True]
    assert diff.mean() / (diff.std(ddof=1) / math.sqrt(diff.size)) > Z


# ---- consistency -------------------------------------------------------------------------

def test_a_plan_paying_ti_for_expected_bookings_leaves_effort_at_one():
    """The cost of effort is scaled so that a rep paid TI, in proportion, for the year's
    expected bookings works at effort 1 in every state (without discounting): on that plan
    effort choice books what the engine books with behaviour off, to within 0.5 % (the
    policy's interpolation error; the runs share their draws)."""
    linear = plan(commission(1.0, 1.0))
    chosen = revenue(run(scenario(linear, behavior={"effort_choice": {"discount": 1.0}})))
    off = revenue(run(scenario(linear, behavior={})))
    assert abs(chosen.mean() / off.mean() - 1) < 0.005, (chosen.mean(), off.mean())


# ---- assessment windows ------------------------------------------------------------------

def test_quarterly_windows_replacing_an_annual_bonus():
    """Chung et al. (2014): quarterly bonuses "help improve performance of the weak
    performers by serving as pacers"; their working paper (2009): eliminating them cuts
    revenue by 13.6 %. Their quarterly bonuses came on top of an annual one (the next
    test); here the quarterly bonuses replace the annual one (the plan judged on each
    quarter, `basis: period`, against on the year, the same commission and bonus
    weights). The engine reads the quarterly windows from the plan
    (effort differs from the annual run); the published effect is not reproduced:
    measured -2.8 % overall (paired z -2.9), the lowest skill third -1.3 %."""
    def bonus_plan(basis: str) -> dict:
        return {**plan(commission(1.0, 0.5), bonus(0.5)), "basis": basis}

    annual = revenue(run(scenario(bonus_plan("annual"))))
    quarterly = revenue(run(scenario(bonus_plan("period"))))
    assert not np.array_equal(annual, quarterly)
    assert abs(gain(quarterly, annual)) < 0.1


ANNUAL_BONUS = {**bonus(0.25), "name": "Annual bonus", "basis": "annual"}
QUARTERLY_BONUS = {**bonus(0.25), "name": "Quarterly bonus", "basis": "period"}


def test_quarterly_bonuses_on_top_of_an_annual_one_raise_bookings():
    """Chung et al. (2014): quarterly bonuses serve as pacers; their working paper (2009):
    eliminating them cuts revenue by 13.6 %. A commission of 0.5 TI at quota, an annual
    bonus of 0.25 TI at the annual quota, and quarterly bonuses of 0.25 TI in all (each
    quarter's share at that quarter's own quota): reps read both the year and the quarter
    (the two-state policy, `pacerpolicy.py`). Removing the quarterly bonuses lowers
    bookings: paired over trials (both runs share their draws), z > 4 at 60 trials.
    Measured: -4.9 % (paired z 6.1), a third of their figure; skill thirds from the
    lowest -5.1 %, -7.2 %, -3.2 %."""
    from spmsim.calendar import PlanCalendar
    from spmsim.engines.agents import _Clock, effort_policies
    from spmsim.model.pacerpolicy import PacerPolicy

    both = scenario(plan(commission(1.0, 0.5), ANNUAL_BONUS, QUARTERLY_BONUS))
    clock = _Clock(PlanCalendar(both.year_start, "month"))
    assert isinstance(effort_policies(both, clock)["ae"], PacerPolicy)
    with_q = revenue(run(both))
    without = revenue(run(scenario(plan(commission(1.0, 0.5), ANNUAL_BONUS))))
    assert paired_z(with_q, without) > Z, gain(without, with_q)
