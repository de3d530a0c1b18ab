"""Reproducibility of the Monte Carlo engine: seeds, chunking, threads, storage, common
random numbers and the memory budget. Every comparison here is exact."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from spmsim.engines import simulate
from spmsim.engines.montecarlo import BLOCK, bytes_per_trial, chunk_trials, task_trials
from spmsim.engines.results import Results
from spmsim.model.scenario import load_scenario, with_overrides

from paths import ACME

TRIALS = 300  # not a multiple of BLOCK: the last block is partial


@pytest.fixture(scope="module")
def acme():
    return load_scenario(ACME)


def run(scenario, **kw) -> Results:
    kw.setdefault("trials", TRIALS)
    return simulate(scenario, progress=False, **kw)


@pytest.fixture(scope="module")
def reference(acme) -> Results:
    return run(acme, chunk=64, workers=1)


def by_trial(reps: pd.DataFrame) -> pd.DataFrame:
    """The reps frame in trial order (stable: roles and slots keep their order)."""
    return reps.sort_values("trial", kind="stable").reset_index(drop=True)


def assert_same(a: Results, b: Results, rows: int | None = None) -> None:
    """Identical figures; with `rows`, b's first `rows` trials against all of a. The reps
    frames are compared row by row in trial order (their raw order is tested apart)."""
    n = a.n_trials if rows is None else rows
    assert a.groups == b.groups and a.months == b.months
    for stat, values in a.trial.items():
        assert np.array_equal(values, b.trial[stat][:n], equal_nan=True), stat
    for stat, values in a.period.items():
        assert np.array_equal(values, b.period[stat][:n]), stat
    if rows is None:
        for name, counts in a.histograms.items():
            assert np.array_equal(counts, b.histograms[name]), name
    other = b.reps if rows is None else b.reps[b.reps["trial"] < n]
    assert len(a.reps) == len(other)
    pd.testing.assert_frame_equal(by_trial(a.reps), by_trial(other), check_exact=True)


def test_acme_exercises_every_mechanism(reference):
    """The repro checks below run on a scenario with attrition, hires, ramp, both market
    models and scores, so they cover every random stream."""
    reps = reference.reps
    assert set(reps["role"]) == {"ent_ae", "smb_ae", "account_mgr"}
    assert reps["left"].any() and reps["new_hire"].any()
    assert reps["rep"].str.contains(".", regex=False).any()  # backfilled seats
    assert reference.n_trials == TRIALS and reps["trial"].nunique() == TRIALS
    spread = reference.trial["revenue"].std(axis=0)
    assert np.all(spread > 0)


@pytest.mark.parametrize(("chunk", "workers"), [(64, 2), (128, 1), (128, 2), (100, 2),
                                                (1000, 1), (1000, 2), (None, 2)])
def test_chunk_size_and_workers_do_not_change_results(acme, reference, chunk, workers):
    assert_same(reference, run(acme, chunk=chunk, workers=workers))


def test_reps_frame_is_identical_whatever_the_chunk(acme, reference):
    other = run(acme, chunk=128, workers=1)
    pd.testing.assert_frame_equal(reference.reps, other.reps, check_exact=True)


@pytest.mark.parametrize("chunk", [1, 5, 17, 63])
def test_blocks_drawn_in_pieces_give_the_same_results(acme, reference, chunk):
    """Under one block, each block is drawn in pieces of `chunk` trials, each continuing
    the block's generators: the same numbers as whole blocks, reps frame included."""
    assert_same(reference, run(acme, chunk=chunk, workers=2))


def test_pieces_of_a_block_must_come_in_order(acme):
    from spmsim.engines.montecarlo import Chunk

    days = np.full(12, 30.0)
    streams: dict = {}
    Chunk(np.random.SeedSequence(1), 0, 10, days, streams)
    with pytest.raises(ValueError, match="in order"):
        Chunk(np.random.SeedSequence(1), 20, 30, days, streams)  # skips trials 10-19
    with pytest.raises(ValueError, match="in order"):
        Chunk(np.random.SeedSequence(1), 5, 64, days)  # mid-block without its start


def test_chunk_is_rounded_up_to_whole_blocks(acme):
    sizes: list[int] = []
    run(acme, chunk=100, workers=2, on_chunk=sizes.append)
    assert sorted(sizes) == [TRIALS - 2 * 128, 128, 128]
    sizes.clear()
    run(acme, chunk=1, workers=1, on_chunk=sizes.append)
    assert sorted(sizes) == [TRIALS - 4 * BLOCK] + [BLOCK] * 4


def test_different_seed_gives_different_numbers(acme, reference):
    other = run(acme, seed=acme.seed + 1, chunk=64, workers=1)
    assert other.seed == acme.seed + 1 and reference.seed == acme.seed
    for stat in ("revenue", "variable_pay", "leavers", "attainment_p50"):
        a, b = reference.trial[stat], other.trial[stat]
        assert not np.array_equal(a, b), stat
        assert (a != b).mean() > 0.5, stat  # most trials differ, not a few
    assert not reference.reps[["revenue"]].equals(other.reps[["revenue"]])


