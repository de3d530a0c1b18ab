"""Worker threads x BLAS threads never exceed the cores while the Monte Carlo engine runs."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from spmsim.engines import simulate
from spmsim.engines.threads import blas_threads, cores, cpu_budget, default_workers
from spmsim.model.scenario import load_scenario

from paths import ACME


def _blas() -> list[int]:
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


@pytest.mark.parametrize("workers", [1, 2, 3, 8, 64])
def test_workers_times_blas_threads_fit_the_cores(workers):
    assert blas_threads(workers) >= 1
    if workers <= cores():
        assert workers * blas_threads(workers) <= cores()
    else:  # more workers than cores: BLAS single-threaded
        assert blas_threads(workers) == 1


def test_default_workers_use_the_cores_and_no_more():
    assert 1 <= default_workers() <= cores()


def test_cpu_budget_limits_blas_and_restores_it():
    before = _blas()
    with cpu_budget(cores()):
        assert all(n == 1 for n in _blas())
    assert _blas() == before


def test_simulate_runs_under_the_budget():
    seen: list[list[int]] = []
    scenario = load_scenario(ACME)
    simulate(scenario, trials=128, chunk=64, workers=2, progress=False,
             on_chunk=lambda n: seen.append(_blas()))
    assert seen and all(n <= blas_threads(2) for s in seen for n in s)


def test_annual_sums_equal_plain_sums():
    """The annual sums (einsum, no BLAS) equal .sum to rounding."""
    from spmsim.engines.payroll import _annual

    x = np.random.default_rng(1).random((7, 5, 12))
    assert np.allclose(_annual(x), x.sum(-1), rtol=1e-15, atol=0)
