"""Every registered plan component obeys the same contract (in the spirit of check_estimator).

Each type in `spmsim.plans.REGISTRY` needs at least one example config below; a newly
registered type without one fails here. Each example is checked directly on a `Context`
(leading shapes (), (R,), (T, R), i.e. arrays (P,), (R, P), (T, R, P)) and through the
engine as a one-component plan ((R, P) and (T, R, P) credit arrays).
"""

from __future__ import annotations

import copy
from dataclasses import fields

import numpy as np
import pytest

from spmsim.plans import REGISTRY, PlanInputs, evaluate, plan_from_dict
from spmsim.plans.components import MBO, Component, Context

P = 12
T, R = 3, 4
LEADS = [(), (R,), (T, R)]

EXAMPLES: dict[str, list[dict]] = {
    "commission": [
        {"name": "Marginal", "type": "commission", "measure": "new_arr", "weight": 0.8,
         "tiers": [{"upto": 1.0, "rate": 1.0}, {"upto": 1.5, "rate": 2.0}, {"rate": 1.5}],
         "threshold": 0.4, "cap": {"of_target": 2.5}},
        {"name": "Retro", "type": "commission", "measure": "new_arr", "weight": 1.0,
         "mode": "retroactive", "tiers": [{"upto": 1.0, "rate": 1.0}, {"rate": 2.0}]},
        {"name": "Percent", "type": "commission", "measure": "new_arr", "rates": "percent",
         "tier_basis": "amount", "tiers": [{"upto": 250_000, "rate": 0.05}, {"rate": 0.08}],
         "cap": {"amount": 20_000, "per": "period"}},
    ],
    "bonus": [
        {"name": "Bonus", "type": "bonus", "measure": "new_arr", "weight": 0.2,
         "curve": [[0.9, 0.0], [1.0, 1.0], [1.1, 1.5]]},
        {"name": "Steps", "type": "bonus", "measure": "new_arr", "weight": 0.2, "steps": True,
         "curve": [[0.5, 0.25], [1.0, 1.0], [1.5, 2.0]], "cap": {"amount": 30_000}},
    ],
    "mbo": [
        {"name": "MBO", "type": "mbo", "measure": "new_arr", "weight": 0.1},
        {"name": "MBO quarterly", "type": "mbo", "measure": "new_arr", "weight": 0.1,
         "assessed": "quarter"},
    ],
    "spiff": [
        {"name": "SPIF", "type": "spiff", "measure": "new_arr", "per_unit": 0.01,
         "periods": [1, 2, 3]},
        {"name": "Deal SPIF", "type": "spiff", "measure": "new_arr", "per_deal": 500},
    ],
    "contest": [
        {"name": "Q4 push", "type": "contest", "measure": "new_arr", "periods": [10, 11, 12],
         "prizes": [10_000, 5_000, 2_500], "ties": "duplicate"},
        {"name": "Club", "type": "contest", "measure": "new_arr", "rank_by": "attainment",
         "each": 3_000, "qualify": 1.0},
    ],
}

CASES = [pytest.param((kind, i), id=f"{kind}-{i}")
         for kind in sorted(REGISTRY) for i in range(max(1, len(EXAMPLES.get(kind, []))))]


def test_every_registered_type_has_an_example_and_every_example_is_registered():
    assert set(REGISTRY) - set(EXAMPLES) == set(), "add an example config for these types"
    assert set(EXAMPLES) - set(REGISTRY) == set()
    for kind, cls in REGISTRY.items():
        assert cls.kind == kind
        assert issubclass(cls, Component)


@pytest.fixture(params=CASES)
def config(request) -> dict:
    kind, i = request.param
    if kind not in EXAMPLES:
        pytest.fail(f"registered component type {kind!r} has no example config in EXAMPLES")
    return copy.deepcopy(EXAMPLES[kind][i])


@pytest.fixture
def component(config) -> Component:
    comp = REGISTRY[config["type"]].model_validate(config)
    assert comp.type == comp.kind == config["type"]
    return comp


# ---------------------------------------------------------------------------- helpers


