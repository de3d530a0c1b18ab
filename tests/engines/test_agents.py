"""Tests of the agent-based (SimPy) engine: agreement with the Monte Carlo engine when every
behaviour is off, the event log's consistency with the results, each behaviour's effect in
the direction its docstring states, reproducibility and the CLI.

Scenarios are small and stated inline; every simulation runs once (module fixtures or a
single test). Each statistical assertion states its tolerance next to it: means compare by
a two-sample z statistic (difference over the standard error of the difference), samples
by a two-sample Kolmogorov-Smirnov test at the 1 % level. Seeds are fixed, so each outcome
is deterministic; a correct engine misses a 4-SE band with probability about 6e-5 per check.
Identities of the engine (sums of logged events against results, pushes against the credit
they remove) are checked to float precision.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from spmsim.cli import main
from spmsim.engines import simulate, simulate_agents
from spmsim.engines.agents import EVENT_COLUMNS
from spmsim.engines.results import Results
from spmsim.model.behavior import PlanView
from spmsim.model.scenario import Scenario, load_scenario, scenario_from_tree

from paths import ACME

pytestmark = pytest.mark.slow

Z = 4.0  # tolerance in standard errors for "agrees" checks, and minimum z for "differs"
KS_ALPHA = 0.01  # two-sample KS tests must not reject at this level
YEAR_START = "2027-01-01"
YEAR_DAYS = 365
QUARTER_ENDS = (90, 181, 273, 365)  # day after each quarter of 2027 (Jan 1 = day 0)
LAM, MEDIAN, SIGMA = 1.5, 20_000.0, 0.8  # won deals per rep-month; lognormal deal size
EXPECTED = 12 * LAM * MEDIAN * math.exp(SIGMA ** 2 / 2)  # a full-year rep's mean bookings
STAGES = [{"name": "qualify", "days": 10, "to_next": 0.6},
          {"name": "propose", "days": 15, "to_next": 0.7},
          {"name": "close", "days": 10, "to_next": 0.7}]  # win rate 0.294, 35-day cycle


# ---- building scenarios ---------------------------------------------------------------

def plan(*components: dict, period: str = "month") -> dict:
    return {"plan": "Agent test plan", "ote": 100_000.0, "base_share": 0.5,
            "year_start": YEAR_START, "payout_period": period, "components": list(components)}


def commission(tiers: list[dict], threshold: float | None = None,
               cap: float | None = None) -> dict:
    c = {"name": "Commission", "type": "commission", "measure": "new_arr", "weight": 1.0,
         "rates": "multiplier", "tier_basis": "attainment", "tiers": tiers}
    if threshold is not None:
        c["threshold"] = threshold
    if cap is not None:
        c["cap"] = {"of_target": cap}
    return c


ACCELERATOR = [{"upto": 1.0, "rate": 1.0}, {"rate": 2.0}]
LINEAR = [{"rate": 1.0}]


def scenario(the_plan: dict, headcount: int, *, quota: float = EXPECTED,
             stages: list[dict] | None = None, behavior: dict | None = None,
             season: list[float] | None = None, lam: float = LAM, seed: int = 4242,
             **role_extra) -> Scenario:
    """One pipeline role `ae` with skill spread 0.25; attrition, hires etc. via role_extra."""
    market = {"model": "pipeline", "stages": STAGES if stages is None else stages,
              "measures": {"new_arr": {"deals_per_month": lam,
                                       "size": {"median": MEDIAN, "sigma": SIGMA}}}}
    if season is not None:
        market["seasonality"] = season
    tree = {"scenario": "agent test", "seed": seed, "trials": 10,
            "org": {"roles": {"ae": {"headcount": headcount, "plan": the_plan,
                                     "quota": {"new_arr": quota}, "skill_sigma": 0.25,
                                     **role_extra}}},
            "market": {"ae": market}}
    if behavior is not None:
        tree["behavior"] = behavior
    return scenario_from_tree(tree)


def agents(s: Scenario, trials: int, logged: int = 0, seed: int | None = None) -> Results:
    return simulate_agents(s, trials=trials, seed=seed, progress=False, logged_trials=logged)


def montecarlo(s: Scenario, trials: int) -> Results:
    return simulate(s, trials=trials, progress=False, workers=2)


def role_stat(r: Results, stat: str) -> np.ndarray:
    """Per-trial figure of role `ae` (group 0)."""
    return r.trial[stat][:, 0]


def z_two(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample z of mean(a) - mean(b)."""
    se = math.sqrt(np.var(a, ddof=1) / a.size + np.var(b, ddof=1) / b.size)
    return (float(np.mean(a)) - float(np.mean(b))) / se


