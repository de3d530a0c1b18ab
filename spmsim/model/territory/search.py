"""From the LP relaxation to a good alignment: rounding, repair, and a local search over
three neighbourhoods of the generalised assignment problem.

* rounding: units the LP assigns whole keep their territory; the few split between
  territories (at most one per binding band or travel row of a basic solution) go where
  the LP puts most of them;
* repair: while a territory lies outside a band (or over its travel), the shift that
  removes the most violation for the least cost;
* local search (first improvement over whole neighbourhoods, repeated until none helps):
  shift (one unit to another territory), swap (two units of two territories trade
  places) and ejection chains of length two (u moves a -> b and pushes w out of b to c),
  the neighbourhoods of Yagiura, Ibaraki and Glover's ejection-chain search for the
  generalised assignment problem (2004), kept inside every band at every step.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from spmsim.errors import SpmsimError
from spmsim.model.territory.exact import Solved, solve
from spmsim.model.territory.problem import Problem

EPS = 1e-9
CANDIDATES = 6  # territories per unit the swap and chain neighbourhoods look at
TIME_PER_SET = 2.0  # seconds for one re-split MILP at most (a safety net) ...
NODES_PER_SET = 50  # ... which stops at this many branch-and-bound nodes (deterministic)
TRIPLES_UP_TO = 8  # territories: re-split triples too when there are no more
BORDER = 40  # units of each territory a re-split may move: those cheapest to move


class State:
    """An assignment and its loads, kept in step."""

    def __init__(self, p: Problem, owner: np.ndarray):
        self.p = p
        self.owner = np.asarray(owner).copy()
        self.load, self.tl = p.loads(self.owner)
        self.scale = np.maximum(np.abs(p.values).sum(axis=1) / p.n, 1e-12)
        span = self.p.hi - self.p.lo
        self.slack = np.where(np.isfinite(span), 1e-9 * np.maximum(np.abs(self.p.hi), 1), 1e-9)
        self.tscale = max(float(np.nanmean(p.travel)) * p.units / p.n, 1e-12)
        self.stamp = np.zeros(p.n, int)  # changes of each territory, for skipping re-solves

    def move(self, u: int, k: int) -> None:
        a = self.owner[u]
        self.load[:, a] -= self.p.values[:, u]
        self.load[:, k] += self.p.values[:, u]
        self.tl[a] -= self.p.travel[u, a]
        self.tl[k] += self.p.travel[u, k]
        self.owner[u] = k
        self.stamp[[a, k]] += 1

    def fits(self, load: np.ndarray) -> np.ndarray:
        """Whether totals (m, ...) lie in every band (tolerance for rounding)."""
        lo = (self.p.lo - self.slack).reshape((-1,) + (1,) * (load.ndim - 1))
        hi = (self.p.hi + self.slack).reshape((-1,) + (1,) * (load.ndim - 1))
        return ((load >= lo) & (load <= hi)).all(axis=0)

    def under_cap(self, tl, k) -> np.ndarray:
        cap = self.p.cap[k]
        return tl <= cap * (1 + 1e-9) + 1e-9

    def violation(self, load: np.ndarray, tl: np.ndarray, k) -> np.ndarray:
        """Scaled distance of totals from their bands, plus travel above its maximum."""
        lo = self.p.lo.reshape((-1,) + (1,) * (load.ndim - 1))
        hi = self.p.hi.reshape((-1,) + (1,) * (load.ndim - 1))
        sc = self.scale.reshape((-1,) + (1,) * (load.ndim - 1))
        out = ((np.maximum(load - hi, 0) + np.maximum(lo - load, 0)) / sc).sum(axis=0)
        return out + np.maximum(tl - self.p.cap[k], 0) / self.tscale

    def total_violation(self) -> float:
        return float(self.violation(self.load, self.tl, np.arange(self.p.n)).sum())

    def objective(self) -> float:
        return self.p.objective(self.owner)


def round_lp(p: Problem, lp: Solved) -> np.ndarray:
    """An assignment from the relaxation: each unit where the LP puts most of it (whole
    units keep their territory; the few split ones may leave a band, for `repair`)."""
    return lp.owner(p.units)


def repair(state: State, deadline: float) -> None:
    """Shifts that remove band and travel violation at the least cost per unit removed."""
    p = state.p
    units = np.arange(p.units)
    for _ in range(20 * p.units + 100):
        if state.total_violation() <= 1e-9:
            return
        src = state.owner
        ks = np.arange(p.n)
        before_src = state.violation(state.load[:, src], state.tl[src], src)
        after_src = state.violation(state.load[:, src] - p.values, state.tl[src] -
                                    p.travel[units, src], src)
        before_dst = state.violation(state.load, state.tl, ks)
        after_dst = state.violation(state.load[:, None, :] + p.values[:, :, None],
                                    state.tl[None, :] + p.travel, ks[None, :])
        gain = (before_src - after_src)[:, None] + before_dst[None, :] - after_dst
        ok = p.allowed & (gain > 1e-12)
        ok[units, src] = False
        if not ok.any():
            break
        extra = p.cost - p.cost[units, src][:, None]
        price = np.where(ok, extra / np.where(ok, gain, 1), np.inf)
        u, k = np.unravel_index(np.argmin(price), price.shape)
        state.move(int(u), int(k))
        if time.perf_counter() > deadline:
            break
    if state.total_violation() > 1e-9:
        raise SpmsimError("could not round the relaxed alignment into every balance band: "
                          "widen the bands, raise max_travel, or solve exactly (--exact)")


def shifts(state: State) -> bool:
    """Every improving shift that keeps both territories in their bands, best first."""
    p = state.p
    units = np.arange(p.units)
    improved = False
    while True:
        src = state.owner
        delta = p.cost - p.cost[units, src][:, None]
        ok = p.allowed & (delta < -EPS * (1 + np.abs(p.cost)))
        ok[units, src] = False
        if not ok.any():
            return improved
        ok &= state.fits(state.load[:, src] - p.values)[:, None]
        ok &= state.fits(state.load[:, None, :] + p.values[:, :, None])
        ok &= state.under_cap(state.tl[None, :] + p.travel, np.arange(p.n)[None, :])
        if not ok.any():
            return improved
        cand = np.argwhere(ok)
        order = np.argsort(delta[ok], kind="stable")
        done = np.zeros(p.units, bool)
        moved = False
        for u, k in cand[order]:
            if done[u]:
                continue
            a = state.owner[u]
            if state.fits(state.load[:, a] - p.values[:, u]) and \
                    state.fits(state.load[:, k] + p.values[:, u]) and \
                    state.under_cap(state.tl[k] + p.travel[u, k], k):
                state.move(u, k)
                done[u] = moved = improved = True
        if not moved:
            return improved


def _neighbours(state: State) -> np.ndarray:
    """(U, CANDIDATES) the cheapest allowed territories of each unit other than its own."""
    p = state.p
    c = np.where(p.allowed, p.cost, np.inf)
    c[np.arange(p.units), state.owner] = np.inf
    k = min(CANDIDATES, p.n - 1)
    if k <= 0:
        return np.zeros((p.units, 0), int)
    near = np.argpartition(c, k - 1, axis=1)[:, :k] if k < p.n else np.argsort(c, axis=1)
    return np.where(np.isfinite(np.take_along_axis(c, near, axis=1)), near, -1)


def swaps(state: State, deadline: float) -> bool:
    """The best improving swap between each pair of neighbouring territories, repeated."""
    p = state.p
    near = _neighbours(state)
    pairs = {tuple(sorted((int(a), int(b)))) for a, row in zip(state.owner, near, strict=True)
             for b in row if b >= 0}
    improved = False
    for a, b in sorted(pairs):
        for _ in range(50):
            ua, ub = np.flatnonzero(state.owner == a), np.flatnonzero(state.owner == b)
            ua, ub = ua[p.allowed[ua, b]], ub[p.allowed[ub, a]]
            if not ua.size or not ub.size:
                break
            da, db = p.cost[ua, b] - p.cost[ua, a], p.cost[ub, a] - p.cost[ub, b]
            if da.min() + db.min() >= -EPS:
                break
            delta = da[:, None] + db[None, :]
            d = p.values[:, ub][:, None, :] - p.values[:, ua][:, :, None]  # (m, |ua|, |ub|)
            ok = (delta < -EPS * (1 + np.abs(p.cost[ua, a]))[:, None]) & \
                state.fits(state.load[:, a, None, None] + d) & \
                state.fits(state.load[:, b, None, None] - d)
            ok &= state.under_cap(state.tl[a] - p.travel[ua, a][:, None] +
                                  p.travel[ub, a][None, :], a)
            ok &= state.under_cap(state.tl[b] - p.travel[ub, b][None, :] +
                                  p.travel[ua, b][:, None], b)
            if not ok.any():
                break
            i, j = np.unravel_index(np.argmin(np.where(ok, delta, np.inf)), delta.shape)
            state.move(int(ua[i]), b)
            state.move(int(ub[j]), a)
            improved = True
        if time.perf_counter() > deadline:
            break
    return improved


def chains(state: State, deadline: float) -> bool:
    """Ejection chains of two shifts: u moves a -> b and w leaves b for c (c not a, b)."""
    p = state.p
    units = np.arange(p.units)
    near = _neighbours(state)
    improved = False
    for b in range(p.n):
        src = state.owner
        # in: units whose candidate list holds b, with a still in band without them
        uin = np.flatnonzero((near == b).any(axis=1) & p.allowed[:, b] & (src != b))
        if not uin.size:
            continue
        a_of = src[uin]
        din = p.cost[uin, b] - p.cost[uin, a_of]
        uin_ok = state.fits(state.load[:, a_of] - p.values[:, uin])
        uin, a_of, din = uin[uin_ok], a_of[uin_ok], din[uin_ok]
        wb = np.flatnonzero(src == b)
        if not uin.size or not wb.size:
            continue
        # out: the best and second-best feasible destination c of each w in b
        dout = p.cost[wb] - p.cost[wb, b][:, None]
        okc = p.allowed[wb] & state.fits(state.load[:, None, :] + p.values[:, wb][:, :, None]) \
            & state.under_cap(state.tl[None, :] + p.travel[wb], np.arange(p.n)[None, :])
        okc[:, b] = False
        dout = np.where(okc, dout, np.inf)
        two = np.argsort(dout, axis=1)[:, :2] if p.n > 1 else np.zeros((wb.size, 1), int)
        c1 = two[:, 0]
        c2 = two[:, 1] if two.shape[1] > 1 else two[:, 0]
        best1 = dout[np.arange(wb.size), c1]
        best2 = dout[np.arange(wb.size), c2]
        if din.min() + best1.min() >= -EPS:
            continue
        # the chain's c may not be u's own territory a (that is a swap)
        dw = np.where(c1[None, :] == a_of[:, None], best2[None, :], best1[None, :])
        cw = np.where(c1[None, :] == a_of[:, None], c2[None, :], c1[None, :])
        delta = din[:, None] + dw
        d = p.values[:, uin][:, :, None] - p.values[:, wb][:, None, :]  # (m, |uin|, |wb|)
        ok = np.isfinite(delta) & (delta < -EPS) & state.fits(state.load[:, b, None, None] + d)
        ok &= state.under_cap(state.tl[b] + p.travel[uin, b][:, None] -
                              p.travel[wb, b][None, :], b)
        ok &= uin[:, None] != wb[None, :]
        if not ok.any():
            continue
        i, j = np.unravel_index(np.argmin(np.where(ok, delta, np.inf)), delta.shape)
        u, w, c = int(uin[i]), int(wb[j]), int(cw[i, j])
        state.move(w, c)
        state.move(u, b)
        improved = True
        if time.perf_counter() > deadline:
            break
    del units
    return improved


def _sub(p: Problem, units: np.ndarray, ks: np.ndarray) -> Problem:
    """The problem restricted to `units` and territories `ks` (the rest held where it is)."""
    return replace(p, n=ks.size, unit=np.arange(units.size),
                   names=[p.names[u] for u in units], cost=p.cost[np.ix_(units, ks)],
                   allowed=p.allowed[np.ix_(units, ks)], values=p.values[:, units],
                   travel=p.travel[np.ix_(units, ks)], cap=p.cap[ks])


def _border(sub: Problem, own: np.ndarray) -> Problem:
    """`sub` with only its BORDER cheapest-to-move units of each territory free; the others
    may only stay (the MILP's presolve removes them)."""
    units = np.arange(sub.units)
    extra = np.where(sub.allowed, sub.cost - sub.cost[units, own][:, None], np.inf)
    extra[units, own] = np.inf
    extra = extra.min(axis=1)
    free = np.zeros(sub.units, bool)
    for k in range(sub.n):
        mine = np.flatnonzero(own == k)
        free[mine[np.argsort(extra[mine], kind="stable")[:BORDER]]] = True
    allowed = sub.allowed.copy()
    allowed[~free] = False
    allowed[units[~free], own[~free]] = True
    return replace(sub, allowed=allowed)


def _pressure(state: State, ks: tuple[int, ...]) -> float:
    """What the units of territories `ks` would save, each in its cheapest of them, bands
    aside: 0 means no re-split of these territories can lower the cost."""
    p = state.p
    kk = np.array(ks)
    units = np.flatnonzero(np.isin(state.owner, kk))
    c = np.where(p.allowed[np.ix_(units, kk)], p.cost[np.ix_(units, kk)], np.inf)
    save = p.cost[units, state.owner[units]] - c.min(axis=1)
    return float(save[save > 1e-9 * (1 + np.abs(p.cost[units, state.owner[units]]))].sum())


def reoptimise(state: State, deadline: float, size: int = 2,
               clean: dict | None = None) -> bool:
    """Very large neighbourhood: the units of `size` neighbouring territories split between
    them again, exactly, by a small MILP (the others stay where they are). Territory sets
    in `clean` were already re-split and have not changed since; they are skipped."""
    clean = {} if clean is None else clean
    p = state.p
    near = _neighbours(state)[:, :3]
    a = np.repeat(state.owner, near.shape[1])
    b = near.ravel()
    keep = b >= 0
    pairs, counts = np.unique(np.sort(np.column_stack([a[keep], b[keep]]), axis=1), axis=0,
                              return_counts=True)
    sets = {tuple(x): int(c) for x, c in zip(pairs.tolist(), counts, strict=True)}
    if size == 3:
        sets = {tuple(sorted({*x, *y})): sets[x] + sets[y] for x in sets for y in sets
                if len({*x, *y}) == 3}
    improved = False
    for ks in sorted(sets, key=lambda k: (-_pressure(state, k), k)):
        if time.perf_counter() > deadline:
            break
        kk = np.array(ks)
        if clean.get(ks) == tuple(state.stamp[kk]):
            continue
        clean[ks] = tuple(state.stamp[kk])
        units = np.flatnonzero(np.isin(state.owner, kk))
        if units.size < 2 or _pressure(state, ks) <= 0:
            continue  # no unit would rather be in another of these: no re-split helps
        now = float(p.cost[units, state.owner[units]].sum())
        sub = _sub(p, units, kk)
        res = solve(_border(sub, np.searchsorted(kk, state.owner[units])), integral=True,
                    gap=1e-5, node_limit=NODES_PER_SET,
                    time_limit=min(TIME_PER_SET, max(deadline - time.perf_counter(), 0.05)))
        if res.x is not None and res.objective is not None and \
                res.objective < now - 1e-9 * (1 + now) and \
                sub.feasible(res.owner(units.size)):  # a solve cut by its limit may not be
            for u, k in zip(units, kk[res.owner(units.size)], strict=True):
                if state.owner[u] != k:
                    state.move(int(u), int(k))
            improved = True
            clean[ks] = tuple(state.stamp[kk])
    return improved


def local_search(state: State, deadline: float, rounds: int = 1) -> None:
    """Shift, swap and chain neighbourhoods in turn until none improves, then the units of
    pairs (and, for a few territories, triples) of territories re-split exactly; repeated
    while anything improves, at most `rounds` times (0: no re-splits), and time is left.
    The work done is fixed by the instance (so a seed gives the same alignment) unless the
    deadline cuts it short."""
    clean: dict = {}
    for _ in range(1000):
        improved = shifts(state)
        if time.perf_counter() > deadline:
            return
        improved |= swaps(state, deadline)
        if time.perf_counter() > deadline:
            return
        improved |= chains(state, deadline)
        if improved:
            continue
        if time.perf_counter() > deadline or rounds <= 0:
            return
        rounds -= 1
        improved = reoptimise(state, deadline, 2, clean)
        if 3 <= state.p.n <= TRIPLES_UP_TO:
            improved |= reoptimise(state, deadline, 3, clean)
        if not improved or time.perf_counter() > deadline:
            return