def random_context(comp: Component, lead: tuple[int, ...], seed: int = 0,
                   zero: bool = False) -> Context:
    """Non-negative credit (scores in [0, 1] for an MBO), quota, target and deal counts."""
    rng = np.random.default_rng(seed)
    if isinstance(comp, MBO):
        credit = rng.uniform(0.0, 1.0, lead + (P,))
    else:
        credit = rng.uniform(0.0, 250_000.0, lead + (P,))
    counts = rng.integers(0, 4, lead + (P,)).astype(float)
    if zero:
        credit, counts = np.zeros_like(credit), np.zeros_like(counts)
    quota = rng.uniform(500_000.0, 1_500_000.0, lead + (1,)) if comp.needs_quota else None
    target = rng.uniform(50_000.0, 150_000.0, lead + (1,)) * comp.target_share()
    return Context(ytd=np.cumsum(credit, axis=-1), period_credit=credit, quota=quota,
                   target=target, counts=counts)


def capped(comp: Component, ctx: Context) -> np.ndarray:
    """Earned YTD after the component's own cap, as the engine applies it."""
    earned = comp.earned_ytd(ctx)
    return earned if comp.cap is None else comp.cap.apply(earned, ctx.target[..., 0])


def slice_context(ctx: Context, t: int) -> Context:
    return Context(**{f.name: None if getattr(ctx, f.name) is None else getattr(ctx, f.name)[t]
                      for f in fields(Context)})


def context_arrays(ctx: Context) -> dict[str, np.ndarray]:
    return {f.name: getattr(ctx, f.name) for f in fields(Context)
            if getattr(ctx, f.name) is not None}


def plan_of(config: dict, credit: str = "rep"):
    return plan_from_dict({"plan": "Conformance", "ote": 200_000, "base_share": 0.5,
                           "year_start": "2027-01-01", "clawback": {"within_days": 90},
                           "components": [{**config, "credit": credit}]})


def random_inputs(comp: Component, lead: tuple[int, ...], seed: int = 0,
                  zero: bool = False) -> PlanInputs:
    rng = np.random.default_rng(seed)
    high = 1.0 if isinstance(comp, MBO) else 250_000.0
    credit = np.zeros(lead + (P,)) if zero else rng.uniform(0.0, high, lead + (P,))
    counts = np.zeros_like(credit) if zero else rng.integers(0, 4, lead + (P,)).astype(float)
    # cancel part of the previous period's credit (a clawback), never more than was booked
    cancelled = np.zeros_like(credit)
    cancelled[..., 1:] = credit[..., :-1] * rng.uniform(0.0, 0.5, lead + (P - 1,))
    quota = rng.uniform(500_000.0, 1_500_000.0, lead[-1:])  # (R,), broadcast over trials
    active = rng.choice([0.0, 0.5, 1.0], lead + (P,))
    return PlanInputs(credit={comp.measure: credit}, quota={comp.measure: quota},
                      counts={comp.measure: counts}, cancelled={comp.measure: cancelled},
                      active=active, team=np.arange(lead[-1]) % 2)


PER_COMPONENT = ("credit", "earned_ytd", "clawback_ytd")  # (components, ..., reps, periods)


def payout_arrays(payout) -> dict[str, np.ndarray]:
    return {name: np.asarray(getattr(payout, name)) for name in
            ("credit", "earned_ytd", "clawback_ytd", "plan_cap_ytd", "ti", "base", "paid",
             "draw", "recovered", "net_paid", "draw_balance")}


# ------------------------------------------------------------ component on a Context


@pytest.mark.parametrize("lead", LEADS, ids=["P", "RxP", "TxRxP"])
def test_output_shape_equals_input_shape(component, lead):
    ctx = random_context(component, lead)
    assert component.earned_ytd(ctx).shape == lead + (P,)
    assert capped(component, ctx).shape == lead + (P,)


def test_a_batch_equals_its_slices(component):
    ctx = random_context(component, (T, R))
    batch = capped(component, ctx)
    for t in range(T):
        np.testing.assert_array_equal(batch[t], capped(component, slice_context(ctx, t)))


def test_inputs_are_not_mutated(component):
    ctx = random_context(component, (T, R))
    before = {k: v.copy() for k, v in context_arrays(ctx).items()}
    capped(component, ctx)
    for k, v in context_arrays(ctx).items():
        np.testing.assert_array_equal(v, before[k], err_msg=k)


def test_zero_credit_earns_nothing(component):
    ctx = random_context(component, (R,), zero=True)
    np.testing.assert_array_equal(capped(component, ctx), 0.0)