def events_of(r: Results, event: str) -> pd.DataFrame:
    ev = r.events
    return ev[ev["event"] == event]


def per_trial(df: pd.DataFrame, trials: int, col: str = "amount") -> np.ndarray:
    """Sum of `col` per trial 0..trials-1 (0 where a trial has no rows)."""
    return df.groupby("trial", observed=True)[col].sum().reindex(range(trials),
                                                                  fill_value=0).to_numpy()


# ---- 1. agreement with the Monte Carlo engine, behaviour off ------------------------------

AGREE_REPS, AGREE_TRIALS, AGREE_MC_TRIALS, AGREE_LOGGED = 20, 300, 4000, 50


@pytest.fixture(scope="module")
def agree_scenario() -> Scenario:
    """3 stages, win rate 0.29, flat season, skill 0.25, no attrition or ramp; an accelerator
    with a threshold so that pay is a non-linear function of credit."""
    return scenario(plan(commission(ACCELERATOR, threshold=0.5)), AGREE_REPS)


@pytest.fixture(scope="module")
def agree(agree_scenario) -> tuple[Results, Results]:
    return (agents(agree_scenario, AGREE_TRIALS, logged=AGREE_LOGGED),
            montecarlo(agree_scenario, AGREE_MC_TRIALS))


@pytest.mark.parametrize("stat", ["revenue", "variable_pay"])
def test_agents_agree_with_montecarlo_per_trial(agree, stat):
    ag, mc = agree
    a, m = role_stat(ag, stat), role_stat(mc, stat)
    assert a.size == AGREE_TRIALS and m.size == AGREE_MC_TRIALS
    z = z_two(a, m)
    assert abs(z) < Z, f"{stat}: agents {a.mean():.6g}, Monte Carlo {m.mean():.6g}, z = {z:.2f}"
    ks = stats.ks_2samp(a, m)
    assert ks.pvalue > KS_ALPHA, f"{stat}: KS statistic {ks.statistic:.3f}, p = {ks.pvalue:.2g}"
    # the test has teeth: 10 % more credit would be well outside the band
    se = math.sqrt(np.var(a, ddof=1) / a.size + np.var(m, ddof=1) / m.size)
    assert 0.1 * m.mean() > 2 * Z * se


def test_agents_agree_with_montecarlo_per_rep(agree):
    """Per-rep annual credit and pay (6,000 vs 80,000 rep-years): KS at 1 %, mean z < 4."""
    ag, mc = agree
    for col in ("revenue", "variable_pay", "attainment"):
        a, m = ag.reps[col].to_numpy(), mc.reps[col].to_numpy()
        assert a.size == AGREE_REPS * AGREE_TRIALS
        ks = stats.ks_2samp(a, m)
        assert ks.pvalue > KS_ALPHA, f"{col}: KS {ks.statistic:.4f}, p = {ks.pvalue:.2g}"
        z = z_two(a, m)
        assert abs(z) < Z, f"{col}: agents {a.mean():.6g}, MC {m.mean():.6g}, z = {z:.2f}"
    # and both near the closed form 12 lam E[X] per rep (z < 4 on the MC sample)
    m = mc.reps["revenue"].to_numpy()
    assert abs(m.mean() - EXPECTED) < Z * m.std(ddof=1) / math.sqrt(m.size)


def test_agents_monthly_credit_agrees_with_montecarlo_flat_season(agree):
    """Flat season: every month's mean credit within 4 SE of the Monte Carlo engine's."""
    ag, mc = agree
    a, m = ag.period["revenue"][:, 0], mc.period["revenue"][:, 0]
    se = np.sqrt(a.var(0, ddof=1) / a.shape[0] + m.var(0, ddof=1) / m.shape[0])
    z = (a.mean(0) - m.mean(0)) / se
    assert np.all(np.abs(z) < Z), f"monthly z: {np.round(z, 1)}"


SEASON = [0.7, 0.8, 1.3, 0.8, 0.9, 1.3, 0.7, 0.8, 1.3, 0.9, 1.0, 1.5]  # Acme ent_ae


@pytest.fixture(scope="module")
def seasonal() -> tuple[Results, Results]:
    """Acme's enterprise seasonality (quarter-end months 1.3-1.5), behaviour off."""
    s = scenario(plan(commission(LINEAR)), 20, season=SEASON)
    return agents(s, 100), montecarlo(s, 2000)


def test_agents_annual_credit_agrees_with_montecarlo_seasonal(seasonal):
    """With seasonality the annual credit per trial still agrees: z < 4, KS at 1 %."""
    a, m = (role_stat(r, "revenue") for r in seasonal)
    assert abs(z_two(a, m)) < Z
    assert stats.ks_2samp(a, m).pvalue > KS_ALPHA


