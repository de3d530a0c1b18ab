"""Plan rules on small hand-made arrays, every expected number worked out by hand.

Unless a test says otherwise: ote 200,000 and base share 0.5 -> TI 100,000; one commission
of weight 1.0 -> target 100,000; quota 1,000,000 -> base rate = 100,000 / 1,000,000 = 0.1
of credit. Plans start 2027-01-01 (365 days: Jan 31, Feb 28, Mar 31, Apr 30, May 31, Jun 30,
Jul 31, Aug 31, Sep 30, Oct 31, Nov 30, Dec 31). Months are 1-based in the comments and
0-based in the arrays.
"""

from __future__ import annotations

import numpy as np
import pytest

from spmsim.plans import PlanInputs, evaluate, load_plan, payout_curve, plan_from_dict

from paths import TEST_DATA

EXAMPLE_PLAN = TEST_DATA / "plans" / "issue_example_plan.yaml"
ATOL = 1e-6
QUOTA = 1_000_000.0

# base rate to quota, twice it to 150 %, 1.5 times it above
THREE_TIERS = [{"upto": 1.0, "rate": 1.0}, {"upto": 1.5, "rate": 2.0}, {"rate": 1.5}]
# base rate to quota, twice it above
ACCELERATOR = [{"upto": 1.0, "rate": 1.0}, {"rate": 2.0}]


def make_plan(*components: dict, ote: float = 200_000, base_share: float = 0.5,
              period: str = "month", **extra):
    return plan_from_dict({"plan": "Rules", "ote": ote, "base_share": base_share,
                           "payout_period": period, "year_start": "2027-01-01",
                           "components": list(components), **extra})


def commission(**fields) -> dict:
    """A commission on new_arr of weight 1.0 with multiplier rates, overridden by `fields`."""
    return {"name": "New ARR", "type": "commission", "measure": "new_arr", "weight": 1.0,
            **fields}


def periods(n: int = 12, **at: float) -> np.ndarray:
    """n values, zero except at 1-based periods given as p1=..., p4=..."""
    out = np.zeros(n)
    for key, value in at.items():
        out[int(key.removeprefix("p")) - 1] = value
    return out


def run(plan, credit: dict, quota: dict | None = None, **inputs):
    """Evaluate on (reps, periods) arrays; 1-D credit rows are one rep."""
    credit = {m: np.atleast_2d(np.asarray(v, dtype=float)) for m, v in credit.items()}
    quota = {m: np.asarray(v, dtype=float) for m, v in (quota or {}).items()}
    return evaluate(plan, PlanInputs(credit=credit, quota=quota, **inputs))


def close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=0, atol=ATOL)


# ------------------------------------------------------------- marginal vs retroactive


# One rep per row, all credit booked in month 3, quota 1,000,000, target 100,000,
# base rate 0.1, tiers [to 100 %: x1, to 150 %: x2, above: x1.5].
#   marginal:    each band's credit at its own rate
#   retroactive: all credit at the rate of the band reached; [lower inclusive, upto exclusive)
TIER_CASES = [
    # 800,000: band 1 -> marginal 800,000 x 0.1 = 80,000; retro 800,000 x 0.1 = 80,000
    (800_000, 80_000, 80_000),
    # 999,999: still band 1 -> 99,999.9 both ways
    (999_999, 99_999.9, 99_999.9),
    # 1,000,000 exactly at the edge -> retro is in band 2: 1,000,000 x 0.2 = 200,000;
    # marginal 1,000,000 x 0.1 = 100,000
    (1_000_000, 100_000, 200_000),
    # 1,200,000 -> marginal 100,000 + 200,000 x 0.2 = 140,000; retro 1,200,000 x 0.2 = 240,000
    (1_200_000, 140_000, 240_000),
    # 1,500,000 exactly at the second edge -> marginal 100,000 + 500,000 x 0.2 = 200,000;
    # retro band 3: 1,500,000 x 0.15 = 225,000
    (1_500_000, 200_000, 225_000),
    # 1,600,000 -> marginal 200,000 + 100,000 x 0.15 = 215,000; retro 1,600,000 x 0.15 = 240,000
    (1_600_000, 215_000, 240_000),
]


@pytest.mark.parametrize("mode", ["marginal", "retroactive"])
def test_marginal_and_retroactive_on_the_same_tier_table(mode):
    plan = make_plan(commission(mode=mode, tiers=THREE_TIERS), basis="annual")
    credit = np.stack([periods(p3=c) for c, _, _ in TIER_CASES])
    payout = run(plan, {"new_arr": credit}, {"new_arr": QUOTA})
    expected = [m if mode == "marginal" else r for _, m, r in TIER_CASES]
    close(payout.earned_ytd[0, :, -1], expected)
    close(payout.total_earned_ytd[:, -1], expected)
    # everything is paid in month 3, the month of the credit
    close(payout.paid[:, 2], expected)
    close(np.delete(payout.paid, 2, axis=1), 0.0)


def test_retroactive_with_a_falling_rate_pays_less_for_more_and_is_not_monotone():
    # just below 150 %: 1,499,999 x 0.2 = 299,999.8; at 150 %: 1,500,000 x 0.15 = 225,000
    plan = make_plan(commission(mode="retroactive", tiers=THREE_TIERS))
    payout = run(plan, {"new_arr": np.stack([periods(p1=1_499_999), periods(p1=1_500_000)])},
                 {"new_arr": QUOTA})
    close(payout.total_earned_ytd[:, -1], [299_999.8, 225_000])
    assert not plan.is_monotone()
    assert make_plan(commission(mode="marginal", tiers=THREE_TIERS)).is_monotone()
    assert make_plan(commission(mode="retroactive", tiers=ACCELERATOR)).is_monotone()


