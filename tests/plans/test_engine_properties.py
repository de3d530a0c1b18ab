"""Properties of the payout engine on random plans and inputs (hypothesis).

Plans are drawn from every component type with random tiers, modes, gates, curves, caps,
a plan cap, a draw and a clawback; inputs are 2 reps x 12 months of non-negative credit.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from spmsim.plans import PlanInputs, evaluate, plan_from_dict

R, P = 2, 12
SETTINGS = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
MEASURES = ("new_arr", "renewals", "score", "logos")

EDGES = st.lists(st.sampled_from([0.25, 0.5, 0.8, 1.0, 1.2, 1.5, 2.0]), unique=True,
                 max_size=3).map(sorted)
RATES = st.sampled_from([0.0, 0.5, 1.0, 1.5, 2.0, 3.0])
WEIGHTS = st.sampled_from([0.1, 0.2, 0.5, 0.8, 1.0])


@st.composite
def caps(draw, per_period: bool, has_target: bool):
    kinds = ["none", "year"] + (["of_target"] if has_target else []) + \
        (["period"] if per_period else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "none":
        return None
    if kind == "of_target":
        return {"of_target": draw(st.sampled_from([0.5, 1.0, 1.5, 2.5]))}
    amount = draw(st.sampled_from([5_000, 20_000, 60_000, 150_000]))
    return {"amount": amount, "per": kind}


@st.composite
def commissions(draw, monotone: bool, per_period: bool):
    edges = draw(EDGES)
    rates = draw(st.lists(RATES, min_size=len(edges) + 1, max_size=len(edges) + 1))
    mode = draw(st.sampled_from(["marginal", "retroactive"]))
    if monotone and mode == "retroactive":
        rates = sorted(rates)
    cfg = {"type": "commission", "measure": "new_arr", "mode": mode}
    if draw(st.booleans()):  # multiplier rates, attainment edges
        cfg |= {"weight": draw(WEIGHTS), "rates": "multiplier", "tier_basis": "attainment"}
        gate = [0.25, 0.5, 1.0]
    else:  # percent rates, amount edges
        edges, rates = [e * 500_000 for e in edges], [r * 0.05 for r in rates]
        cfg |= {"rates": "percent", "tier_basis": "amount"}
        gate = [100_000, 400_000]
    cfg["tiers"] = [{"upto": e, "rate": r} for e, r in zip(edges, rates[:-1], strict=True)] + \
        [{"rate": rates[-1]}]
    if draw(st.booleans()):
        cfg["threshold"] = draw(st.sampled_from(gate))
    cfg["cap"] = draw(caps(per_period, has_target="weight" in cfg))
    return cfg


@st.composite
def bonuses(draw, monotone: bool, per_period: bool):
    xs = draw(st.lists(st.sampled_from([0.5, 0.8, 0.9, 1.0, 1.1, 1.5]), unique=True,
                       min_size=1, max_size=4).map(sorted))
    ys = draw(st.lists(st.sampled_from([0.0, 0.25, 0.5, 1.0, 1.5, 2.0]), min_size=len(xs),
                       max_size=len(xs)))
    if monotone:
        ys = sorted(ys)
    return {"type": "bonus", "measure": "renewals", "weight": draw(WEIGHTS),
            "curve": [[x, y] for x, y in zip(xs, ys, strict=True)], "steps": draw(st.booleans()),
            "cap": draw(caps(per_period, has_target=True))}


@st.composite
def mbos(draw, monotone: bool, per_period: bool):
    return {"type": "mbo", "measure": "score", "weight": draw(WEIGHTS),
            "assessed": draw(st.sampled_from(["period", "quarter", "year"])),
            "cap": draw(caps(per_period, has_target=True))}


@st.composite
def spiffs(draw, monotone: bool, per_period: bool):
    cfg = {"type": "spiff", "measure": "logos", "cap": draw(caps(per_period, has_target=False))}
    if draw(st.booleans()):
        cfg["per_unit"] = draw(st.sampled_from([500, 2_000]))
    else:
        cfg["per_deal"] = draw(st.sampled_from([100, 1_000]))
    if draw(st.booleans()):
        cfg["periods"] = draw(st.lists(st.integers(1, P), unique=True, min_size=1, max_size=6))
    return cfg


@st.composite
def plans(draw, monotone: bool = False, per_period: bool = True, draw_rule: bool | None = None):
    makers = [commissions, bonuses, mbos, spiffs]
    comps = draw(st.lists(st.sampled_from(makers), min_size=1, max_size=4))
    components = [{**draw(make(monotone, per_period)), "name": f"C{i}", "credit": draw(
        st.sampled_from(["rep", "rep", "team"]))} for i, make in enumerate(comps)]
    doc = {"plan": "Random", "ote": draw(st.sampled_from([120_000, 200_000, 300_000])),
           "base_share": draw(st.sampled_from([0.0, 0.5, 0.7])), "year_start": "2027-01-01",
           "components": components}
    plan_cap = draw(caps(per_period, has_target=True))
    if plan_cap is not None:
        doc["cap"] = plan_cap
    if draw_rule if draw_rule is not None else draw(st.booleans()):
        doc["draw"] = {"per_period": draw(st.sampled_from([1_000, 5_000, 20_000])),
                       "periods": draw(st.integers(1, P)), "recoverable": draw(st.booleans()),
                       "applies_to": draw(st.sampled_from(["all", "new_hires"]))}
    if draw(st.booleans()):
        doc["clawback"] = {"within_days": 90, "share": draw(st.sampled_from([0.5, 1.0]))}
    return plan_from_dict(doc)


def amounts(high: float, integers: bool = False):
    elements = st.integers(0, int(high)).map(float) if integers else \
        st.floats(0.0, high, allow_nan=False, allow_infinity=False)
    return arrays(np.float64, (R, P), elements=elements)


@st.composite
def credits(draw, score_high: float = 1.0):
    return {"new_arr": draw(amounts(400_000)), "renewals": draw(amounts(400_000)),
            "score": draw(amounts(score_high)), "logos": draw(amounts(3, integers=True))}


@st.composite
def inputs(draw, cancellations: bool = True, activity: bool = True) -> PlanInputs:
    credit = draw(credits())
    counts = {m: draw(amounts(3, integers=True)) for m in MEASURES}
    cancelled, cancelled_counts = {}, {}
    if cancellations and draw(st.booleans()):
        # part of the previous month's new ARR and deals cancelled the month after
        share = draw(arrays(np.float64, (R, P - 1), elements=st.sampled_from([0.0, 0.5, 1.0])))
        cancelled["new_arr"] = np.zeros((R, P))
        cancelled["new_arr"][:, 1:] = credit["new_arr"][:, :-1] * share
        cancelled_counts["logos"] = np.zeros((R, P))
        cancelled_counts["logos"][:, 1:] = np.floor(counts["logos"][:, :-1] * share)
    active = None
    if activity and draw(st.booleans()):
        active = draw(arrays(np.float64, (R, P), elements=st.sampled_from([0.0, 0.5, 1.0])))
    quota = {m: draw(arrays(np.float64, (R,), elements=st.sampled_from(
        [250_000.0, 1_000_000.0, 2_000_000.0]))) for m in ("new_arr", "renewals")}
    return PlanInputs(credit=credit, quota=quota, active=active, cancelled=cancelled,
                      counts=counts, cancelled_counts=cancelled_counts,
                      new_hire=np.array([False, True]), team=np.array([0, 0]))


def tolerance(scale) -> float:
    return 1e-9 * max(1.0, float(np.max(np.abs(scale)))) + 1e-6


# ------------------------------------------------------------------------ monotone


@SETTINGS
@given(plan=plans(monotone=True, per_period=False), base=inputs(cancellations=False),
       extra=credits(score_high=0.5))
def test_more_credit_never_pays_less_on_a_monotone_plan(plan, base, extra):
    assert plan.is_monotone()
    scores = {"score": np.minimum(base.credit["score"], 0.5)}  # score + extra stays <= 1
    before = {**base.credit, **scores}
    after = {m: before[m] + extra[m] for m in before}
    more_counts = {m: base.counts[m] + (extra[m] if m == "logos" else 0) for m in base.counts}
    low = evaluate(plan, replace(base, credit=before))
    high = evaluate(plan, replace(base, credit=after, counts=more_counts))
    tol = tolerance(high.total_earned_ytd)
    assert np.all(high.total_earned_ytd[..., -1] >= low.total_earned_ytd[..., -1] - tol)
    # component by component too (component caps hold per component)
    assert np.all(high.earned_ytd[..., -1] >= low.earned_ytd[..., -1] - tol)


# ---------------------------------------------------------------------------- caps


@SETTINGS
@given(plan=plans(), data=inputs())
def test_component_and_plan_caps_are_never_exceeded(plan, data):
    payout = evaluate(plan, data)
    tol = tolerance(payout.earned_ytd)
    for i, comp in enumerate(plan.components):
        earned, cap = payout.earned_ytd[i], comp.cap
        if cap is None:
            continue
        if cap.of_target is not None:
            target = payout.ti * comp.target_share()
            assert np.all(earned <= cap.of_target * target[..., None] + tol)
        elif cap.per == "year":
            assert np.all(earned <= cap.amount + tol)
        else:
            assert np.all(np.diff(earned, axis=-1, prepend=0.0) <= cap.amount + tol)
    total, cap = payout.total_earned_ytd, plan.cap
    if cap is not None:
        if cap.of_target is not None:
            assert np.all(total <= cap.of_target * payout.ti[..., None] + tol)
        elif cap.per == "year":
            assert np.all(total <= cap.amount + tol)
        else:
            assert np.all(payout.paid <= cap.amount + tol)
        assert np.all(payout.plan_cap_ytd <= tol)  # the plan cap only ever cuts


# --------------------------------------------------------------- draws add up


@SETTINGS
@given(plan=plans(draw_rule=True), data=inputs())
def test_net_paid_adds_up_to_earnings_plus_draws_outstanding(plan, data):
    payout = evaluate(plan, data)
    total = payout.total_earned_ytd
    tol = tolerance(np.abs(payout.paid).sum(-1) + payout.draw.sum(-1))
    # paid is the increment of earnings to date: it sums to the year-end total
    np.testing.assert_allclose(payout.paid.sum(-1), total[..., -1], rtol=0, atol=tol)
    assert np.all(payout.draw >= 0) and np.all(payout.recovered >= 0)
    np.testing.assert_allclose(payout.net_paid, payout.paid + payout.draw - payout.recovered,
                               rtol=0, atol=tol)
    if plan.draw.recoverable:
        # sum(net) = sum(paid) + sum(draw) - sum(recovered) = earned + balance at year end
        np.testing.assert_allclose(payout.net_paid.sum(-1),
                                   total[..., -1] + payout.draw_balance[..., -1],
                                   rtol=0, atol=tol)
        assert np.all(payout.draw_balance >= -tol)
        np.testing.assert_allclose(payout.draw_balance,
                                   np.cumsum(payout.draw - payout.recovered, axis=-1),
                                   rtol=0, atol=tol)
    else:
        np.testing.assert_allclose(payout.net_paid.sum(-1),
                                   total[..., -1] + payout.draw.sum(-1), rtol=0, atol=tol)
        np.testing.assert_array_equal(payout.recovered, 0.0)
        np.testing.assert_array_equal(payout.draw_balance, 0.0)


@SETTINGS
@given(plan=plans(draw_rule=True), data=inputs())
def test_net_pay_is_at_least_the_guarantee_in_the_draw_periods(plan, data):
    payout = evaluate(plan, data)
    d = plan.draw
    active = np.ones((R, P)) if data.active is None else data.active
    on = active > 0
    in_draw = on & (np.cumsum(on, axis=-1) <= d.periods)
    if d.applies_to == "new_hires":
        in_draw &= data.new_hire[:, None]
    guarantee = d.per_period * active
    tol = tolerance(payout.paid)
    assert np.all(payout.net_paid[in_draw] >= guarantee[in_draw] - tol)
    # no advance outside the draw periods, and recovery only above the guarantee
    assert np.all(payout.draw[~in_draw] == 0)
    room = np.maximum(payout.paid - np.where(in_draw, guarantee, 0.0), 0.0)
    assert np.all(payout.recovered <= room + tol)


# -------------------------------------------------------------------- determinism


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(plan=plans(), data=inputs())
def test_same_inputs_give_identical_bytes(plan, data):
    a, b = evaluate(plan, data), evaluate(plan, data)
    for name in ("credit", "earned_ytd", "clawback_ytd", "plan_cap_ytd", "ti", "base", "paid",
                 "draw", "recovered", "net_paid", "draw_balance"):
        assert np.asarray(getattr(a, name)).tobytes() == np.asarray(getattr(b, name)).tobytes()