def test_agents_monthly_credit_follows_seasonality(seasonal):
    """Behaviour off, won deals close at the seasonality (creation is solved for it,
    `PipelineMarket.creation_rates`): each month's mean credit within 4 SE of the Monte
    Carlo engine's (100 vs 2,000 trials of 20 reps)."""
    ag, mc = seasonal
    a, m = ag.period["revenue"][:, 0], mc.period["revenue"][:, 0]
    se = np.sqrt(a.var(0, ddof=1) / a.shape[0] + m.var(0, ddof=1) / m.shape[0])
    z = (a.mean(0) - m.mean(0)) / se
    assert np.all(np.abs(z) < Z), (f"agents / MC by month: {np.round(a.mean(0) / m.mean(0), 3)}"
                                   f", z: {np.round(z, 1)}")


# ---- 2. staffing agreement: attrition, backfill, hires ------------------------------------

STAFF_TRIALS, STAFF_LOGGED = 150, 50


@pytest.fixture(scope="module")
def staffing_scenario() -> Scenario:
    return scenario(plan(commission(ACCELERATOR, threshold=0.5)), 30, lam=0.5,
                    quota=EXPECTED / 3,  # mean attainment 1 at a third of the deals
                    attrition={"annual": 0.3, "backfill_months": 2},
                    hires=[{"month": 4, "count": 5}])


@pytest.fixture(scope="module")
def staffed(staffing_scenario) -> tuple[Results, Results]:
    return (agents(staffing_scenario, STAFF_TRIALS, logged=STAFF_LOGGED),
            montecarlo(staffing_scenario, AGREE_MC_TRIALS))


@pytest.mark.parametrize("stat", ["leavers", "fte", "reps", "revenue", "variable_pay"])
def test_staffing_agrees_with_montecarlo(staffed, stat):
    """Leavers, FTE and reps in seat per trial (and the credit and pay they produce):
    means within 4 SE."""
    ag, mc = staffed
    a, m = role_stat(ag, stat), role_stat(mc, stat)
    assert m.mean() > 0
    z = z_two(a, m)
    assert abs(z) < Z, f"{stat}: agents {a.mean():.4g}, Monte Carlo {m.mean():.4g}, z = {z:.2f}"
    if stat == "leavers":  # about 0.3 x (35 seats x 3/4 of a year, plus successors)
        assert 8 < a.mean() < 15


# ---- 3. the event log against the results -------------------------------------------------

def check_log_basics(r: Results, logged: int) -> None:
    ev = r.events
    assert list(ev.columns) == list(EVENT_COLUMNS)
    assert sorted(ev["trial"].unique()) == list(range(logged))  # only the logged trials
    assert ev["day"].between(0, YEAR_DAYS, inclusive="left").all()
    dates = pd.Timestamp(YEAR_START) + pd.to_timedelta(np.floor(ev["day"]), unit="D")
    assert (ev["date"].to_numpy() == dates.to_numpy()).all()
    assert set(ev["event"].unique()) <= {"created", "stage", "won", "lost", "pulled", "pushed",
                                         "hire", "exit", "payout"}
    # within each trial, in time order
    assert (ev.groupby("trial", observed=True)["day"].diff().dropna() >= 0).all()
    # payout events sum to each logged trial's variable pay
    np.testing.assert_allclose(per_trial(events_of(r, "payout"), logged),
                               role_stat(r, "variable_pay")[:logged], rtol=1e-9, atol=1e-6)


def test_event_log_no_attrition(agree):
    """No attrition: every deal has an owner; won amounts sum to each rep's and trial's
    revenue; payouts to variable pay; no staffing or behaviour events."""
    r = agree[0]
    check_log_basics(r, AGREE_LOGGED)
    ev = r.events
    assert not ev["event"].isin(["hire", "exit", "pulled", "pushed"]).any()
    deals = ev[ev["event"].isin(["created", "stage", "won", "lost"])]
    assert (deals["rep"] != "").all()
    won = events_of(r, "won")
    assert (won["discount"] == 0).all()
    np.testing.assert_allclose(per_trial(won, AGREE_LOGGED),
                               role_stat(r, "revenue")[:AGREE_LOGGED], rtol=1e-12)
    by_rep = won.groupby(["trial", "rep"], observed=True)["amount"].sum()
    reps = r.reps[r.reps["trial"] < AGREE_LOGGED].set_index(["trial", "rep"])["revenue"]
    by_rep = by_rep.reindex(reps.index, fill_value=0.0)
    np.testing.assert_allclose(by_rep.to_numpy(), reps.to_numpy(), rtol=1e-12)