def test_retroactive_crossing_an_edge_re_rates_earlier_credit_in_the_true_up():
    # 600,000 in month 2 and again in month 5; tiers [x1 to 100 %, x2 above]
    plan_r = make_plan(commission(mode="retroactive", tiers=ACCELERATOR), basis="annual")
    plan_m = make_plan(commission(mode="marginal", tiers=ACCELERATOR), basis="annual")
    credit = {"new_arr": periods(p2=600_000, p5=600_000)}
    retro = run(plan_r, credit, {"new_arr": QUOTA})
    marg = run(plan_m, credit, {"new_arr": QUOTA})
    # retro: YTD 600,000 -> 60,000; YTD 1,200,000 (band 2) -> 1,200,000 x 0.2 = 240,000,
    # so month 5 pays 240,000 - 60,000 = 180,000
    close(retro.paid[0], periods(p2=60_000, p5=180_000))
    # marginal: 60,000; then 100,000 + 200,000 x 0.2 = 140,000 -> month 5 pays 80,000
    close(marg.paid[0], periods(p2=60_000, p5=80_000))


# ------------------------------------------------------------------ percent and amount


@pytest.mark.parametrize(("mode", "earned", "paid"), [
    # YTD 60,000: 60,000 x 5 % = 3,000
    # YTD 120,000: 100,000 x 5 % = 5,000 + 20,000 x 8 % = 1,600 -> 6,600
    # YTD 320,000: 5,000 + 150,000 x 8 % = 12,000 + 70,000 x 10 % = 7,000 -> 24,000
    ("marginal", [3_000, 6_600, 24_000], [3_000, 3_600, 17_400]),
    # YTD 60,000 in band 1: 3,000; 120,000 in band 2: 120,000 x 8 % = 9,600;
    # 320,000 in band 3: 320,000 x 10 % = 32,000
    ("retroactive", [3_000, 9_600, 32_000], [3_000, 6_600, 22_400]),
])
def test_percent_rates_with_amount_tiers_need_no_quota_or_weight(mode, earned, paid):
    comp = {"name": "Bookings", "type": "commission", "measure": "bookings", "mode": mode,
            "rates": "percent", "tier_basis": "amount",
            "tiers": [{"upto": 100_000, "rate": 0.05}, {"upto": 250_000, "rate": 0.08},
                      {"rate": 0.10}]}
    plan = make_plan(comp)
    # credit 60,000 in month 1, 60,000 in month 2, 200,000 in month 3; no quota passed
    payout = run(plan, {"bookings": periods(p1=60_000, p2=60_000, p3=200_000)})
    close(payout.earned_ytd[0, 0, :3], earned)
    close(payout.earned_ytd[0, 0, 3:], earned[-1])
    close(payout.paid[0, :3], paid)
    close(payout.paid[0, 3:], 0.0)


def test_percent_rates_on_attainment_tiers_pay_a_share_of_credit():
    # tiers [5 % to 100 % of quota, 10 % above]; quota 1,000,000
    # 1,200,000: 1,000,000 x 5 % = 50,000 + 200,000 x 10 % = 20,000 -> 70,000
    comp = {"name": "Bookings", "type": "commission", "measure": "bookings",
            "rates": "percent", "tiers": [{"upto": 1.0, "rate": 0.05}, {"rate": 0.10}]}
    payout = run(make_plan(comp), {"bookings": periods(p1=1_200_000)}, {"bookings": QUOTA})
    close(payout.total_earned_ytd[0, -1], 70_000)


# ----------------------------------------------------------------------------- threshold


def test_attainment_threshold_just_below_pays_nothing_and_at_it_pays_from_the_first_dollar():
    # threshold 50 % of 1,000,000 = 500,000; tiers [x1 to 100 %, x2 above]
    plan = make_plan(commission(tiers=ACCELERATOR, threshold=0.5), basis="annual")
    credit = np.stack([periods(p1=499_999), periods(p1=500_000), periods(p1=300_000, p2=300_000)])
    payout = run(plan, {"new_arr": credit}, {"new_arr": QUOTA})
    # 499,999 < 500,000 -> 0; 500,000 -> 500,000 x 0.1 = 50,000 (not only above the gate)
    close(payout.total_earned_ytd[:2, -1], [0, 50_000])
    # third rep: YTD 300,000 (below) -> 0 in month 1; YTD 600,000 -> 60,000 in month 2,
    # the whole of it from the first dollar
    close(payout.paid[2], periods(p2=60_000))


def test_amount_threshold_with_percent_rates():
    # threshold 50,000 of credit, 10 % from the first dollar at or above it
    comp = {"name": "Bookings", "type": "commission", "measure": "bookings",
            "rates": "percent", "tier_basis": "amount", "threshold": 50_000,
            "tiers": [{"rate": 0.10}]}
    credit = np.stack([periods(p1=49_999), periods(p1=50_000)])
    payout = run(make_plan(comp), {"bookings": credit})
    # 49,999 -> 0; 50,000 x 10 % = 5,000
    close(payout.total_earned_ytd[:, -1], [0, 5_000])


# ---------------------------------------------------------------------------------- caps


def test_component_cap_of_target():
    # cap 1.5 x target 100,000 = 150,000; tiers [x1 to 100 %, x2 above]
    plan = make_plan(commission(tiers=ACCELERATOR, cap={"of_target": 1.5}), basis="annual")
    payout = run(plan, {"new_arr": periods(p1=1_200_000, p2=200_000)}, {"new_arr": QUOTA})
    # YTD 1,200,000 -> 100,000 + 200,000 x 0.2 = 140,000 (under the cap)
    # YTD 1,400,000 -> 100,000 + 400,000 x 0.2 = 180,000 -> capped at 150,000
    close(payout.earned_ytd[0, 0, :2], [140_000, 150_000])
    close(payout.paid[0], periods(p1=140_000, p2=10_000))