def test_deterministic(component):
    a = capped(component, random_context(component, (T, R), seed=3))
    b = capped(component, random_context(component, (T, R), seed=3))
    assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("seed", range(5))
def test_non_negative_credit_never_earns_a_negative_amount(component, seed):
    earned = capped(component, random_context(component, (T, R), seed=seed))
    assert np.all(np.isfinite(earned))
    assert np.all(earned >= 0.0)


@pytest.mark.parametrize("seed", range(5))
def test_monotone_components_never_earn_less_to_date_as_credit_accrues(component, seed):
    # YTD credit never falls for non-negative credit, so neither does a monotone
    # component's earnings to date
    if not component.is_monotone():
        pytest.skip("not monotone")
    earned = capped(component, random_context(component, (T, R), seed=seed))
    assert np.all(np.diff(earned, axis=-1) >= -1e-9)


def test_interface_answers(component):
    assert isinstance(component.is_monotone(), bool)
    assert isinstance(component.needs_quota, bool)
    assert component.target_share() >= 0.0
    lines = component.explain(500_000.0, 1_000_000.0, 100_000.0 * component.target_share())
    assert lines and all(isinstance(line, str) and line for line in lines)


# ------------------------------------------------------- component through the engine


@pytest.mark.parametrize("credit", ["rep", "team"])
@pytest.mark.parametrize("lead", [(R,), (T, R)], ids=["RxP", "TxRxP"])
def test_engine_shapes(config, credit, lead):
    plan = plan_of(config, credit)
    comp = plan.components[0]
    payout = evaluate(plan, random_inputs(comp, lead))
    assert payout.earned_ytd.shape == (1,) + lead + (P,)
    assert payout.clawback_ytd.shape == (1,) + lead + (P,)
    assert payout.credit.shape == (1,) + lead + (P,)
    for name in ("paid", "net_paid", "draw", "recovered", "draw_balance", "plan_cap_ytd"):
        assert getattr(payout, name).shape == lead + (P,), name
    assert payout.ti.shape == payout.base.shape == lead


@pytest.mark.parametrize("credit", ["rep", "team"])
def test_engine_batch_equals_its_slices(config, credit):
    plan = plan_of(config, credit)
    comp = plan.components[0]
    inputs = random_inputs(comp, (T, R))
    batch = payout_arrays(evaluate(plan, inputs))
    for t in range(T):
        one = PlanInputs(
            credit={k: v[t] for k, v in inputs.credit.items()},
            quota=dict(inputs.quota), counts={k: v[t] for k, v in inputs.counts.items()},
            cancelled={k: v[t] for k, v in inputs.cancelled.items()},
            active=inputs.active[t], team=inputs.team)
        for name, arr in payout_arrays(evaluate(plan, one)).items():
            part = batch[name][:, t] if name in PER_COMPONENT else batch[name][t]
            np.testing.assert_allclose(part, arr, rtol=1e-12, atol=1e-9, err_msg=name)


def test_engine_does_not_mutate_its_inputs(config):
    plan = plan_of(config, "team")
    inputs = random_inputs(plan.components[0], (T, R))
    before = copy.deepcopy(inputs)
    evaluate(plan, inputs)
    for name in ("credit", "quota", "counts", "cancelled"):
        for k, v in getattr(before, name).items():
            np.testing.assert_array_equal(getattr(inputs, name)[k], v, err_msg=f"{name}.{k}")
    np.testing.assert_array_equal(inputs.active, before.active)
    np.testing.assert_array_equal(inputs.team, before.team)


def test_engine_zero_credit_earns_nothing(config):
    plan = plan_of(config)
    payout = evaluate(plan, random_inputs(plan.components[0], (T, R), zero=True))
    np.testing.assert_array_equal(payout.earned_ytd, 0.0)
    np.testing.assert_array_equal(payout.paid, 0.0)


def test_engine_is_deterministic(config):
    plan = plan_of(config, "team")
    comp = plan.components[0]
    a = payout_arrays(evaluate(plan, random_inputs(comp, (T, R), seed=7)))
    b = payout_arrays(evaluate(plan, random_inputs(comp, (T, R), seed=7)))
    for name in a:
        assert a[name].tobytes() == b[name].tobytes(), name