def test_seed_argument_equals_scenario_seed(acme):
    via_argument = run(acme, seed=99, trials=100)
    via_scenario = run(load_scenario(ACME, seed=99), trials=100)
    assert_same(via_argument, via_scenario)
    via_trials = simulate(load_scenario(ACME, seed=99, trials=100), progress=False)
    assert_same(via_argument, via_trials)


@pytest.mark.parametrize("n", [128, 100, 150])
def test_first_trials_do_not_depend_on_the_run_length(acme, n):
    short = run(acme, trials=n)
    long = run(acme, trials=2 * n, chunk=64)
    assert long.n_trials == 2 * n
    assert_same(short, long, rows=n)
    # the second half is new draws, not a copy of the first
    assert not np.array_equal(long.trial["revenue"][:n], long.trial["revenue"][n:])


def test_save_load_round_trip(acme, reference, tmp_path):
    folder = reference.save(tmp_path / "run")
    loaded = Results.load(folder)
    assert loaded.engine == reference.engine == "montecarlo"
    assert loaded.seed == acme.seed
    assert_same(reference, loaded)
    for name, counts in reference.histograms.items():
        assert np.array_equal(counts, loaded.histograms[name]), name
    assert loaded.scenario == reference.scenario == acme.echo()
    pd.testing.assert_frame_equal(reference.summary(), loaded.summary(), check_exact=True)
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["seed"] == acme.seed and meta["trials"] == TRIALS
    assert meta["scenario"] == acme.echo()
    assert meta["groups"] == [*acme.org.roles, "all"]


def test_save_without_reps_drops_a_stale_reps_table(acme, reference, tmp_path):
    reference.save(tmp_path)
    lean = run(acme, trials=64, keep_reps=False)
    assert lean.reps is None
    lean.save(tmp_path)
    loaded = Results.load(tmp_path)
    assert loaded.reps is None and loaded.n_trials == 64
    assert not (tmp_path / "reps.parquet").exists()
    assert np.array_equal(loaded.trial["revenue"], lean.trial["revenue"])


def test_plan_variants_see_the_same_draws(acme, reference):
    """Common random numbers: a plan change moves pay, never the market's draws."""
    path = "org.roles.ent_ae.plan.components[0].tiers[1].rate"
    steeper = with_overrides(acme, {path: 3.0})
    assert steeper.org.roles["ent_ae"].plan.components[0].tiers[1].rate == 3.0
    variant = run(steeper, chunk=64, workers=1)
    for stat in ("revenue", "reps", "fte", "leavers", "at_quota", "top20_revenue_share",
                 "attainment_p10", "attainment_p50", "attainment_p90"):
        assert np.array_equal(reference.trial[stat], variant.trial[stat], equal_nan=True), stat
    assert np.array_equal(reference.period["revenue"], variant.period["revenue"])
    assert np.array_equal(reference.histograms["attainment"], variant.histograms["attainment"])
    cols = ["trial", "role", "rep", "year_share", "revenue", "quota", "attainment",
            "new_hire", "left"]
    pd.testing.assert_frame_equal(reference.reps[cols], variant.reps[cols], check_exact=True)
    # pay: a higher accelerator never pays an enterprise AE less, and pays some more;
    # the other roles' plans are unchanged, and so is their pay
    g = reference.groups.index("ent_ae")
    base, more = reference.trial["variable_pay"][:, g], variant.trial["variable_pay"][:, g]
    assert np.all(more >= base - 1e-6) and np.all(more > base)
    for role in ("smb_ae", "account_mgr"):
        g = reference.groups.index(role)
        assert np.array_equal(reference.trial["variable_pay"][:, g],
                              variant.trial["variable_pay"][:, g]), role


@pytest.mark.filterwarnings("ignore:one simulated year")  # 1 MB for 8 workers: < one trial
def test_chunk_trials_follows_the_memory_budget(acme):
    per_trial = bytes_per_trial(acme)
    assert per_trial > 0
    budgets = [1, 64, 256, 1024, 4096, 16384]
    for workers in (1, 2, 8):
        sizes = [chunk_trials(acme, mb, workers) for mb in budgets]
        assert all(s % BLOCK == 0 or s < BLOCK for s in sizes), sizes
        assert sizes == sorted(sizes), sizes
        assert sizes[-1] > sizes[0], sizes
        for mb, size in zip(budgets, sizes, strict=True):
            share = mb * 2 ** 20 / workers
            # the most whole blocks that fit in each worker's share; under one block, the
            # most trials that fit (pieces of a block); at least one trial
            if size >= BLOCK:
                assert size * per_trial <= share < (size + BLOCK) * per_trial, (mb, workers)
            elif share >= per_trial:
                assert size * per_trial <= share < (size + 1) * per_trial, (mb, workers)
            else:
                assert size == 1, (mb, workers)
    # more workers split the same budget
    assert chunk_trials(acme, 4096, 8) < chunk_trials(acme, 4096, 1)
    # a bigger organisation needs more memory per trial, hence smaller chunks
    bigger = with_overrides(acme, {"org.roles.smb_ae.headcount": 460})
    assert bytes_per_trial(bigger) > per_trial
    assert chunk_trials(bigger, 4096, 1) < chunk_trials(acme, 4096, 1)