def test_event_log_opportunities_are_consistent(agree):
    """Deal by deal (a deal is known by its continuous lognormal amount), for 10 logged
    trials: opportunities created in the year move created -> stage propose -> stage close ->
    won, or stop with `lost` at the stage they fail, in time order, each resolved at most
    once, with one owner. Deals created before day 0 (the warm-up) are not logged as created;
    their `stage`/`won`/`lost` events are. The warm-up fills the pipeline: the deals resolved
    in the year without a `created` event (the day-0 pipeline) balance the deals created in
    the year still open at its end (the day-365 pipeline), within 4 SE of their Poisson
    difference."""
    ev = agree[0].events
    ev = ev[(ev["trial"] < 10) & ev["event"].isin(["created", "stage", "won", "lost"])]
    created = ev[ev["event"] == "created"]
    assert not created.duplicated(["trial", "amount"]).any()
    resolved = ev[ev["event"].isin(["won", "lost"])]
    assert not resolved.duplicated(["trial", "amount"]).any()  # resolved at most once
    keys = set(zip(created["trial"], created["amount"], strict=True))
    in_year = np.array([k in keys for k in zip(ev["trial"], ev["amount"], strict=True)])
    names = np.where(ev["event"] == "stage", "stage " + ev["stage"].astype(str),
                     np.where(ev["event"] == "lost", "lost " + ev["stage"].astype(str),
                              ev["event"].astype(str)))
    seq = pd.DataFrame({"trial": ev["trial"].to_numpy(), "amount": ev["amount"].to_numpy(),
                        "name": names, "rep": ev["rep"].astype(str).to_numpy()})[in_year]
    paths = seq.groupby(["trial", "amount"])["name"].agg(tuple)
    owners = seq.groupby(["trial", "amount"])["rep"].nunique()
    full = ("created", "stage propose", "stage close", "won")
    allowed = {full, full[:3], full[:2], full[:1], ("created", "lost qualify"),
               ("created", "stage propose", "lost propose"),
               ("created", "stage propose", "stage close", "lost close")}
    bad = paths[~paths.isin(allowed)]
    assert bad.empty, f"unexpected paths: {bad.head().to_dict()}"
    assert (owners == 1).all()
    # balance of the pipelines at day 0 and day 365
    opening = int(((ev["event"].isin(["won", "lost"])) & ~in_year).sum())
    closing = int(paths.map(lambda p: p[-1].startswith(("created", "stage"))).sum())
    assert opening > 100 and closing > 100  # about 4 open deals per rep
    assert abs(opening - closing) < Z * math.sqrt(opening + closing), (opening, closing)


def test_event_log_with_attrition_and_hires(staffed):
    """With attrition, backfill and hires: `hire`/`exit` per trial equal the reps frame's
    new hires and leavers; every won deal is credited, those won while the seat was empty
    (rep "") to the successor, so all `won` amounts sum to the trial's revenue; deals whose
    owner left with no successor due are `lost` at stage "owner left"."""
    r = staffed[0]
    check_log_basics(r, STAFF_LOGGED)
    reps = r.reps[r.reps["trial"] < STAFF_LOGGED]
    for event, col in (("hire", "new_hire"), ("exit", "left")):
        got = per_trial(events_of(r, event).assign(one=1), STAFF_LOGGED, "one")
        want = reps.groupby("trial")[col].sum().reindex(range(STAFF_LOGGED)).to_numpy()
        np.testing.assert_array_equal(got, want, err_msg=event)
        assert want.sum() > 0
    hired = events_of(r, "hire").set_index(["trial", "rep"]).index
    assert set(hired) == set(reps[reps["new_hire"]].set_index(["trial", "rep"]).index)
    won = events_of(r, "won")
    np.testing.assert_allclose(per_trial(won, STAFF_LOGGED),
                               role_stat(r, "revenue")[:STAFF_LOGGED], rtol=1e-12)
    assert (won["rep"] == "").any()  # inherited deals exist: the check above has teeth
    lost = events_of(r, "lost")
    owner_left = lost["stage"] == "owner left"
    assert owner_left.any() and (lost.loc[owner_left, "rep"] == "").all()


# ---- 4. timing: the hockey stick ---------------------------------------------------------

TIMING = {"window_days": 14, "reach": 0.3, "horizon_days": 45, "pull_share": 1.0,
          "discount": 0.1, "push_at_cap": True}
