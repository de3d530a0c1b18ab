"""Plan years in a row (`years: N`, agent engine): quotas set on the year before, reps who
stay, and won deals carried across the year end."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import yaml

from spmsim.engines import simulate, simulate_agents
from spmsim.engines.results import Results
from spmsim.engines.years import readable, year_over_year
from spmsim.errors import InputError, SpmsimError
from spmsim.model.scenario import Scenario, load_scenario, scenario_from_tree
from spmsim.model.years import NextYears

from paths import SCENARIOS
from territory_helpers import write_accounts

LAM, MEDIAN, SIGMA = 2.0, 10_000.0, 0.5
YEAR = 12 * LAM * MEDIAN * math.exp(SIGMA ** 2 / 2)  # a rep's mean bookings in a year
# a 90-day cycle: about a quarter of a year's won deals are still open at its end
STAGES = [{"name": "qualify", "days": 30, "to_next": 0.5},
          {"name": "close", "days": 60, "to_next": 0.8}]


def scenario(*, years: int = 3, next_years: dict | None = None, behavior: dict | None = None,
             reps: int = 20, trials: int = 40, attrition: dict | None = None,
             quota: float = YEAR) -> Scenario:
    plan = {"plan": "Years plan", "ote": 100_000.0, "base_share": 0.5,
            "year_start": "2027-01-01", "payout_period": "quarter",
            "components": [{"name": "Commission", "type": "commission", "measure": "new_arr",
                            "weight": 1.0, "rates": "multiplier",
                            "tier_basis": "attainment",
                            "tiers": [{"upto": 1.0, "rate": 1.0}, {"rate": 2.0}]}]}
    role = {"headcount": reps, "plan": plan, "quota": {"new_arr": quota},
            "skill_sigma": 0.3}
    if attrition is not None:
        role["attrition"] = attrition
    tree = {"scenario": "years", "seed": 77, "trials": trials, "years": years,
            "org": {"roles": {"ae": role}},
            "market": {"ae": {"model": "pipeline", "stages": STAGES,
                              "measures": {"new_arr": {"deals_per_month": LAM,
                                                       "size": {"median": MEDIAN,
                                                                "sigma": SIGMA}}}}},
            "behavior": behavior or {}}
    if next_years is not None:
        tree["next_years"] = next_years
    return scenario_from_tree(tree)


def yearly(r: Results, stat: str = "revenue") -> pd.DataFrame:
    d = r.years[r.years["group"] == "ae"]
    return d.pivot(index="trial", columns="year", values=stat)


def test_next_quota_by_hand():
    rules = NextYears(quota="ratchet", growth=0.1, ratchet=0.5, relief=0.5)
    # 100 x 1.1 x (1 + 0.5 x 0.2) = 121; 100 x 1.1 x (1 - 0.5 x 0.2) = 99; at quota: 110
    got = rules.next_quota(np.array([100.0, 100.0, 100.0]), np.array([1.2, 0.8, 1.0]))
    assert got == pytest.approx([121.0, 99.0, 110.0])
    # a shortfall past 100 % takes off at most `relief` of the quota: 110 x 0.5
    assert rules.next_quota(np.array([100.0]), np.array([-3.0])) == pytest.approx([55.0])
    same = NextYears(quota="same", growth=0.1)
    assert same.next_quota(np.array([100.0]), np.array([2.0])) == pytest.approx([110.0])
    assert same.seat_quota(np.array([100.0]), 2) == pytest.approx([121.0])
    assert NextYears(market_growth=0.2).market_factor(2) == pytest.approx(1.44)


@pytest.fixture(scope="module")
def steady() -> tuple[Results, Results]:
    """No behaviour and no attrition: three years in a row, and the first year alone."""
    return (simulate_agents(scenario(years=3), progress=False, logged_trials=0),
            simulate_agents(scenario(years=1), progress=False, logged_trials=0))


def test_the_first_year_is_the_one_year_run(steady):
    three, one = steady
    for stat in ("revenue", "variable_pay", "at_quota"):
        np.testing.assert_array_equal(three.trial[stat], one.trial[stat])
    assert one.years is None
    first = yearly(three)[1].to_numpy()
    np.testing.assert_array_equal(first, one.trial["revenue"][:, 0])


def test_open_deals_carry_over_so_a_steady_market_books_the_same_each_year(steady):
    """A 90-day cycle leaves about a quarter of a year's won deals open at its end. Carried
    into the next year they replace the first year's warm-up pipeline, so every year books
    the same in expectation (dropping them would cost the later years about 20 %)."""
    rev = yearly(steady[0])
    n = len(rev)
    expected = 20 * YEAR
    for year in (1, 2, 3):
        mean, se = rev[year].mean(), rev[year].std(ddof=1) / math.sqrt(n)
        assert abs(mean - expected) < 4 * se + 0.01 * expected, (year, mean, expected)
    diff = rev[2] - rev[1]
    assert abs(diff.mean()) < 4 * diff.std(ddof=1) / math.sqrt(n) + 0.005 * expected


def test_a_ratchet_sets_each_reps_next_quota_on_their_attainment():
    """Every rep stays (no attrition): next year's quota total is the sum over reps of
    quota x 1.1 x (1 + 0.5 x max(attainment - 1, 0)), attainment from the year's rep table."""
    rules = {"quota": "ratchet", "growth": 0.1, "ratchet": 0.5}
    r = simulate_agents(scenario(years=2, trials=8, next_years=rules), progress=False,
                        logged_trials=0)
    reps = r.reps_frame()
    reps = reps[reps["year_share"] > 0]
    expected = (reps["quota"] * 1.1 * (1 + 0.5 * np.maximum(reps["attainment"] - 1, 0))
                ).groupby(reps["trial"]).sum()
    got = yearly(r, "quota")[2]
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-9)
    assert (yearly(r, "quota")[2] > yearly(r, "quota")[1] * 1.1 - 1e-6).all()


