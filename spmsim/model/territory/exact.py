"""The problem as a mixed-integer programme, and its linear relaxation (HiGHS through
`scipy.optimize.milp`).

Variables x[u, k] for the allowed pairs only: every unit in exactly one territory; each
banded measure's territory total inside its band; each territory's travel under its
maximum; minimise the summed cost. The relaxation (0 <= x <= 1) is a transportation-like
LP whose optimum is a lower bound on every alignment's cost, but only when HiGHS reports
it optimal (a time limit leaves no bound).
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from spmsim.model.territory.problem import Problem


@dataclass(frozen=True)
class Solved:
    """What HiGHS returned: x over the allowed pairs (None when it found nothing)."""

    x: np.ndarray | None
    objective: float | None
    bound: float | None  # proven lower bound, when there is one
    optimal: bool
    status: int
    message: str
    pairs: tuple[np.ndarray, np.ndarray]

    def owner(self, units: int) -> np.ndarray:
        """Territory per unit from an integral x (the largest share for a fractional one)."""
        pu, pk = self.pairs
        best = np.full(units, -1.0)
        out = np.zeros(units, int)
        order = np.argsort(self.x, kind="stable")  # the largest share written last wins
        best[pu[order]] = self.x[order]
        out[pu[order]] = pk[order]
        return out


def constraints(p: Problem, pu: np.ndarray, pk: np.ndarray) -> list[LinearConstraint]:
    size = len(pu)
    cols = np.arange(size)
    out = [LinearConstraint(sparse.csr_matrix((np.ones(size), (pu, cols)),
                                              shape=(p.units, size)), 1, 1)]
    for j in range(len(p.measures)):
        if np.isfinite(p.lo[j]) or np.isfinite(p.hi[j]):
            band = sparse.csr_matrix((p.values[j, pu], (pk, cols)), shape=(p.n, size))
            out.append(LinearConstraint(band, p.lo[j], p.hi[j]))
    capped = np.flatnonzero(np.isfinite(p.cap))
    if capped.size:
        row = np.full(p.n, -1)
        row[capped] = np.arange(capped.size)
        keep = row[pk] >= 0
        tr = sparse.csr_matrix((p.travel[pu, pk][keep], (row[pk][keep], cols[keep])),
                               shape=(capped.size, size))
        out.append(LinearConstraint(tr, -np.inf, p.cap[capped]))
    return out


@contextmanager
def _quiet():
    """HiGHS writes some progress lines straight to the process's standard output (file
    descriptor 1), past Python: send them to the null device while it runs."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):  # no real stdout (some notebook kernels): nothing to hide
        yield
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)


def solve(p: Problem, *, integral: bool, time_limit: float, gap: float = 0.0,
          subset: np.ndarray | None = None, node_limit: int | None = None) -> Solved:
    """The MILP (`integral`) or its relaxation, within `time_limit` seconds; `gap` is the
    relative gap at which HiGHS may stop (0: prove the optimum)."""
    allowed = p.allowed if subset is None else p.allowed & subset
    pu, pk = np.nonzero(allowed)
    c = p.cost[pu, pk]
    opts = {"time_limit": max(float(time_limit), 0.01), "presolve": True}
    if integral:
        opts["mip_rel_gap"] = gap
    if node_limit is not None:
        opts["node_limit"] = node_limit
    with _quiet():
        res = milp(c, constraints=constraints(p, pu, pk),
                   integrality=np.ones(len(pu)) if integral else np.zeros(len(pu)),
                   bounds=Bounds(0, 1), options=opts)
    optimal = res.status == 0
    x = None if res.x is None else np.asarray(res.x)
    fun = None if res.fun is None or x is None else float(res.fun)
    if optimal and (not integral or gap == 0):
        bound = fun
    elif integral and getattr(res, "mip_dual_bound", None) is not None:
        bound = float(res.mip_dual_bound)
    else:
        bound = None
    if bound is not None and not np.isfinite(bound):
        bound = None
    return Solved(x, fun, bound, optimal, int(res.status), str(res.message), (pu, pk))
