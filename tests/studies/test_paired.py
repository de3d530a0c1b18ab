"""How sure we are: the paired difference on common draws, checked by hand and against
the normal closed form, and the study's variants really paired (same simulated years)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from spmsim.studies.paired import difference


def test_paired_by_hand():
    d = difference(np.array([3.0, 5, 7, 9]), np.array([1.0, 4, 6, 6]), paired=True)
    # d = 2, 1, 1, 3: mean 1.75, s = sqrt(2.75 / 3), se = s / 2
    assert d.mean == pytest.approx(1.75) and d.se == pytest.approx(math.sqrt(2.75 / 3) / 2)
    assert d.prob_better == 1.0 and not d.too_close
    assert d.p10 == pytest.approx(1.0) and d.p90 == pytest.approx(2.7)  # numpy's linear rule
    # lower is better: the same differences, turned
    low = difference(np.array([3.0, 5, 7, 9]), np.array([1.0, 4, 6, 6]), paired=True, goal="min")
    assert low.mean == pytest.approx(-1.75) and low.prob_better == 0.0


def test_ties_count_half_and_identical_designs_are_too_close():
    a = np.array([1.0, 2.0, 3.0, 4.0])
    same = difference(a, a, paired=True)
    assert same.identical and same.too_close and same.prob_better == 0.5
    assert same.trials_needed is None  # no number of trials separates identical designs


def test_trials_needed_by_hand():
    # n = 100, mean 1, s_d = 10: SE 1, z = 1 (too close); n* = (2.8016 x 10 / 1)^2 = 784.9
    rng = np.random.default_rng(1)
    d = rng.standard_normal(100)
    d = (d - d.mean()) / d.std(ddof=1) * 10 + 1
    diff = difference(d, np.zeros(100), paired=True)
    assert diff.se == pytest.approx(1.0) and diff.too_close
    assert diff.trials_needed == 785


def test_against_the_normal_closed_form():
    """d ~ N(mu, sigma): mean, SE, P10/P90 and P(d > 0) = Phi(mu / sigma), within 4 SE."""
    mu, sigma, n = 0.3, 1.0, 40_000
    rng = np.random.default_rng(7)
    common = rng.standard_normal(n) * 5  # the shared year: cancels out when paired
    a = common + rng.normal(mu, sigma / math.sqrt(2), n)
    b = common + rng.normal(0, sigma / math.sqrt(2), n)
    d = difference(a, b, paired=True)
    assert abs(d.mean - mu) < 4 * sigma / math.sqrt(n)
    assert d.se == pytest.approx(sigma / math.sqrt(n), rel=0.02)
    p = stats.norm.cdf(mu / sigma)
    assert abs(d.prob_better - p) < 4 * math.sqrt(p * (1 - p) / n)
    z10 = stats.norm.ppf(0.1)
    # the SE of a sample quantile: sqrt(q (1 - q) / n) / density at it
    se_q = math.sqrt(0.09 / n) / (stats.norm.pdf(z10) / sigma)
    assert abs(d.p10 - (mu + z10 * sigma)) < 4 * se_q
    assert abs(d.p90 - (mu - z10 * sigma)) < 4 * se_q
    # unpaired, the shared year is noise: Welch's SE is about sqrt(2 x 25 + 1) / sqrt(n)
    u = difference(a, b, paired=False)
    assert u.p10 is None and u.prob_better is None
    assert u.se == pytest.approx(math.sqrt(2 * 25 + sigma**2) / math.sqrt(n), rel=0.03)
    assert u.se > 5 * d.se  # why the study pairs its variants


def test_paired_needs_matching_trials():
    with pytest.raises(ValueError, match="same trials"):
        difference(np.ones(3), np.ones(4), paired=True)