def test_reps_who_stay_keep_their_skill_and_leavers_are_backfilled_across_years():
    churn = {"annual": 0.4, "backfill_months": 2}
    r = simulate_agents(scenario(years=3, trials=20, attrition=churn), progress=False,
                        logged_trials=0)
    reps, leavers, hires = (yearly(r, s) for s in ("reps", "leavers", "hires"))
    # 40 % a year leave and seats refill after two months: leavers and hires every year
    assert (leavers.mean() > 4).all() and (hires[[2, 3]].mean() > 4).all()
    # hires in later years include seats that fell vacant late in the year before
    assert (reps.mean() >= 20).all()


def test_deals_pushed_past_a_year_end_close_early_the_next_year():
    """With a cap, reps push deals closing past it into the next year: each pushed deal of
    year one reappears in year two's first two weeks, for its full amount: won, or pushed
    once more by a rep whose carried deals alone reach the cap again."""
    capped = {"behavior": {"timing": {"window_days": 14, "reach": 0.15, "horizon_days": 45,
                                      "pull_share": 0.0, "discount": 0.1,
                                      "push_at_cap": True}}}
    s = scenario(years=2, trials=4, quota=YEAR * 0.6, **capped)
    tree = s.model_dump(mode="json")
    tree["org"]["roles"]["ae"]["plan"]["components"][0]["cap"] = {"of_target": 1.3}
    s = scenario_from_tree(tree)
    ev = simulate_agents(s, progress=False, logged_trials=4).events
    days = 365.0
    pushed = ev[(ev["event"] == "pushed") & (ev["day"] < days)]
    assert len(pushed) > 10
    early = ev[ev["event"].isin(["won", "pushed"]) & (ev["day"] >= days) &
               (ev["day"] < days + 14)]
    for t, p in pushed.groupby("trial"):
        won = early[early["trial"] == t]["amount"].to_numpy()
        for amount in p["amount"]:
            assert np.isclose(won, amount).any(), (t, amount)


def test_market_growth_raises_later_years():
    r = simulate_agents(scenario(years=3, trials=20, next_years={"market_growth": 0.25}),
                        progress=False, logged_trials=0)
    rev = yearly(r).mean()
    assert rev[2] > rev[1] * 1.1 and rev[3] > rev[2] * 1.15


def test_year_over_year_reads_in_words(steady):
    table = year_over_year(steady[0].years, "ae")
    assert list(table.index) == [1, 2, 3]
    text = readable(table, "USD")
    assert list(text.columns) == ["Year 1", "Year 2", "Year 3"]
    assert text.loc["revenue (mean)", "Year 1"].startswith("$")
    assert text.loc["share of reps at quota", "Year 2"].endswith("%")