LONG_CLOSE = [*STAGES[:2], {"name": "negotiate", "days": 30, "to_next": 0.7}]
TIMING_REPS, TIMING_TRIALS = 40, 30
GATED = plan(commission(ACCELERATOR, threshold=0.5), period="quarter")
LINEAR_PLAN = plan(commission(LINEAR), period="quarter")


def timing_scenario(the_plan: dict, on: bool) -> Scenario:
    """A 30-day last stage, so that deals are in it at a window's start to be pulled."""
    return scenario(the_plan, TIMING_REPS, stages=LONG_CLOSE,
                    behavior={"timing": TIMING} if on else None)


@pytest.fixture(scope="module")
def timing_runs() -> dict[str, Results]:
    """Timing off (bookings do not depend on the plan then), on for the gated accelerator
    paid quarterly, on for a linear uncapped plan."""
    return {name: agents(timing_scenario(p, on), TIMING_TRIALS, logged=TIMING_TRIALS)
            for name, p, on in (("off", GATED, False), ("gated", GATED, True),
                                ("linear", LINEAR_PLAN, True))}


def in_window(days: np.ndarray, window: int = TIMING["window_days"]) -> np.ndarray:
    return np.any([(days >= e - window) & (days < e) for e in QUARTER_ENDS], axis=0)


def quarter_end_shares(r: Results) -> np.ndarray:
    """Per trial: share of won amounts closed in the last 14 days of a quarter."""
    won = events_of(r, "won")
    won = won.assign(late=won["amount"] * in_window(won["day"].to_numpy()))
    sums = won.groupby("trial")[["late", "amount"]].sum()
    return (sums["late"] / sums["amount"]).to_numpy()


def test_timing_builds_a_hockey_stick(timing_runs):
    """Share of won bookings (amount) in the last 14 days of each quarter. Measured (seed
    4242, 40 reps x 30 trials, TIMING above, 30-day last stage): 15.3 % with timing off
    (56/365 = 15.3 % expected; SE 0.3 points), 23.1 % with timing on (1,804 pulls; z = 15).
    Asserted: at least +5 points and z > 4."""
    off, on = quarter_end_shares(timing_runs["off"]), quarter_end_shares(timing_runs["gated"])
    assert abs(off.mean() - 4 * 14 / YEAR_DAYS) < 0.02  # flat: the window's share of days
    assert on.mean() - off.mean() >= 0.05, (off.mean(), on.mean())
    assert z_two(on, off) > Z


def test_timing_pulls_in_at_a_discount(timing_runs):
    """Every `pulled` event is logged at a quarter's window start and becomes one `won`
    deal at the stated discount, closing inside that window."""
    r = timing_runs["gated"]
    the_plan = timing_scenario(GATED, True).org.roles["ae"].plan
    assert the_plan.payout_period == "quarter"
    view = PlanView(the_plan, (("new_arr", EXPECTED),))
    assert view.edges == (0.5, 1.0) and view.cap == math.inf
    pulled, won = events_of(r, "pulled"), events_of(r, "won")
    assert len(pulled) > 100
    starts = [e - TIMING["window_days"] for e in QUARTER_ENDS]
    assert pulled["day"].apply(lambda d: any(abs(d - s) < 1e-9 for s in starts)).all()
    assert (pulled["rep"] != "").all()
    discounted = won[won["discount"] > 0]
    assert len(discounted) == len(pulled)
    np.testing.assert_allclose(discounted["discount"], TIMING["discount"])
    assert in_window(discounted["day"].to_numpy()).all()
    # pulled deals per trial and rep match their discounted wins
    a = pulled.groupby(["trial", "rep"], observed=True).size()
    b = discounted.groupby(["trial", "rep"], observed=True).size()
    pd.testing.assert_series_equal(a, b.reindex(a.index), check_names=False)
    # the won amount is the amount logged when the deal entered its last stage, less the
    # discount; a deal that entered it before day 0 has no such event (a few per thousand)
    entered = events_of(r, "stage")
    entered = entered[entered["stage"] == "negotiate"]
    matched = 0
    for t, d in discounted.groupby("trial"):
        full = np.sort(entered.loc[entered["trial"] == t, "amount"].to_numpy())
        want = d["amount"].to_numpy() / (1 - TIMING["discount"])
        i = np.clip(np.searchsorted(full, want), 1, full.size - 1)
        nearest = np.minimum(np.abs(full[i] - want), np.abs(full[i - 1] - want))
        matched += int((nearest <= 1e-9 * want).sum())
    assert matched >= 0.97 * len(discounted), (matched, len(discounted))
    assert not events_of(r, "pushed").size  # no cap