def test_component_cap_amount_per_year_limits_earnings_to_date():
    # cap 120,000 a year; 300,000 credit a month for 6 months at 0.1 -> 30,000 a month
    plan = make_plan(commission(cap={"amount": 120_000}))
    credit = np.concatenate([np.full(6, 300_000.0), np.zeros(6)])
    payout = run(plan, {"new_arr": credit}, {"new_arr": QUOTA})
    # uncapped YTD 30k, 60k, 90k, 120k, 150k, 180k -> capped 30k, 60k, 90k, 120k, 120k, 120k
    close(payout.earned_ytd[0, 0, :6], [30_000, 60_000, 90_000, 120_000, 120_000, 120_000])
    close(payout.paid[0], [30_000] * 4 + [0] * 8)


def test_component_cap_amount_per_period_loses_the_excess():
    # at most 40,000 a period; credit 300k, 700k, 100k in months 1-3 at 0.1
    plan = make_plan(commission(cap={"amount": 40_000, "per": "period"}))
    payout = run(plan, {"new_arr": periods(p1=300_000, p2=700_000, p3=100_000)},
                 {"new_arr": QUOTA})
    # increments 30,000, 70,000 -> 40,000 (30,000 lost), 10,000
    close(payout.paid[0], periods(p1=30_000, p2=40_000, p3=10_000))
    # year: 80,000 instead of the uncapped 110,000; the lost 30,000 is not paid later
    close(payout.total_earned_ytd[0, -1], 80_000)


def test_per_period_cap_can_pay_less_for_more_credit_although_the_plan_is_monotone():
    # A consequence of "excess lost": cap 40,000 a period, rate 0.1 to quota and 0 above.
    # Rep 0: 500,000 in months 1 and 2 -> increments 50,000, 50,000 -> 40,000 + 40,000
    # = 80,000. Rep 1 books 500,000 more, earlier: 1,000,000 in month 1 -> 100,000 -> 40,000;
    # month 2 YTD 1,500,000 still earns 100,000 (rate 0 above quota) -> 0 -> 40,000 in all.
    plan = make_plan(commission(tiers=[{"upto": 1.0, "rate": 1.0}, {"rate": 0.0}],
                                cap={"amount": 40_000, "per": "period"}), basis="annual")
    credit = np.stack([periods(p1=500_000, p2=500_000), periods(p1=1_000_000, p2=500_000)])
    payout = run(plan, {"new_arr": credit}, {"new_arr": QUOTA})
    close(payout.total_earned_ytd[:, -1], [80_000, 40_000])
    assert plan.is_monotone()  # is_monotone() looks at the rate tables, not at the caps


def test_plan_cap_of_ti_cuts_the_total_after_component_earnings():
    # plan cap 1.5 x TI 100,000 = 150,000; tiers [x1 to 100 %, x3 above]
    plan = make_plan(commission(tiers=[{"upto": 1.0, "rate": 1.0}, {"rate": 3.0}]),
                     cap={"of_target": 1.5}, basis="annual")
    payout = run(plan, {"new_arr": periods(p1=1_000_000, p2=200_000)}, {"new_arr": QUOTA})
    # YTD 1,000,000 -> 100,000; YTD 1,200,000 -> 100,000 + 200,000 x 0.3 = 160,000
    close(payout.earned_ytd[0, 0, :2], [100_000, 160_000])  # component, before the plan cap
    # plan cap: 160,000 -> 150,000, cut -10,000 from month 2 on
    close(payout.plan_cap_ytd[0], [0] + [-10_000] * 11)
    close(payout.total_earned_ytd[0, :2], [100_000, 150_000])
    close(payout.paid[0], periods(p1=100_000, p2=50_000))


def test_plan_cap_amount_applies_to_the_sum_of_components():
    # two components: commission target 0.5 x 100,000 = 50,000 on quota 1,000,000
    # (base rate 0.05) and an MBO of weight 0.5 (target 50,000, 12 assessments)
    # plan cap 60,000 a year
    plan = make_plan(commission(weight=0.5),
                     {"name": "MBO", "type": "mbo", "measure": "score", "weight": 0.5},
                     cap={"amount": 60_000})
    payout = run(plan, {"new_arr": periods(p1=1_000_000), "score": np.ones(12)},
                 {"new_arr": QUOTA})
    # month 1: commission 1,000,000 x 0.05 = 50,000 + MBO 50,000 x 1 / 12 = 4,166.67
    # -> 54,166.67; month 2: + 4,166.67 = 58,333.33; month 3: 62,500 -> 60,000
    mbo = 50_000 / 12
    close(payout.total_earned_ytd[0, :3], [50_000 + mbo, 50_000 + 2 * mbo, 60_000])
    close(payout.total_earned_ytd[0, -1], 60_000)
    close(payout.paid[0, 2], 60_000 - 50_000 - 2 * mbo)
    close(payout.paid[0, 3:], 0.0)


# --------------------------------------------------------------------------------- bonus


CURVE = [[0.5, 0.25], [1.0, 1.0], [1.5, 2.0]]


@pytest.mark.parametrize(("attainment", "linear", "steps"), [
    (0.49, 0.0, 0.0),     # below the first point: nothing
    (0.5, 0.25, 0.25),    # at the first point
    (0.75, 0.625, 0.25),  # linear: 0.25 + (0.75 - 0.5) / 0.5 x 0.75 = 0.625; steps: 0.25
    (1.0, 1.0, 1.0),      # at a point both give its value
    (1.25, 1.5, 1.0),     # linear: 1.0 + 0.5 x 1.0 = 1.5; steps: last point reached 1.0
    (1.5, 2.0, 2.0),
    (2.0, 2.0, 2.0),      # flat beyond the last point
])
def test_bonus_curve_linear_and_steps(attainment, linear, steps):
    # weight 0.2 -> target 20,000; quota 1,000,000; bonus = 20,000 x curve(attainment)
    expected = {False: linear, True: steps}
    for use_steps, fraction in expected.items():
        plan = make_plan({"name": "Bonus", "type": "bonus", "measure": "renewals",
                          "weight": 0.2, "curve": CURVE, "steps": use_steps})
        payout = run(plan, {"renewals": periods(p6=attainment * QUOTA)}, {"renewals": QUOTA})
        close(payout.total_earned_ytd[0, -1], 20_000 * fraction)


