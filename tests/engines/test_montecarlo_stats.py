"""Statistical checks of the Monte Carlo engine against closed forms.

Every scenario here is small and stated inline, so each expectation has a closed form.
Each statistical assertion allows a multiple of the standard error (SE) that is stated
next to it; with a fixed seed the outcome is deterministic, and a correct engine misses a
4-SE band with probability about 6e-5 per check. Deterministic identities (pay = rate x
credit, start of a successor = exit + delay, ...) are checked to float precision.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from spmsim.engines import simulate
from spmsim.engines.results import Results
from spmsim.model.scenario import load_scenario, scenario_from_tree

Z = 4.0  # tolerance in standard errors for every statistical check
YEAR_START = "2027-01-01"
DAYS_2027 = 365
RAMP = {"months": 3, "curve": "linear", "start": 0.0}
MONTH_DAYS_2027 = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def month_rates(season: list[float] | None = None) -> np.ndarray:
    """Bookings rate of each month relative to the year's average: the seasonality weights
    are rates per day, so each month also counts by its days (mean 1 over the months)."""
    w = np.ones(12) if season is None else np.asarray(season, dtype=float)
    return 12 * w * MONTH_DAYS_2027 / (w * MONTH_DAYS_2027).sum()


# ---- building scenarios ---------------------------------------------------------------

def plan(*components: dict, ote: float = 100_000.0, base_share: float = 0.5) -> dict:
    return {"plan": "Test plan", "ote": ote, "base_share": base_share,
            "year_start": YEAR_START, "components": list(components)}


def percent_commission(rate: float, measure: str = "new_arr") -> dict:
    return {"name": "Commission", "type": "commission", "measure": measure,
            "rates": "percent", "tier_basis": "amount", "tiers": [{"rate": rate}]}


def multiplier_commission(tiers: list[dict], weight: float = 1.0, cap: float | None = None,
                          measure: str = "new_arr") -> dict:
    c = {"name": "Commission", "type": "commission", "measure": measure, "weight": weight,
         "rates": "multiplier", "tier_basis": "attainment", "tiers": tiers}
    if cap is not None:
        c["cap"] = {"of_target": cap}
    return c


def count_spiff(measure: str = "deals") -> dict:
    """Pays 1 per deal credited to `measure` in every month: variable pay = deal count."""
    return {"name": "Deal count", "type": "spiff", "measure": measure, "per_unit": 1.0}


def pipeline(lam: float, median: float, sigma: float, season: list[float] | None = None,
             count_as: str | None = None) -> dict:
    stream = {"deals_per_month": lam, "size": {"median": median, "sigma": sigma}}
    if count_as:
        stream["count_as"] = count_as
    market = {"model": "pipeline", "measures": {"new_arr": stream}}
    if season is not None:
        market["seasonality"] = season
    return market


def attainment(dist: dict, season: list[float] | None = None) -> dict:
    market = {"model": "attainment", "measures": {"new_arr": dist}}
    if season is not None:
        market["seasonality"] = season
    return market


def scenario(roles: dict[str, dict], markets: dict[str, dict], seed: int = 12345,
             trials: int = 100):
    return scenario_from_tree({"scenario": "stats test", "seed": seed, "trials": trials,
                               "org": {"roles": roles}, "market": markets})


def role(the_plan: dict, headcount: int, quota: float = 1_000_000.0, **extra) -> dict:
    return {"headcount": headcount, "plan": the_plan, "quota": {"new_arr": quota}, **extra}


def run(s, trials: int, seed: int | None = None) -> Results:
    return simulate(s, trials=trials, seed=seed, progress=False, workers=2)


def mean_within(sample: np.ndarray, expected: float, se: float, what: str) -> None:
    z = (float(np.mean(sample)) - expected) / se
    assert abs(z) < Z, f"{what}: mean {np.mean(sample):.6g}, expected {expected:.6g}, z = {z:.2f}"


# ---- 1. compound Poisson-lognormal annual credit ----------------------------------------

LAM, MEDIAN, SIGMA = 2.0, 10_000.0, 0.8
PIPE_REPS, PIPE_TRIALS = 50, 2000  # 100,000 rep-years
MU = math.log(MEDIAN)
EX = math.exp(MU + SIGMA ** 2 / 2)  # E[X], a deal's mean size
EX2 = math.exp(2 * MU + 2 * SIGMA ** 2)  # E[X^2]
EX4 = math.exp(4 * MU + 8 * SIGMA ** 2)  # E[X^4]
N_DEALS = 12 * LAM  # Poisson mean of a rep's deals in the year
RATE = 0.08


@pytest.fixture(scope="module")
def flat_pipeline() -> Results:
    """One role of steady reps, flat season, no skill, attrition or ramp; pays 8 % of credit."""
    s = scenario({"ae": role(plan(percent_commission(RATE)), PIPE_REPS)},
                 {"ae": pipeline(LAM, MEDIAN, SIGMA)})
    return run(s, PIPE_TRIALS)


def test_compound_poisson_lognormal_mean_and_variance(flat_pipeline):
    """S = sum of N ~ Poisson(12 lam) lognormal deals: E S = 12 lam E X, Var S = 12 lam E X^2."""
    rev = flat_pipeline.reps["revenue"].to_numpy()
    n = rev.size
    assert n == PIPE_REPS * PIPE_TRIALS
    mean, var = N_DEALS * EX, N_DEALS * EX2
    # SE of the sample mean: sqrt(Var S / n).
    mean_within(rev, mean, math.sqrt(var / n), "annual revenue per rep")
    # SE of the sample variance: Var(s^2) ~ kappa4 / n + 2 Var^2 / (n - 1), where the fourth
    # cumulant of a compound Poisson sum is kappa4 = 12 lam E[X^4].
    kappa4 = N_DEALS * EX4
    se_var = math.sqrt(kappa4 / n + 2 * var ** 2 / (n - 1))
    z = (rev.var(ddof=1) - var) / se_var
    assert abs(z) < Z, f"variance {rev.var(ddof=1):.6g}, expected {var:.6g}, z = {z:.2f}"
    # the trial totals are the sums of the reps
    totals = flat_pipeline.reps.groupby("trial")["revenue"].sum().to_numpy()
    np.testing.assert_allclose(flat_pipeline.trial["revenue"][:, 0], totals, rtol=1e-12)


def test_annual_deal_count_is_poisson():
    """A per-deal SPIF of 1 makes variable pay the deal count: Poisson, mean = variance."""
    s = scenario({"ae": role(plan(count_spiff()), PIPE_REPS)},
                 {"ae": pipeline(LAM, MEDIAN, SIGMA, count_as="deals")})
    counts = run(s, 1000).reps["variable_pay"].to_numpy()
    n = counts.size
    assert np.array_equal(counts, np.round(counts))
    # mean: SE sqrt(m / n); variance: Var(s^2) ~ (kappa4 + 2 m^2) / n with kappa4 = m.
    mean_within(counts, N_DEALS, math.sqrt(N_DEALS / n), "deals per rep-year")
    se_var = math.sqrt((N_DEALS + 2 * N_DEALS ** 2) / n)
    z = (counts.var(ddof=1) - N_DEALS) / se_var
    assert abs(z) < Z, f"deal-count variance {counts.var(ddof=1):.4f}, z = {z:.2f}"


# ---- 2. deals per month follow the seasonality -------------------------------------------

SEASONS = {
    "uneven": [0.5, 0.7, 1.4, 0.8, 0.9, 1.6, 0.6, 0.8, 1.3, 0.9, 1.0, 2.0],
    # zero weights leave the 4,096-bin lookup for the exact search; those months get nothing
    "zero_months": [0.0, 1.0, 2.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 3.0, 1.0, 1.0],
}


@pytest.mark.parametrize("season", list(SEASONS.values()), ids=list(SEASONS))
def test_monthly_deal_counts_follow_seasonality(season):
    """Steady reps (one yearly Poisson draw split over months), mid-year hires (a Poisson
    draw per month) and a role with both book deals in month m at rate
    lam x month_rates(season)_m per rep in seat."""
    reps, trials, lam = 40, 500, 1.5
    market = pipeline(lam, MEDIAN, SIGMA, season=season, count_as="deals")
    s = scenario({"steady": role(plan(count_spiff()), reps),
                  "hired": role(plan(count_spiff()), 0, hires=[{"month": 2, "count": reps}]),
                  "mixed": role(plan(count_spiff()), reps, hires=[{"month": 2, "count": reps}])},
                 {"steady": market, "hired": market, "mixed": market})
    r = run(s, trials)
    w = month_rates(season)
    from_feb = (np.arange(12) >= 1).astype(float)
    for g, in_seat in (("steady", 1.0), ("hired", from_feb), ("mixed", 1.0 + from_feb)):
        counts = r.period["variable_pay"][:, r.groups.index(g), :].sum(axis=0)
        expected = trials * reps * lam * w * in_seat
        zero = expected == 0
        assert np.all(counts[zero] == 0), f"{g}: deals in months with no weight or no reps"
        # per month: the total is Poisson, SE = sqrt(expected)
        z = (counts[~zero] - expected[~zero]) / np.sqrt(expected[~zero])
        assert np.all(np.abs(z) < Z), f"{g}: monthly z-scores {np.round(z, 2)}"
        # all months together: chi-square of the split given the total, df = months - 1
        f_exp = expected[~zero] * counts.sum() / expected.sum()
        chi2 = stats.chisquare(counts[~zero], f_exp)
        assert chi2.pvalue > 1e-4, f"{g}: chi-square {chi2.statistic:.1f}, p {chi2.pvalue:.2g}"


# ---- 3. linear uncapped commission -------------------------------------------------------

def test_linear_percent_commission_pays_rate_times_credit(flat_pipeline):
    reps = flat_pipeline.reps
    # per rep, exactly: the YTD true-up pays rate x annual credit in total
    np.testing.assert_allclose(reps["variable_pay"], RATE * reps["revenue"], rtol=1e-9)
    # in expectation: rate x 12 lam E X, SE = rate x sqrt(Var S / n)
    n = len(reps)
    mean_within(reps["variable_pay"].to_numpy(), RATE * N_DEALS * EX,
                RATE * math.sqrt(N_DEALS * EX2 / n), "variable pay per rep")
    trial_pay = flat_pipeline.trial["variable_pay"][:, 0]
    mean_within(trial_pay, PIPE_REPS * RATE * N_DEALS * EX,
                RATE * math.sqrt(PIPE_REPS * N_DEALS * EX2 / PIPE_TRIALS),
                "variable pay per trial")


@pytest.mark.parametrize("period", ["month", "quarter", "year"])
def test_linear_commission_with_turnover_any_payout_period(period):
    """With hires, attrition, backfill and ramp, pay is still rate x credit per rep, paid at
    the end of each payout period on that period's credit."""
    the_plan = plan(percent_commission(RATE)) | {"payout_period": period}
    r = role(the_plan, 30, hires=[{"month": 5, "count": 5}], ramp=RAMP,
             attrition={"annual": 0.4, "backfill_months": 1.5})
    res = run(scenario({"ae": r}, {"ae": pipeline(LAM, MEDIAN, SIGMA)}), 200)
    reps = res.reps
    assert reps["new_hire"].any() and reps["left"].any()
    np.testing.assert_allclose(reps["variable_pay"], RATE * reps["revenue"], rtol=1e-9)
    step = {"month": 1, "quarter": 3, "year": 12}[period]
    pay, revenue = res.period["variable_pay"][:, 0, :], res.period["revenue"][:, 0, :]
    paid_in = np.zeros(12, dtype=bool)
    paid_in[step - 1::step] = True
    assert np.all(pay[:, ~paid_in] == 0)
    np.testing.assert_allclose(pay[:, paid_in],
                               RATE * revenue.reshape(-1, 12 // step, step).sum(-1), rtol=1e-9)


# ---- 4. capped linear plan under normal attainment ---------------------------------------

def test_capped_linear_plan_under_normal_attainment():
    m, sd, cap, weight, headcount, trials = 1.0, 0.4, 1.25, 0.8, 50, 1000
    the_plan = plan(multiplier_commission([{"rate": 1.0}], weight=weight, cap=cap))
    s = scenario({"ae": role(the_plan, headcount)},
                 {"ae": attainment({"type": "normal", "mean": m, "sd": sd})})
    reps = run(s, trials).reps
    target = 100_000.0 * 0.5 * weight
    pay = reps["variable_pay"].to_numpy()
    # per rep, exactly: target x min(attainment, cap)
    np.testing.assert_allclose(pay, target * np.minimum(reps["attainment"], cap), rtol=1e-9)
    # A = max(X, 0), X ~ N(m, sd): E min(A, c) = E X+ - E (X - c)+, each a partial expectation
    def above(k: float) -> float:  # E (X - k)+
        d = (m - k) / sd
        return (m - k) * stats.norm.cdf(d) + sd * stats.norm.pdf(d)
    expected = target * (above(0.0) - above(cap))
    # SE of the mean from the sample sd of pay
    mean_within(pay, expected, pay.std(ddof=1) / math.sqrt(pay.size), "capped pay per rep")
    assert (reps["attainment"] > cap).mean() > 0.2  # the cap binds often: the test has teeth


# ---- 5. accelerators make expected cost exceed TI ----------------------------------------

def test_accelerator_convexity():
    headcount, trials, cv = 20, 300, 0.3
    ti = 100_000.0 * 0.5
    the_plan = plan(multiplier_commission([{"upto": 1.0, "rate": 1.0}, {"rate": 2.0}]))
    s = scenario({"ae": role(the_plan, headcount)},
                 {"ae": attainment({"type": "lognormal", "mean": 1.0, "cv": cv})})
    r = run(s, trials)
    total = r.trial["variable_pay"][:, 0]
    se = total.std(ddof=1) / math.sqrt(trials)  # SE of the mean cost per trial
    z = (total.mean() - headcount * ti) / se
    assert z > Z, f"cost {total.mean():,.0f} vs headcount x TI {headcount * ti:,.0f}: z = {z:.2f}"
    # closed form: pay / TI = A + (A - 1)+ and for a mean-1 lognormal E (A - 1)+ =
    # 2 Phi(sigma / 2) - 1, so E pay = TI x 2 Phi(sigma / 2)
    sigma = math.sqrt(math.log1p(cv ** 2))
    mean_within(total, headcount * ti * 2 * stats.norm.cdf(sigma / 2), se, "accelerated cost")


# ---- 6. skill spread ---------------------------------------------------------------------

def test_skill_spread_keeps_mean_and_widens_attainment():
    headcount, trials, cv, skill = 50, 1000, 0.3, 0.4
    quota = 1_000_000.0
    market = {"ae": attainment({"type": "lognormal", "mean": 1.0, "cv": cv})}
    runs = {}
    for sigma in (0.0, skill):
        s = scenario({"ae": role(plan(percent_commission(0.1)), headcount, quota,
                                 skill_sigma=sigma)}, market)
        runs[sigma] = run(s, trials).reps
    flat, spread = runs[0.0], runs[skill]
    assert (flat[["trial", "rep"]].to_numpy() == spread[["trial", "rep"]].to_numpy()).all()
    n = len(spread)
    rev = spread["revenue"].to_numpy()
    # mean revenue = quota x E A x E skill = quota; SE from the sample sd
    mean_within(rev, quota, rev.std(ddof=1) / math.sqrt(n), "revenue with skill spread")
    # common random numbers: the same attainment draws, so the paired difference isolates
    # the skill factor; its mean is 0 (E skill = 1), SE from the sd of the differences
    diff = rev - flat["revenue"].to_numpy()
    mean_within(diff, 0.0, diff.std(ddof=1) / math.sqrt(n), "revenue change from skill")
    factor = rev / flat["revenue"].to_numpy()  # each rep's skill, lognormal(-s^2/2, s)
    mean_within(factor, 1.0, math.sqrt(math.expm1(skill ** 2) / n), "mean skill")
    # log attainment is normal: variance log(1 + cv^2) without skill, plus skill^2 with it;
    # SE of a normal sample variance v is v sqrt(2 / (n - 1))
    base = math.log1p(cv ** 2)
    for reps, v in ((flat, base), (spread, base + skill ** 2)):
        logs = np.log(reps["attainment"].to_numpy())
        z = (logs.var(ddof=1) - v) / (v * math.sqrt(2 / (n - 1)))
        assert abs(z) < Z, f"log-variance {logs.var(ddof=1):.5f}, expected {v:.5f}, z = {z:.2f}"
    assert np.log(spread["attainment"]).var() > np.log(flat["attainment"]).var()


# ---- 7. attrition, backfill, hires and ramp ----------------------------------------------

ANNUAL, BACKFILL = 0.3, 2.0


def to_months(share_of_days: np.ndarray) -> np.ndarray:
    """Months from the year's start after a given share of its days (2027)."""
    ends = np.concatenate([[0.0], np.cumsum(MONTH_DAYS_2027)]) / DAYS_2027
    return np.interp(share_of_days, ends, np.arange(13.0))


@pytest.fixture(scope="module")
def attrition_reps() -> pd.DataFrame:
    """Deterministic attainment 1.0, flat season, no ramp: a rep's revenue / quota is the
    share of the year's days they were in seat, a clock to read starts and exits from
    (`to_months` turns a share of days from the year's start into months)."""
    headcount, trials = 200, 100
    r = role(plan(percent_commission(0.1)), headcount,
             attrition={"annual": ANNUAL, "backfill_months": BACKFILL})
    s = scenario({"ae": r}, {"ae": attainment({"type": "normal", "mean": 1.0, "sd": 0.0})})
    reps = run(s, trials).reps.copy()
    reps["share"] = reps["revenue"] / 1_000_000.0
    reps["months"] = to_months(reps["share"].to_numpy())
    reps["seat"] = reps["rep"].str.split(".").str[0]
    reps["successor"] = reps["rep"].str.contains(".", regex=False)
    return reps


def test_attrition_share_of_incumbents_leaving(attrition_reps):
    inc = attrition_reps[~attrition_reps["successor"]]
    assert len(inc) == 200 * 100  # every incumbent is in seat on day one
    assert not inc["new_hire"].any()
    # binomial: SE = sqrt(p (1 - p) / n)
    mean_within(inc["left"].to_numpy(float), ANNUAL,
                math.sqrt(ANNUAL * (1 - ANNUAL) / len(inc)), "share of incumbents leaving")
    # a stayer was in seat 12 months, a leaver fewer
    np.testing.assert_allclose(inc.loc[~inc["left"], "months"], 12.0, rtol=1e-9)
    assert (inc.loc[inc["left"], "months"] < 12.0).all()


def test_successors_start_backfill_months_after_the_exit(attrition_reps):
    reps = attrition_reps
    inc = reps[~reps["successor"]].set_index(["trial", "seat"])
    succ = reps[reps["successor"]].set_index(["trial", "seat"])
    assert succ["new_hire"].all()
    # a successor is in seat exactly when the incumbent left before 12 - backfill months
    refilled = inc["left"] & (inc["months"] < 12.0 - BACKFILL)
    assert set(succ.index) == set(refilled[refilled].index)
    # and, when the successor stays, starts BACKFILL months after the exit
    exit_ = inc.loc[succ.index, "months"]
    stayed = ~succ["left"]
    start = pd.Series(to_months(1.0 - succ["share"].to_numpy()), index=succ.index)
    np.testing.assert_allclose((start - exit_)[stayed], BACKFILL, atol=1e-9)
    # share of seats refilled: P(exit < 12 - b) = 1 - (1 - annual)^((12 - b) / 12), binomial SE
    p = 1 - (1 - ANNUAL) ** ((12 - BACKFILL) / 12)
    mean_within(refilled.to_numpy(float), p, math.sqrt(p * (1 - p) / len(refilled)),
                "share of seats refilled")
    # successors leave at the same monthly hazard, over the rest of the year after their
    # start: leavers ~ sum of Bernoulli(p_i), SE = sqrt(sum p_i (1 - p_i))
    p_i = 1 - (1 - ANNUAL) ** ((12 - (exit_ + BACKFILL)) / 12)
    se = math.sqrt(float((p_i * (1 - p_i)).sum()))
    z = (succ["left"].sum() - p_i.sum()) / se
    assert abs(z) < Z, f"successor leavers {succ['left'].sum()} vs {p_i.sum():.1f}, z = {z:.2f}"


HIRE_MONTH, HIRES = 4, 3
APRIL_TO_DECEMBER = DAYS_2027 - (31 + 28 + 31)  # 275 days on the plan
# linear ramp from 0 over 3 months, taken at the middle of each month of tenure
RAMPED_HIRES = 40  # pipeline hires whose deal counts are checked month by month
RAMP_FACTORS = np.array([0.5 / 3, 1.5 / 3, 2.5 / 3, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])


@pytest.fixture(scope="module")
def hires_run() -> Results:
    hires = [{"month": HIRE_MONTH, "count": HIRES}]
    fixed = attainment({"type": "normal", "mean": 1.0, "sd": 0.0})
    s = scenario(
        {"plain": role(plan(percent_commission(0.1)), 0, hires=hires),
         "ramped": role(plan(percent_commission(0.1)), 0, hires=hires, ramp=RAMP),
         "ramped_deals": role(plan(count_spiff()), 0, ramp=RAMP,
                              hires=[{"month": HIRE_MONTH, "count": RAMPED_HIRES}])},
        {"plain": fixed, "ramped": fixed,
         "ramped_deals": pipeline(LAM, MEDIAN, SIGMA, count_as="deals")})
    return run(s, 500)


def test_hires_year_share_and_flags(hires_run):
    reps = hires_run.reps
    plain = reps[reps["role"] == "plain"]
    assert len(plain) == HIRES * hires_run.n_trials
    assert plain["new_hire"].all() and not plain["left"].any()
    # day-weighted: 275 of 365 days, about 9/12
    np.testing.assert_allclose(plain["year_share"], APRIL_TO_DECEMBER / DAYS_2027, rtol=1e-12)
    assert np.all(np.abs(plain["year_share"] - 9 / 12) < 0.01)
    g = hires_run.groups.index("plain")
    fte = hires_run.period["fte"][:, g, :]
    assert np.all(fte[:, :HIRE_MONTH - 1] == 0) and np.all(fte[:, HIRE_MONTH - 1:] == HIRES)
    # TI and OTE are prorated by the same share
    np.testing.assert_allclose(plain["on_target_incentive"], 50_000 * plain["year_share"])


def test_ramp_scales_credit_in_the_first_months(hires_run):
    r = hires_run
    months = slice(HIRE_MONTH - 1, 12)
    # deterministic attainment: monthly revenue is quota x days / 365 x ramp factor, exactly
    plain = r.period["revenue"][:, r.groups.index("plain"), :]
    ramped = r.period["revenue"][:, r.groups.index("ramped"), :]
    assert np.all(plain[:, :HIRE_MONTH - 1] == 0) and np.all(ramped[:, :HIRE_MONTH - 1] == 0)
    np.testing.assert_allclose(plain[:, months],
                               np.broadcast_to(HIRES * 1_000_000 * MONTH_DAYS_2027[months] / 365,
                                               plain[:, months].shape), rtol=1e-12)
    np.testing.assert_allclose(ramped[:, months] / plain[:, months],
                               np.broadcast_to(RAMP_FACTORS, ramped[:, months].shape),
                               rtol=1e-12)
    # pipeline: deals per month are Poisson(hires x trials x lam x ramp factor),
    # SE = sqrt(expected)
    assert (r.reps["role"] == "ramped_deals").sum() == RAMPED_HIRES * r.n_trials
    g = r.groups.index("ramped_deals")
    monthly = r.period["variable_pay"][:, g, :].sum(axis=0)  # pays 1 per deal
    assert np.all(monthly[:HIRE_MONTH - 1] == 0)
    expected = RAMPED_HIRES * r.n_trials * LAM * RAMP_FACTORS * month_rates()[months]
    z = (monthly[months] - expected) / np.sqrt(expected)
    assert np.all(np.abs(z) < Z), f"ramped deal counts: z-scores {np.round(z, 2)}"


def test_hire_drawn_at_quota_is_at_quota():
    hires = [{"month": HIRE_MONTH, "count": HIRES}]
    the_plan = plan(multiplier_commission([{"rate": 1.0}]))
    s = scenario({"ae": role(the_plan, 0, hires=hires)},
                 {"ae": attainment({"type": "normal", "mean": 1.0, "sd": 0.0})})
    r = run(s, 2)
    reps = r.reps
    np.testing.assert_allclose(reps["attainment"], 1.0, rtol=1e-9)
    np.testing.assert_allclose(reps["variable_pay"], reps["on_target_incentive"], rtol=1e-9)
    assert np.all(r.trial["at_quota"] == HIRES)


# ---- 8. summary metrics against the reps frame -------------------------------------------

@pytest.fixture(scope="module")
def acme() -> Results:
    return run(load_scenario("scenarios/acme_baseline.yaml"), 200)


def _group_reps(r: Results, group: str) -> pd.DataFrame:
    """The rows of the reps frame that make up a group (a role, or `all`)."""
    return r.reps if group == "all" else r.reps[r.reps["role"] == group]


def test_trial_figures_match_the_reps_frame(acme):
    r = acme
    for gi, group in enumerate(r.groups):
        reps = _group_reps(r, group)
        by = reps.groupby("trial")
        idx = np.arange(r.n_trials)
        assert np.array_equal(by.size().reindex(idx, fill_value=0), r.trial["reps"][:, gi])
        for col, stat in (("revenue", "revenue"), ("variable_pay", "variable_pay"),
                          ("base_pay", "base_pay"), ("year_share", "fte"),
                          ("on_target_incentive", "on_target_incentive")):
            np.testing.assert_allclose(by[col].sum().reindex(idx), r.trial[stat][:, gi],
                                       rtol=1e-9, err_msg=f"{group} {stat}")
        leavers = by["left"].sum().reindex(idx)
        assert np.array_equal(leavers, r.trial["leavers"][:, gi])
        # share at quota: reps with attainment >= 1 (within the engine's 1e-9 edge tolerance)
        at_quota = (reps["attainment"] >= 1 - 1e-9).groupby(reps["trial"]).sum().reindex(idx)
        assert np.array_equal(at_quota, r.trial["at_quota"][:, gi]), group
        tf = r.trials_frame()
        share = tf.loc[tf["group"] == group, "share_at_quota"].to_numpy()
        np.testing.assert_allclose(share, at_quota / by.size().reindex(idx), rtol=1e-12)
        # per-trial percentiles: numpy's linear percentile over the trial's reps
        for q in (10, 50, 90):
            att = by["attainment"].apply(lambda a, q=q: np.percentile(a, q)).reindex(idx)
            np.testing.assert_allclose(att, r.trial[f"attainment_p{q}"][:, gi], rtol=1e-12)
            ratio = reps["earnings"] / reps["ote"]
            earn = ratio.groupby(reps["trial"]).apply(lambda a, q=q: np.percentile(a, q))
            np.testing.assert_allclose(earn.reindex(idx), r.trial[f"earnings_vs_ote_p{q}"][:, gi],
                                       rtol=1e-12)


def test_top20_revenue_share_matches_pandas(acme):
    r = acme
    assert r.trial["leavers"][:, -1].sum() > 0  # attrition varies the reps per trial
    for gi, group in enumerate(r.groups):
        reps = _group_reps(r, group)

        def top20(rev: pd.Series) -> float:
            k = -(-len(rev) // 5)  # ceil(20 % of the reps), in integers
            return rev.nlargest(k).sum() / rev.sum()

        expected = reps.groupby("trial")["revenue"].apply(top20).reindex(np.arange(r.n_trials))
        np.testing.assert_allclose(r.trial["top20_revenue_share"][:, gi], expected, rtol=1e-12,
                                   err_msg=group)


def test_histogram_percentiles_match_numpy(acme):
    r = acme
    for group in r.groups:
        reps = _group_reps(r, group)
        counts = r.histograms["attainment"][r.groups.index(group)]
        assert counts.sum() == len(reps)
        for q in (0.1, 0.25, 0.5, 0.75, 0.9):
            # linear interpolation inside a 0.01-wide bin: error below one bin
            got = r.percentile("attainment", q, group)
            want = np.percentile(reps["attainment"], 100 * q)
            assert abs(got - want) <= 0.01 + 1e-9, f"{group} P{100 * q:g}: {got} vs {want}"
        summary = r.summary()
        assert summary.loc["attainment P50", group] == r.percentile("attainment", 0.5, group)


@pytest.mark.parametrize(("level", "season", "quota"), [
    # acme_baseline's enterprise seasonality and quota
    (1.0, [0.7, 0.8, 1.3, 0.8, 0.9, 1.3, 0.7, 0.8, 1.3, 0.9, 1.0, 1.5], 1_200_000.0),
    (0.57, None, 1_000_000.0),
], ids=["at_quota_seasonal", "exact_0.57"])
def test_attainment_on_a_bin_edge_is_binned_from_that_edge(level, season, quota):
    """Every rep attains exactly `level`: the pooled histogram puts them all in the bin
    starting at `level`, as `distribution()` labels it and as `at_quota` counts them."""
    s = scenario({"ae": role(plan(percent_commission(0.1)), 10, quota=quota)},
                 {"ae": attainment({"type": "normal", "mean": level, "sd": 0.0}, season)})
    r = run(s, 2)
    assert r.trial["at_quota"][:, 0].tolist() == ([10.0, 10.0] if level >= 1 else [0.0, 0.0])
    table = r.distribution("attainment", "ae")
    hit = table.loc[table["count"] > 0]
    assert len(hit) == 1 and hit["count"].iloc[0] == 20
    assert hit["bin_lo"].iloc[0] == pytest.approx(level)