def test_timing_without_edges_changes_nothing(timing_runs):
    """A linear uncapped plan has no edge and no cap: no deal is pulled or pushed, and the
    quarter-end share is not different from timing off (|z| < 4; in fact identical)."""
    the_plan = timing_scenario(LINEAR_PLAN, True).org.roles["ae"].plan
    view = PlanView(the_plan, (("new_arr", EXPECTED),))
    assert view.edges == () and view.cap == math.inf
    r = timing_runs["linear"]
    assert not r.events["event"].isin(["pulled", "pushed"]).any()
    assert (events_of(r, "won")["discount"] == 0).all()
    lin, off = quarter_end_shares(r), quarter_end_shares(timing_runs["off"])
    se = math.sqrt(lin.var(ddof=1) / lin.size + off.var(ddof=1) / off.size)
    assert abs(lin.mean() - off.mean()) < Z * se
    assert abs(role_stat(r, "revenue").mean() / role_stat(timing_runs["off"], "revenue").mean()
               - 1) < 0.01


def test_timing_off_logs_no_behaviour(timing_runs):
    r = timing_runs["off"]
    assert not r.events["event"].isin(["pulled", "pushed"]).any()
    assert (events_of(r, "won")["discount"] == 0).all()


# ---- 5. pushing past the cap -------------------------------------------------------------

CAP = 1.2
CAP_REPS, CAP_TRIALS = 30, 30
CAP_QUOTA = 0.8 * EXPECTED  # mean attainment 1.25: about half the reps pass the cap


@pytest.fixture(scope="module")
def cap_runs() -> dict[bool, Results]:
    the_plan = plan(commission(LINEAR, cap=CAP))
    return {on: agents(scenario(the_plan, CAP_REPS, quota=CAP_QUOTA,
                                behavior={"timing": TIMING} if on else None),
                       CAP_TRIALS, logged=CAP_TRIALS) for on in (False, True)}


def test_push_past_the_cap(cap_runs):
    """Capped reps push their later deals past the year end: per trial, credited bookings
    fall by exactly the pushed amounts (the pushes use no random draws, so both runs share
    every draw; rtol 1e-9), and pay is unchanged (the cap is reached either way).
    Measured: 2,500 pushed deals, credit down 15.6 %."""
    off, on = cap_runs[False], cap_runs[True]
    the_plan = plan(commission(LINEAR, cap=CAP))
    view = PlanView(scenario(the_plan, 1).org.roles["ae"].plan, (("new_arr", CAP_QUOTA),))
    assert view.cap == pytest.approx(CAP) and view.edges == ()
    assert not events_of(off, "pushed").size
    pushed = events_of(on, "pushed")
    assert len(pushed) > 500
    drop = role_stat(off, "revenue") - role_stat(on, "revenue")
    np.testing.assert_allclose(drop, per_trial(pushed, CAP_TRIALS), rtol=1e-9)
    assert drop.sum() > 0.05 * role_stat(off, "revenue").sum()
    np.testing.assert_allclose(role_stat(on, "variable_pay"), role_stat(off, "variable_pay"),
                               rtol=1e-9)


def test_pushes_start_at_the_cap_date(cap_runs):
    """Rep by rep: the first push comes once the rep's won bookings reach cap x quota, the
    last won deal before it took them there, and nothing is won after it."""
    ev = cap_runs[True].events
    ev = ev[ev["event"].isin(["won", "pushed"])]
    n_capped = 0
    for (_, rep), d in ev.groupby(["trial", "rep"], observed=True):
        pushed = np.flatnonzero((d["event"] == "pushed").to_numpy())
        if not pushed.size:
            continue
        n_capped += 1
        first = pushed[0]
        kinds = d["event"].to_numpy()
        assert (kinds[first:] == "pushed").all(), rep
        booked = d["amount"].to_numpy()[:first].sum()
        assert booked >= CAP * CAP_QUOTA * (1 - 1e-9)
        assert booked - d["amount"].to_numpy()[first - 1] < CAP * CAP_QUOTA * (1 + 1e-9)
    assert n_capped > 0.3 * CAP_REPS * CAP_TRIALS


# ---- 6. giving up ------------------------------------------------------------------------