def test_bonus_trues_up_on_ytd_attainment():
    # issue example curve [[0.9, 0], [1.0, 1.0], [1.1, 1.5]], target 20,000
    plan = make_plan({"name": "Bonus", "type": "bonus", "measure": "renewals", "weight": 0.2,
                      "curve": [[0.9, 0.0], [1.0, 1.0], [1.1, 1.5]]}, basis="annual")
    payout = run(plan, {"renewals": periods(p3=500_000, p6=450_000, p9=100_000)},
                 {"renewals": QUOTA})
    # YTD 0.5 -> 0; 0.95 -> 0.5 x 20,000 = 10,000; 1.05 -> 1.25 x 20,000 = 25,000
    close(payout.paid[0], periods(p6=10_000, p9=15_000))


# ----------------------------------------------------------------------------------- MBO


def test_mbo_assessed_each_period_pays_target_times_score_over_twelve():
    # weight 0.12 -> target 12,000; n = 12 -> a score s pays 12,000 x s / 12 = 1,000 x s
    plan = make_plan({"name": "MBO", "type": "mbo", "measure": "score", "weight": 0.12})
    scores = np.ones(12)
    scores[2], scores[6] = 0.5, 0.0
    payout = run(plan, {"score": scores})
    close(payout.paid[0], 1_000 * scores)
    # 10 x 1,000 + 500 + 0 = 10,500
    close(payout.total_earned_ytd[0, -1], 10_500)


def test_mbo_assessed_quarterly_and_yearly_on_a_monthly_plan():
    # target 12,000; quarterly: n = 4 -> a score s pays 3,000 x s; yearly: n = 1 -> 12,000 x s
    quarterly = make_plan({"name": "MBO", "type": "mbo", "measure": "score", "weight": 0.12,
                           "assessed": "quarter"})
    yearly = make_plan({"name": "MBO", "type": "mbo", "measure": "score", "weight": 0.12,
                        "assessed": "year"})
    q = run(quarterly, {"score": periods(p3=1.0, p6=0.5, p9=1.0, p12=0.0)})
    # 3,000 + 1,500 + 3,000 + 0 = 7,500
    close(q.paid[0], periods(p3=3_000, p6=1_500, p9=3_000))
    close(q.total_earned_ytd[0, -1], 7_500)
    y = run(yearly, {"score": periods(p12=0.8)})
    # 12,000 x 0.8 = 9,600 in month 12
    close(y.paid[0], periods(p12=9_600))


def test_mbo_assessed_each_period_on_a_quarterly_plan_has_four_assessments():
    # quarter plan: n = 4; target 12,000 -> a full score pays 3,000 a quarter
    plan = make_plan({"name": "MBO", "type": "mbo", "measure": "score", "weight": 0.12},
                     period="quarter")
    payout = run(plan, {"score": [1.0, 1.0, 0.5, 1.0]})
    close(payout.paid[0], [3_000, 3_000, 1_500, 3_000])


# ---------------------------------------------------------------------------------- SPIF


def test_spiff_per_unit_pays_only_inside_its_window():
    # 2,000 per logo in months 1-3
    plan = make_plan(commission(),
                     {"name": "SPIF", "type": "spiff", "measure": "logos", "per_unit": 2_000,
                      "periods": [1, 2, 3]})
    logos = periods(p1=1, p3=2, p4=5, p12=1)
    payout = run(plan, {"new_arr": np.zeros(12), "logos": logos}, {"new_arr": QUOTA})
    spiff = payout.components.index("SPIF")
    # month 1: 2,000; month 3: 2 x 2,000 = 4,000; months 4 and 12 are outside: nothing
    close(np.diff(payout.earned_ytd[spiff, 0], prepend=0), periods(p1=2_000, p3=4_000))
    close(payout.total_earned_ytd[0, -1], 6_000)


def test_spiff_per_deal_counts_deals_and_is_not_prorated():
    # 500 per deal in month 2 only; the rep is on the plan for half of every month,
    # which halves TI but not the SPIF: it is not a share of TI
    plan = make_plan({"name": "SPIF", "type": "spiff", "measure": "new_arr", "per_deal": 500,
                      "periods": [2]})
    payout = run(plan, {"new_arr": periods(p1=90_000, p2=40_000)},
                 counts={"new_arr": np.atleast_2d(periods(p1=3, p2=1))},
                 active=np.full((1, 12), 0.5))
    # month 2 has 1 deal -> 500; month 1's 3 deals are outside the window
    close(payout.paid[0], periods(p2=500))
    close(payout.ti, [50_000])


# --------------------------------------------------------------------------------- draws