def test_memory_budget_sets_the_chunks(acme):
    size = chunk_trials(acme, 16, 1)
    assert size < TRIALS
    sizes: list[int] = []
    run(acme, memory_mb=16, workers=1, on_chunk=sizes.append)
    # tasks are whole blocks; under one block, a task's block is drawn in pieces of `size`
    assert max(sizes) == task_trials(size) and sum(sizes) == TRIALS


@pytest.mark.parametrize("memory_mb", [8, 32])
def test_large_organisation_stays_within_the_budget(acme, memory_mb):
    """Ten times acme's SMB team: one block no longer fits a small budget, so blocks are
    drawn in pieces. The arrays alive at the peak (tracemalloc sees numpy's) stay within
    the budget, and the figures equal those of whole blocks."""
    import tracemalloc

    big = with_overrides(acme, {"org.roles.smb_ae.headcount": 10 * acme.org.roles[
        "smb_ae"].headcount})
    budget = memory_mb * 2 ** 20
    assert bytes_per_trial(big) * BLOCK > budget  # a block does not fit
    assert chunk_trials(big, memory_mb, 1) < BLOCK
    whole = run(big, trials=70, chunk=64, workers=1, keep_reps=False)
    tracemalloc.start()
    try:
        pieces = run(big, trials=70, memory_mb=memory_mb, workers=1, keep_reps=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < budget, (peak / 2 ** 20, memory_mb)
    for stat, values in whole.trial.items():
        assert np.array_equal(values, pieces.trial[stat], equal_nan=True), stat
    for stat, values in whole.period.items():
        assert np.array_equal(values, pieces.period[stat]), stat
    for name, counts in whole.histograms.items():
        assert np.array_equal(counts, pieces.histograms[name]), name


def test_warns_when_one_trial_does_not_fit(acme):
    with pytest.warns(UserWarning, match="one trial at a time"):
        assert chunk_trials(acme, bytes_per_trial(acme) / 2 ** 21, 1) == 1


@pytest.mark.parametrize("size", [
    {"type": "mixture", "components": [{"weight": 3, "median": 12_000, "sigma": 0.6},
                                       {"weight": 1, "median": 60_000, "sigma": 0.9}]},
    {"type": "empirical", "values": [9_000.0, 15_000.0, 22_000.0, 80_000.0]},
])
def test_other_deal_sizes_drawn_in_pieces_give_the_same_results(acme, size):
    """Mixture and empirical sizes consume their streams deal after deal too (a mixture
    draws its components from a stream of their own), so pieces change nothing."""
    other = with_overrides(acme, {"market.smb_ae.measures.new_arr.size": size})
    assert other.market["smb_ae"].measures["new_arr"].size.type == size["type"]
    whole = run(other, trials=100, chunk=64, workers=1)
    assert_same(whole, run(other, trials=100, chunk=9, workers=2))


def test_cache_sized_pieces(acme):
    """Default runs evaluate pieces of about CELLS_PER_PIECE cells (at least one trial)."""
    from spmsim.engines.montecarlo import CELLS_PER_PIECE, cache_trials

    cells = sum(r.slots for r in acme.org.roles.values()) * 12
    n = cache_trials(acme)
    assert n * cells <= CELLS_PER_PIECE < (n + 1) * cells
    huge = with_overrides(acme, {"org.roles.smb_ae.headcount": 30_000})
    assert cache_trials(huge) == 1


def test_a_task_returns_one_merged_chunk(acme, reference):
    """However many pieces a task takes, it hands back one chunk (its histograms added),
    so a large organisation's many small pieces do not pile up histograms."""
    from spmsim.engines.montecarlo import Task, run_task

    (merged,) = run_task(Task(acme, acme.seed, 0, 64, 5, keep_reps=True))
    assert merged.start == 0 and merged.trial["revenue"].shape[0] == 64
    for stat, values in merged.trial.items():
        assert np.array_equal(values, reference.trial[stat][:64], equal_nan=True), stat
    pd.testing.assert_frame_equal(merged.reps.reset_index(drop=True),
                                  by_trial(reference.reps[reference.reps["trial"] < 64]),
                                  check_exact=True)