def test_giving_up_under_a_higher_quota():
    """Quota +40 %: Monte Carlo bookings are identical (they do not depend on quota), as are
    the agent engine's with every behaviour off; with giving_up on, agent bookings drop.
    Asserted: drop >= 8 % and z > 4. Measured: 13.94 M -> 11.55 M per trial, -17.1 %
    (z = 7.8); with the behaviour off 15.04 M at either quota."""
    the_plan = plan(commission([{"upto": 1.0, "rate": 1.0}, {"rate": 1.5}]))
    n, trials = 30, 40
    runs = {}
    for q in (1.0, 1.4):
        for b in (None, {"giving_up": {"below_probability": 0.1, "effort": 0.5,
                                       "from_month": 3}}):
            s = scenario(the_plan, n, quota=q * EXPECTED, behavior=b)
            runs[q, b is not None] = agents(s, trials)
            if b is None:
                runs[q, "mc"] = montecarlo(s, trials)
    assert np.array_equal(role_stat(runs[1.0, "mc"], "revenue"),
                          role_stat(runs[1.4, "mc"], "revenue"))
    assert np.array_equal(role_stat(runs[1.0, False], "revenue"),
                          role_stat(runs[1.4, False], "revenue"))
    base, high = role_stat(runs[1.0, True], "revenue"), role_stat(runs[1.4, True], "revenue")
    assert 1 - high.mean() / base.mean() >= 0.08, (base.mean(), high.mean())
    assert z_two(base, high) > Z
    # reps who give up book less than the behaviour-off engine even at the base quota
    assert base.mean() < role_stat(runs[1.0, False], "revenue").mean()


# ---- 7. quitting ------------------------------------------------------------------------

def test_quitting_when_pay_is_cut():
    """Commission rate halved: projected earnings fall below 80 % of OTE for most reps, so
    their exit hazard is 2.5x. Asserted: mean leavers higher, z > 3, and by 30 %. Measured:
    10.4 -> 17.8 leavers per trial (40 seats, 20 % a year, z = 10.4)."""
    leavers = {}
    for rate in (1.0, 0.5):
        s = scenario(plan(commission([{"rate": rate}])), 40, stages=[], lam=1.0,
                     quota=EXPECTED / LAM,  # mean attainment 1: full pay at rate 1
                     attrition={"annual": 0.2, "backfill_months": 3},
                     behavior={"quitting": {"below_ote_share": 0.8, "hazard_multiplier": 2.5,
                                            "top_share": 0.1, "poach_annual": 0.15}})
        leavers[rate] = role_stat(agents(s, 40), "leavers")
    assert z_two(leavers[0.5], leavers[1.0]) > 3, (leavers[1.0].mean(), leavers[0.5].mean())
    assert leavers[0.5].mean() > 1.3 * leavers[1.0].mean()


# ---- 8. effort ---------------------------------------------------------------------------

def test_effort_follows_a_steeper_accelerator():
    """Above-quota rate 3 instead of 1.5: reps expecting to pass quota work harder
    (effort (3 / 1)^0.3 = 1.39 instead of 1.5^0.3 = 1.13). Quota 0.9 x mean bookings:
    asserted total bookings higher, z > 4 and by at least 5 %; measured +20 % (z = 9.9).
    Control, quota 6 x mean bookings: nobody expects to reach the accelerator, effort stays
    1 under both plans and bookings are identical (the runs share every draw). (At 3 x, a
    rare lucky rep can expect to pass quota late in the year: then effort differs.)"""
    out = {}
    for quota in (0.9, 6.0):
        for top in (1.5, 3.0):
            s = scenario(plan(commission([{"upto": 1.0, "rate": 1.0}, {"rate": top}])), 30,
                         quota=quota * EXPECTED,
                         behavior={"effort": {"elasticity": 0.3, "min_effort": 0.6,
                                              "max_effort": 1.4}})
            out[quota, top] = role_stat(agents(s, 40), "revenue")
    base, steep = out[0.9, 1.5], out[0.9, 3.0]
    assert z_two(steep, base) > Z
    assert steep.mean() / base.mean() - 1 >= 0.05, (base.mean(), steep.mean())
    np.testing.assert_array_equal(out[6.0, 1.5], out[6.0, 3.0])


# ---- 9. reproducibility -----------------------------------------------------------------

@pytest.fixture(scope="module")
def busy_scenario() -> Scenario:
    """Every behaviour on, attrition, backfill and hires: every code path draws."""
    return scenario(plan(commission(ACCELERATOR, threshold=0.5), period="quarter"), 12,
                    stages=LONG_CLOSE, hires=[{"month": 4, "count": 3}],
                    attrition={"annual": 0.3, "backfill_months": 2},
                    behavior={"timing": TIMING, "effort": {}, "giving_up": {},
                              "quitting": {}})


def assert_same_results(a: Results, b: Results) -> None:
    assert a.trial.keys() == b.trial.keys()
    for k in a.trial:
        np.testing.assert_array_equal(a.trial[k], b.trial[k], err_msg=k)
    for k in a.period:
        np.testing.assert_array_equal(a.period[k], b.period[k], err_msg=k)
    for k in a.histograms:
        np.testing.assert_array_equal(a.histograms[k], b.histograms[k], err_msg=k)
    pd.testing.assert_frame_equal(a.reps, b.reps)