def test_recoverable_draw_advances_the_shortfall_and_recovers_only_above_the_guarantee():
    # draw 5,000 a month for the first 3 months, recoverable; base rate 0.1
    plan = make_plan(commission(), draw={"per_period": 5_000, "periods": 3})
    credit = np.stack([periods(p2=20_000, p3=80_000, p4=30_000, p5=100_000, p7=50_000),
                       np.zeros(12)])
    payout = run(plan, {"new_arr": credit}, {"new_arr": QUOTA})
    # rep 0 paid (earned increments): 0, 2,000, 8,000, 3,000, 10,000, 0, 5,000
    close(payout.paid[0], periods(p2=2_000, p3=8_000, p4=3_000, p5=10_000, p7=5_000))
    # month 1: guarantee 5,000, paid 0 -> advance 5,000 (balance 5,000)
    # month 2: paid 2,000 -> advance 3,000 (balance 8,000)
    # month 3: paid 8,000 >= 5,000; only the 3,000 above the guarantee recovers (balance 5,000)
    # month 4: guarantee 0 from now on; 3,000 recovered (balance 2,000)
    # month 5: 10,000 earned, the last 2,000 recovered (balance 0)
    close(payout.draw[0], periods(p1=5_000, p2=3_000))
    close(payout.recovered[0], periods(p3=3_000, p4=3_000, p5=2_000))
    close(payout.draw_balance[0], [5_000, 8_000, 5_000, 2_000] + [0] * 8)
    # net = paid + draw - recovered: 5,000, 5,000, 5,000, 0, 8,000, 0, 5,000
    close(payout.net_paid[0], periods(p1=5_000, p2=5_000, p3=5_000, p5=8_000, p7=5_000))
    # 28,000 earned = 28,000 net paid
    close(payout.net_paid[0].sum(), 28_000)
    # rep 1 earns nothing: 3 x 5,000 advanced, all of it outstanding at year end
    close(payout.draw[1], periods(p1=5_000, p2=5_000, p3=5_000))
    close(payout.recovered[1], 0.0)
    close(payout.draw_balance[1, -1], 15_000)
    close(payout.net_paid[1].sum(), 15_000)


def test_non_recoverable_draw_is_never_recovered():
    # same rep as above with `recoverable: false`
    plan = make_plan(commission(),
                     draw={"per_period": 5_000, "periods": 3, "recoverable": False})
    credit = periods(p2=20_000, p3=80_000, p4=30_000, p5=100_000, p7=50_000)
    payout = run(plan, {"new_arr": credit}, {"new_arr": QUOTA})
    # advance 5,000 in month 1, 3,000 in month 2, none in month 3 (8,000 >= 5,000)
    close(payout.draw[0], periods(p1=5_000, p2=3_000))
    close(payout.recovered[0], 0.0)
    close(payout.draw_balance[0], 0.0)
    # net: 5,000, 5,000, 8,000, 3,000, 10,000, 0, 5,000 -> 36,000 = 28,000 earned + 8,000 drawn
    close(payout.net_paid[0], periods(p1=5_000, p2=5_000, p3=8_000, p4=3_000, p5=10_000,
                                      p7=5_000))
    close(payout.net_paid[0].sum(), 36_000)


def test_draw_is_prorated_and_runs_over_the_first_active_periods():
    # draw 4,000 a month for 2 months. Rep 0 is on the plan all year; rep 1 joins halfway
    # through March (half of March active, then every month); no credit.
    plan = make_plan(commission(), draw={"per_period": 4_000, "periods": 2})
    active = np.stack([np.ones(12), np.array([0, 0, 0.5] + [1] * 9)])
    payout = run(plan, {"new_arr": np.zeros((2, 12))}, {"new_arr": QUOTA}, active=active)
    # rep 0: 4,000 in months 1 and 2
    close(payout.draw[0], periods(p1=4_000, p2=4_000))
    # rep 1: its first two active months are March (4,000 x 0.5 = 2,000) and April (4,000)
    close(payout.draw[1], periods(p3=2_000, p4=4_000))
    # rep 1's TI: (0.5 x 31 + 275 days April-December) / 365 = 290.5 / 365 of 100,000
    close(payout.ti, [100_000, 100_000 * 290.5 / 365])


def test_draw_for_new_hires_only():
    # applies_to: new_hires; rep 0 was there all year, rep 1 starts in July
    plan = make_plan(commission(),
                     draw={"per_period": 3_000, "periods": 2, "applies_to": "new_hires"})
    active = np.stack([np.ones(12), np.array([0] * 6 + [1] * 6)])
    payout = run(plan, {"new_arr": np.zeros((2, 12))}, {"new_arr": QUOTA}, active=active,
                 new_hire=np.array([False, True]))
    close(payout.draw[0], 0.0)
    close(payout.draw[1], periods(p7=3_000, p8=3_000))


def test_draw_also_covers_a_period_made_negative_by_a_clawback():
    # draw 1,000 a month for 6 months; a 200,000 deal booked in month 2 (20,000 earned)
    # is cancelled in month 4 -> month 4 pays -20,000; the guarantee of 1,000 means
    # the advance is 1,000 - (-20,000) = 21,000
    plan = make_plan(commission(), draw={"per_period": 1_000, "periods": 6},
                     clawback={"within_days": 90})
    payout = run(plan, {"new_arr": periods(p2=200_000)}, {"new_arr": QUOTA},
                 cancelled={"new_arr": np.atleast_2d(periods(p4=200_000))})
    close(payout.paid[0], periods(p2=20_000, p4=-20_000))
    # month 1: advance 1,000 (balance 1,000)
    # month 2: 20,000 >= 1,000, no advance; 19,000 above the guarantee recovers 1,000 (0)
    # month 3: advance 1,000 (1,000); month 4: 1,000 - (-20,000) = 21,000 (22,000)
    # months 5, 6: 1,000 each (24,000); nothing above a guarantee later, 24,000 outstanding
    close(payout.draw[0], periods(p1=1_000, p3=1_000, p4=21_000, p5=1_000, p6=1_000))
    close(payout.recovered[0], periods(p2=1_000))
    close(payout.draw_balance[0, -1], 24_000)
    # net: 1,000, 19,000, 1,000, 1,000, 1,000, 1,000: never below the guarantee
    close(payout.net_paid[0], periods(p1=1_000, p2=19_000, p3=1_000, p4=1_000, p5=1_000,
                                      p6=1_000))


# ------------------------------------------------------------------------------ clawback


CLAWBACK_CREDIT = periods(p1=100_000, p2=200_000, p3=100_000)  # the 200,000 deal is month 2


