"""Where a sweep looks: designs in the unit cube (Latin hypercube), and refinement boxes
around the best candidates so far."""

from __future__ import annotations

import numpy as np


def latin_hypercube(n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    """n points in [0, 1)^d, one in each of the n equal strata of every dimension."""
    strata = rng.permuted(np.tile(np.arange(n), (d, 1)), axis=1).T
    return (strata + rng.random((n, d))) / n


def refine_points(centres: np.ndarray, n: int, half: np.ndarray,
                  rng: np.random.Generator) -> np.ndarray:
    """`n` Latin hypercube points around each centre (k, d), in the box centre +- half
    cut to the unit cube; centres in order, so the result is (k * n, d)."""
    centres = np.asarray(centres, dtype=float)
    lo = np.clip(centres - half, 0.0, 1.0)
    hi = np.clip(centres + half, 0.0, 1.0)
    points = [lo[i] + latin_hypercube(n, centres.shape[1], rng) * (hi[i] - lo[i])
              for i in range(len(centres))]
    return np.concatenate(points) if points else np.empty((0, centres.shape[1]))