def test_same_seed_same_results(busy_scenario):
    a = agents(busy_scenario, 6, logged=6)
    b = agents(busy_scenario, 6, logged=6, seed=busy_scenario.seed)
    assert a.engine == "agents" and a.seed == b.seed == busy_scenario.seed
    assert_same_results(a, b)
    pd.testing.assert_frame_equal(a.events, b.events)
    assert a.events["event"].isin(["pulled", "exit", "hire"]).any()
    # logging fewer trials (or none) changes no number, only what is logged
    c = agents(busy_scenario, 6, logged=2)
    assert_same_results(a, c)
    pd.testing.assert_frame_equal(c.events, a.events[a.events["trial"] < 2]
                                  .reset_index(drop=True), check_categorical=False)
    d = agents(busy_scenario, 6, logged=0)
    assert_same_results(a, d)
    assert d.events.empty and list(d.events.columns) == list(EVENT_COLUMNS)
    # the first trials do not depend on how many follow
    e = agents(busy_scenario, 3)
    for k in a.trial:
        np.testing.assert_array_equal(a.trial[k][:3], e.trial[k], err_msg=k)


def test_different_seed_different_results(busy_scenario):
    a = agents(busy_scenario, 4, logged=4)
    b = agents(busy_scenario, 4, logged=4, seed=busy_scenario.seed + 1)
    assert b.seed == busy_scenario.seed + 1
    assert not np.array_equal(a.trial["revenue"], b.trial["revenue"])
    assert not np.array_equal(a.trial["variable_pay"], b.trial["variable_pay"])
    assert len(a.events) != len(b.events) or not a.events["amount"].equals(b.events["amount"])


# ---- 10. the CLI ------------------------------------------------------------------------

def test_cli_simulate_with_agents(tmp_path, capsys):
    out = tmp_path / "acme_agents"
    rc = main(["simulate", str(ACME), "--engine", "agents", "--trials", "4", "--out", str(out),
               "--no-progress"])
    assert rc == 0
    assert (out / "events.parquet").stat().st_size > 0
    assert "events" in capsys.readouterr().out
    loaded = Results.load(out)
    assert loaded.engine == "agents" and loaded.n_trials == 4
    assert json.loads((out / "meta.json").read_text())["tables"]["events"]["rows"] == \
        len(loaded.events)
    direct = simulate_agents(load_scenario(ACME, trials=4), progress=False)
    for k in direct.trial:
        np.testing.assert_array_equal(loaded.trial[k], direct.trial[k], err_msg=k)
    ev = loaded.events
    assert list(ev.columns) == list(EVENT_COLUMNS)
    assert set(ev["trial"]) == set(range(4))
    assert {"created", "stage", "won", "lost", "hire", "exit", "payout"} <= set(ev["event"])
    assert set(ev["role"]) == {"ent_ae", "smb_ae", "account_mgr"}  # payouts for every role
    # Parquet stores the date at millisecond resolution (datetime64[s] in memory)
    np.testing.assert_array_equal(ev["date"].to_numpy(),
                                  direct.events["date"].to_numpy().astype(ev["date"].dtype))
    pd.testing.assert_frame_equal(ev.drop(columns="date"), direct.events.drop(columns="date"),
                                  check_categorical=False)


def test_cli_agents_need_a_pipeline_role(tmp_path, capsys):
    """An attainment-only scenario: exit code 2, the error names the pipeline model."""
    tree = {"scenario": "attainment only", "seed": 1, "trials": 4,
            "org": {"roles": {"am": {"headcount": 5, "plan": plan(commission(LINEAR)),
                                     "quota": {"new_arr": 500_000}}}},
            "market": {"am": {"model": "attainment",
                              "measures": {"new_arr": {"type": "normal", "mean": 1.0,
                                                       "sd": 0.2}}}}}
    path = tmp_path / "attainment_only.yaml"
    path.write_text(json.dumps(tree))  # JSON is YAML
    out = tmp_path / "out"
    rc = main(["simulate", str(path), "--engine", "agents", "--out", str(out),
               "--no-progress"])
    assert rc == 2
    err = capsys.readouterr().err
    assert "pipeline" in err and "agent engine" in err
    assert not (out / "meta.json").exists()
    # the Monte Carlo engine takes the same scenario
    assert main(["simulate", str(path), "--out", str(out), "--no-progress"]) == 0