@pytest.mark.parametrize(("share", "month4_earned"), [
    # with the deal: YTD 400,000 -> 40,000; without it from month 4: YTD 200,000 -> 20,000
    # share 1.0: 20,000; share 0.5: 0.5 x 40,000 + 0.5 x 20,000 = 30,000
    (1.0, 20_000), (0.5, 30_000),
])
def test_clawback_reverses_a_cancelled_deal_in_the_cancel_period(share, month4_earned):
    plan = make_plan(commission(), clawback={"within_days": 90, "share": share})
    payout = run(plan, {"new_arr": CLAWBACK_CREDIT}, {"new_arr": QUOTA},
                 cancelled={"new_arr": np.atleast_2d(periods(p4=200_000))})
    # months 1-3 as booked: YTD 100k, 300k, 400k -> 10,000, 30,000, 40,000
    close(payout.earned_ytd[0, 0], [10_000, 30_000, 40_000] + [month4_earned] * 9)
    close(payout.paid[0], periods(p1=10_000, p2=20_000, p3=10_000, p4=month4_earned - 40_000))
    close(payout.clawback_ytd[0, 0], [0, 0, 0] + [40_000 - month4_earned] * 9)


def test_clawback_takes_back_the_accelerator_the_deal_unlocked():
    # tiers [x1 to 100 %, x2 above]; 500,000 in month 1, a 300,000 deal in month 2,
    # 500,000 in month 3; the deal is cancelled in month 4
    plan = make_plan(commission(tiers=ACCELERATOR), clawback={"within_days": 90}, basis="annual")
    payout = run(plan, {"new_arr": periods(p1=500_000, p2=300_000, p3=500_000)},
                 {"new_arr": QUOTA}, cancelled={"new_arr": np.atleast_2d(periods(p4=300_000))})
    # with the deal: YTD 500k -> 50,000; 800k -> 80,000; 1,300k -> 100,000 + 300k x 0.2
    # = 160,000. Without it from month 4: YTD 1,000k -> 100,000.
    # Month 4 pays 100,000 - 160,000 = -60,000: twice the 300,000 x 0.1 = 30,000 the deal
    # earned at the base rate in month 2, because it lifted month 3's credit above quota.
    close(payout.paid[0], periods(p1=50_000, p2=30_000, p3=80_000, p4=-60_000))
    close(payout.clawback_ytd[0, 0, 3], 60_000)
    close(payout.total_earned_ytd[0, -1], 100_000)


def test_cancellation_on_a_plan_without_clawback_leaves_the_credit_standing():
    plan = make_plan(commission())
    payout = run(plan, {"new_arr": CLAWBACK_CREDIT}, {"new_arr": QUOTA},
                 cancelled={"new_arr": np.atleast_2d(periods(p4=200_000))})
    # 400,000 x 0.1 = 40,000, nothing reversed
    close(payout.total_earned_ytd[0, -1], 40_000)
    close(payout.clawback_ytd, 0.0)


def booked_and_cancelled(booked: int, cancelled_in: int, amount: float) -> np.ndarray:
    """(reps=1, booked period, cancelled-in period) array holding one cancelled deal."""
    pairs = np.zeros((1, 12, 12))
    pairs[0, booked - 1, cancelled_in - 1] = amount
    return pairs


def test_clawback_of_a_spiff_deal_cancelled_after_the_window():
    # 2,000 per logo in months 1-3; one logo booked in month 2 (earns 2,000), cancelled in
    # month 4 within the 90 days: without the deal the SPIF earned 0, so month 4 pays -2,000
    plan = make_plan({"name": "SPIF", "type": "spiff", "measure": "logos", "per_unit": 2_000,
                      "periods": [1, 2, 3]}, clawback={"within_days": 90})
    payout = run(plan, {"logos": periods(p2=1)},
                 cancelled={"logos": booked_and_cancelled(2, 4, 1)})
    close(payout.paid[0], periods(p2=2_000, p4=-2_000))
    close(payout.clawback_ytd[0, 0, -1], 2_000)


def test_clawback_of_a_deal_booked_before_the_spiff_window_reverses_nothing():
    # 2,000 per logo in month 6 only; a logo booked in month 5 earns nothing and its
    # cancellation in month 6 has nothing to reverse: 0 throughout
    plan = make_plan({"name": "SPIF", "type": "spiff", "measure": "logos", "per_unit": 2_000,
                      "periods": [6]}, clawback={"within_days": 90})
    payout = run(plan, {"logos": periods(p5=1)},
                 cancelled={"logos": booked_and_cancelled(5, 6, 1)})
    close(payout.paid[0], 0.0)
    close(payout.clawback_ytd, 0.0)


def test_clawback_under_a_per_period_cap_reverses_only_what_the_deal_earned():
    # cap 40,000 a period, rate 0.1; a 700,000 deal in month 2 earns 70,000 -> paid 40,000
    # (30,000 lost). Cancelled in month 4: without it the rep earned 0, so month 4 pays
    # -40,000, earnings to date end at 0 and 40,000 is clawed back.
    plan = make_plan(commission(cap={"amount": 40_000, "per": "period"}),
                     clawback={"within_days": 90})
    payout = run(plan, {"new_arr": periods(p2=700_000)}, {"new_arr": QUOTA},
                 cancelled={"new_arr": booked_and_cancelled(2, 4, 700_000)})
    close(payout.paid[0], periods(p2=40_000, p4=-40_000))
    close(payout.total_earned_ytd[0, -1], 0.0)
    close(payout.clawback_ytd[0, 0, -1], 40_000)


def test_clawback_given_by_cancel_period_only_matches_booking_form_on_tiers():
    # for tiers on YTD credit, where the deal was booked does not change what it earned:
    # the (reps, periods) form and the (reps, booked, cancelled-in) form agree
    plan = make_plan(commission(tiers=[{"upto": 1.0, "rate": 1.0}, {"rate": 2.0}]),
                     clawback={"within_days": 90})
    credit = {"new_arr": periods(p2=700_000, p3=500_000, p5=200_000)}
    by_cancel = run(plan, credit, {"new_arr": QUOTA},
                    cancelled={"new_arr": np.atleast_2d(periods(p4=500_000))})
    by_pair = run(plan, credit, {"new_arr": QUOTA},
                  cancelled={"new_arr": booked_and_cancelled(3, 4, 500_000)})
    close(by_cancel.paid, by_pair.paid)
    close(by_cancel.clawback_ytd, by_pair.clawback_ytd)