def test_years_are_saved_and_read_back(steady, tmp_path):
    saved = steady[0].save(tmp_path / "run")
    back = Results.load(saved)
    pd.testing.assert_frame_equal(back.years, steady[0].years)


def test_several_years_need_the_agent_engine():
    with pytest.raises(SpmsimError, match="agent engine"):
        simulate(scenario(years=2), progress=False)


def test_plan_changes_are_refused_with_several_years():
    tree = scenario(years=2).model_dump(mode="json")
    role = tree["org"]["roles"]["ae"]
    role["plan_changes"] = [{"effective_from": "2027-07-01", "plan": role["plan"]}]
    with pytest.raises(Exception, match="plan_changes"):
        scenario_from_tree(tree)


@pytest.mark.parametrize(("override", "says"), [
    ({"years": 0}, "years: Input should be greater than or equal to 1"),
    ({"years": 11}, "years: Input should be less than or equal to 10"),
    ({"next_years.quota": "ratchit"}, "next_years.quota: Input should be 'same' or 'ratchet'"),
    ({"next_years.ratchett": 0.2}, "did you mean `ratchet`"),
    ({"next_years.growth": -1.5}, "next_years.growth"),
])
def test_bad_years_are_named_with_the_fix(override, says):
    with pytest.raises(InputError) as e:
        load_scenario(SCENARIOS / "acme_years.yaml", override)
    assert says in e.value.render()


def test_growth_contests_in_a_later_year_compare_with_the_year_simulated_before(tmp_path):
    """The next year's last-year figure of a rep who stays all year is their credit this
    year; a rep hired during the year has none (not a full year: out of a growth contest),
    and neither do new hires; the first year reads the territory history."""
    from spmsim.calendar import PlanCalendar
    from spmsim.engines.agents import _Clock, _TrialSim, effort_policies

    history = [200_000.0] * 4
    write_accounts(tmp_path, history)
    tree = scenario(years=2, reps=3).model_dump(mode="json", exclude_none=True)
    role = tree["org"]["roles"]["ae"]
    role["hires"] = [{"month": 6, "count": 1}]
    role["territory"] = {"accounts": "accounts.csv", "elasticity": 0.0}
    role["plan"]["components"].append(
        {"name": "Growth", "type": "contest", "measure": "new_arr", "rank_by": "growth",
         "periods": [1, 2, 3], "prizes": [1_000.0]})
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(tree))
    s = load_scenario(path)
    clock = _Clock(PlanCalendar(s.year_start, "month"))
    creation = {"ae": s.market["ae"].creation_rates(clock.days)}
    root = np.random.SeedSequence(s.seed)
    first = _TrialSim(s, root, 0, clock, creation, None, effort_policies(s, clock))
    draws = first.run()
    opening = first.closing()["ae"]
    credit = draws["ae"][6]["new_arr"].sum(axis=1)
    last = opening.last_year["new_arr"]
    np.testing.assert_allclose(last[:3], credit[:3])  # the incumbents, all year in seat
    assert np.isnan(last[3])  # hired in June: half a year is no last year
    assert np.isnan(last[4:]).all()  # successors' slots
    assert draws["ae"][10] == {}  # the first year: the territory history


@pytest.mark.slow
def test_removing_a_quota_ratchet_raises_bookings_year_after_year():
    """Misra and Nair (2011): quotas ratcheted on last year's sales hold effort back (reps
    past quota weigh next year's harder quota); removing the ratchet raised revenue. Here,
    three years of an accelerating plan whose reps expect the ratchet they get (half the
    excess over quota added to next year's quota), against quotas that only grow alike
    (and reps who know it): bookings are higher without the ratchet in every year, by a
    paired z above 4 over 40 trials of 30 reps (measured, seed 77: +4.1 %, +5.4 %, +5.8 %;
    z 6.2, 6.7, 6.7)."""
    def run(rule: str, expects: float) -> pd.DataFrame:
        s = scenario(years=3, trials=40, reps=30, next_years={"quota": rule, "ratchet": 0.5},
                     behavior={"effort_choice": {"ratchet": expects}})
        return yearly(simulate_agents(s, progress=False, logged_trials=0))
    ratchet, same = run("ratchet", 0.5), run("same", 0.0)
    for year in (1, 2, 3):
        d = same[year] - ratchet[year]
        assert d.mean() / (d.std(ddof=1) / math.sqrt(len(d))) > 4, year