# ----------------------------------------------------------------------------- proration


def test_rep_active_half_of_every_period_gets_half_the_ti_and_half_the_draw():
    # active 0.5 of every month -> 0.5 x 365 / 365 = half the year
    # TI 100,000 x 0.5 = 50,000 = target; base 100,000 x 0.5 = 50,000
    # quota 1,000,000 as given -> base rate 50,000 / 1,000,000 = 0.05
    plan = make_plan(commission(), draw={"per_period": 6_000, "periods": 2})
    payout = run(plan, {"new_arr": periods(p6=1_000_000)}, {"new_arr": QUOTA},
                 active=np.full((1, 12), 0.5))
    close(payout.ti, [50_000])
    close(payout.base, [50_000])
    close(payout.paid[0], periods(p6=50_000))
    # draw guarantee 6,000 x 0.5 = 3,000 in months 1 and 2
    close(payout.draw[0], periods(p1=3_000, p2=3_000))


def test_rep_starting_in_july_gets_184_of_365_days_of_ti():
    # July-December: 31 + 31 + 30 + 31 + 30 + 31 = 184 days
    plan = make_plan(commission())
    active = np.array([[0] * 6 + [1] * 6])
    payout = run(plan, {"new_arr": periods(p9=500_000)}, {"new_arr": QUOTA}, active=active)
    ti = 100_000 * 184 / 365  # 50,410.96
    close(payout.ti, [ti])
    # 500,000 / 1,000,000 = 50 % of target
    close(payout.paid[0], periods(p9=0.5 * ti))


# ---------------------------------------------------------------------- quarterly true-up


def test_quarterly_plan_pays_ytd_increments():
    # quarter plan; tiers [x1 to 100 %, x2 above]; credit 300k, 500k, 400k, 100k a quarter
    plan = make_plan(commission(tiers=ACCELERATOR), period="quarter", basis="annual")
    payout = run(plan, {"new_arr": [300_000, 500_000, 400_000, 100_000]}, {"new_arr": QUOTA})
    # YTD 300k -> 30,000; 800k -> 80,000; 1,200k -> 100,000 + 200k x 0.2 = 140,000;
    # 1,300k -> 160,000
    close(payout.earned_ytd[0, 0], [30_000, 80_000, 140_000, 160_000])
    # Q3 pays 60,000: 200k at 0.1 to reach quota and 200k at 0.2 above it
    close(payout.paid[0], [30_000, 50_000, 60_000, 20_000])


def test_yearly_plan_has_one_period():
    plan = make_plan(commission(tiers=ACCELERATOR), period="year")
    payout = run(plan, {"new_arr": [[1_300_000]]}, {"new_arr": QUOTA})
    # 100,000 + 300,000 x 0.2 = 160,000
    close(payout.paid, [[160_000]])


# --------------------------------------------------------------------------- team credit


def test_team_credit_pays_on_the_team_sum_against_the_reps_own_quota():
    # reps 0 and 1 are team 7, rep 2 team 9; quotas 1,000,000, 2,000,000, 1,000,000
    plan = make_plan(commission(credit="team"))
    credit = np.stack([periods(p1=300_000), periods(p1=500_000), periods(p1=200_000)])
    payout = run(plan, {"new_arr": credit}, {"new_arr": [1_000_000, 2_000_000, 1_000_000]},
                 team=np.array([7, 7, 9]))
    # team 7: 300,000 + 500,000 = 800,000
    # rep 0: 800,000 / 1,000,000 x 100,000 = 80,000; rep 1: 800,000 / 2,000,000 x 100,000
    # = 40,000; rep 2 alone: 200,000 / 1,000,000 x 100,000 = 20,000
    close(payout.total_earned_ytd[:, -1], [80_000, 40_000, 20_000])
    close(payout.credit[0, :, 0], [800_000, 800_000, 200_000])


def test_team_and_own_credit_components_side_by_side():
    # own commission weight 0.5 (target 50,000, rate 0.05) and a team commission
    # weight 0.5 (target 50,000), both on quota 1,000,000
    plan = make_plan(commission(name="Own", weight=0.5),
                     commission(name="Team", weight=0.5, credit="team"))
    credit = np.stack([periods(p1=400_000), periods(p1=600_000)])
    payout = run(plan, {"new_arr": credit}, {"new_arr": QUOTA}, team=np.array([1, 1]))
    # own: 400,000 x 0.05 = 20,000 and 600,000 x 0.05 = 30,000
    # team: 1,000,000 x 0.05 = 50,000 each
    close(payout.earned_ytd[:, :, -1], [[20_000, 30_000], [50_000, 50_000]])


# ------------------------------------------------------------------------- payout curve


@pytest.fixture(scope="module")
def example_plan():
    return load_plan(EXAMPLE_PLAN)


def curve_at(plan, attainment: float, **kw) -> dict[str, float]:
    df = payout_curve(plan, np.array([attainment]), **kw)
    return dict(zip(df["component"], df["payout"], strict=True))


# Issue example: TI = 300,000 x 0.5 = 150,000. New ARR target 0.8 x 150,000 = 120,000,
# marginal [x1 to 100 %, x2 to 150 %, x1.5 above], gate 40 %, cap 2.5 x 120,000 = 300,000.
# Renewal bonus target 0.2 x 150,000 = 30,000, curve [[0.9, 0], [1.0, 1.0], [1.1, 1.5]].
# MBO target 0.1 x 150,000 = 15,000 at score 1. SPIF left out. Plan cap 3 x 150,000 = 450,000.
CURVE_CASES = [
    # 30 %: below the gate and the bonus curve; MBO 15,000
    (0.3, 0, 0, 15_000),
    # 95 %: 0.95 x 120,000 = 114,000; bonus 0.5 x 30,000 = 15,000
    (0.95, 114_000, 15_000, 15_000),
    # 100 %: 120,000 + 30,000 + 15,000 = 165,000
    (1.0, 120_000, 30_000, 15_000),
    # 120 %: 120,000 + 0.2 x 2 x 120,000 = 168,000; bonus flat past 110 %: 1.5 x 30,000
    (1.2, 168_000, 45_000, 15_000),
    # 160 %: 120,000 + 0.5 x 2 x 120,000 + 0.1 x 1.5 x 120,000 = 258,000
    (1.6, 258_000, 45_000, 15_000),
    # 200 %: 120,000 + 120,000 + 0.5 x 1.5 x 120,000 = 330,000 -> component cap 300,000
    (2.0, 300_000, 45_000, 15_000),
]


@pytest.mark.parametrize(("attainment", "arr", "bonus", "mbo"), CURVE_CASES)
def test_payout_curve_of_the_issue_example(example_plan, attainment, arr, bonus, mbo):
    got = curve_at(example_plan, attainment)
    assert set(got) == {"New ARR", "Renewal bonus", "MBO", "Total"}  # no SPIF
    assert got["New ARR"] == pytest.approx(arr, abs=ATOL)
    assert got["Renewal bonus"] == pytest.approx(bonus, abs=ATOL)
    assert got["MBO"] == pytest.approx(mbo, abs=ATOL)
    assert got["Total"] == pytest.approx(arr + bonus + mbo, abs=ATOL)


def test_payout_curve_at_quota_is_165_000_and_110_percent_of_ti(example_plan):
    df = payout_curve(example_plan, np.array([1.0]))
    total = df[df["component"] == "Total"].iloc[0]
    assert total["payout"] == pytest.approx(165_000, abs=ATOL)
    assert total["pct_of_ti"] == pytest.approx(165_000 / 150_000)


def test_payout_curve_mbo_score_scales_the_mbo(example_plan):
    # score 0.5 -> MBO 7,500; at 100 % the total is 120,000 + 30,000 + 7,500 = 157,500
    got = curve_at(example_plan, 1.0, mbo_score=0.5)
    assert got["MBO"] == pytest.approx(7_500, abs=ATOL)
    assert got["Total"] == pytest.approx(157_500, abs=ATOL)


def test_payout_curve_at_exactly_the_gate_pays_from_the_first_dollar(example_plan):
    # at the 40 % gate: 0.4 x 120,000 = 48,000; bonus 0; MBO 15,000 -> total 63,000
    got = curve_at(example_plan, 0.4)
    assert got["New ARR"] == pytest.approx(48_000, abs=ATOL)
    assert got["Total"] == pytest.approx(63_000, abs=ATOL)


def test_payout_curve_needs_quotas_for_percent_rates():
    plan = make_plan({"name": "Bookings", "type": "commission", "measure": "bookings",
                      "rates": "percent", "tier_basis": "amount", "tiers": [{"rate": 0.1}]})
    with pytest.raises(ValueError, match="quotas"):
        payout_curve(plan, np.array([1.0]))
    # with quota 500,000: 100 % -> 500,000 x 10 % = 50,000
    got = curve_at(plan, 1.0, quotas={"bookings": 500_000})
    assert got["Total"] == pytest.approx(50_000, abs=ATOL)


# ----------------------------------------------------------------- known engine bugs


def test_payout_curve_of_a_team_credit_plan():
    # manager override: ote 260,000, base share 0.6 -> TI 104,000 = target (weight 1.0);
    # tiers [x1 to 100 %, x1.5 above]. Each curve row is one team at that attainment:
    # 100 % -> 104,000; 120 % -> 104,000 + 0.2 x 1.5 x 104,000 = 135,200
    plan = make_plan(commission(credit="team", tiers=[{"upto": 1.0, "rate": 1.0},
                                                      {"rate": 1.5}]),
                     ote=260_000, base_share=0.6, period="quarter")
    df = payout_curve(plan, np.array([1.0, 1.2]))
    total = df[df["component"] == "Total"]["payout"].to_numpy()
    close(total, [104_000, 135_200])


def test_team_per_deal_spiff_reads_counts_from_precomputed_team_inputs():
    # 100 per deal on the team's deals; precomputed team totals: 3 deals in month 1 for
    # both reps' team -> 3 x 100 = 300 each
    plan = make_plan({"name": "Team SPIF", "type": "spiff", "measure": "new_arr",
                      "per_deal": 100, "credit": "team"})
    zeros = np.zeros((2, 12))
    team_counts = np.stack([periods(p1=3), periods(p1=3)])
    team = PlanInputs(credit={"new_arr": zeros}, counts={"new_arr": team_counts})
    payout = run(plan, {"new_arr": zeros}, team_inputs=team)
    close(payout.total_earned_ytd[:, -1], [300, 300])


def test_team_clawback_applies_when_only_the_team_has_cancellations():
    # a manager with no deals of their own: team credit 600,000 in month 2 (tiers x1, base
    # rate 0.1) earns 60,000; a 200,000 team deal booked in month 2 is cancelled in month 3
    # within the window, so month 3 pays -20,000 although the manager's own inputs hold none
    plan = make_plan(commission(credit="team"), clawback={"within_days": 90})
    team = PlanInputs(credit={"new_arr": np.atleast_2d(periods(p2=600_000))},
                      cancelled={"new_arr": booked_and_cancelled(2, 3, 200_000)})
    payout = evaluate(plan, PlanInputs(credit={"new_arr": np.zeros((1, 12))},
                                       quota={"new_arr": QUOTA}, team_inputs=team))
    close(payout.paid[0], periods(p2=60_000, p3=-20_000))
    close(payout.clawback_ytd[0, 0, -1], 20_000)
