"""Published optima reproduced through the Python API and the command line.

The capacitated p-median instances of Osman and Christofides (1994), as distributed in
J. E. Beasley's OR-Library (file pmedcap1: 10 instances of 50 customers and 5 medians,
10 of 100 and 10, every median's capacity 120), are a territory design: customers are
accounts with a workload (their demand), the medians are home bases, a territory's
workload may not pass 120, and the cost is the sum of the distances from each customer to
its median (each counted once: travel weight none). Distances are Euclidean, rounded down
to whole units as in the published optima. With the bases at an optimal set of medians
(found once by solving the whole p-median MILP, which gives the same value), the
assignment the optimiser finds must cost exactly the published optimum: 713 (instance 1),
651 (instance 4), 982 (instance 14).

Each instance lists its customers as "x y demand" (in file order, customers 1, 2, ...).
"""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spmsim.cli import main
from spmsim.model.territory import Band, Travel, optimise

CAPACITY = 120
INSTANCES = {  # name: (medians, published optimum, optimal medians, customers)
    "pmedcap1-1": (5, 713, [10, 12, 19, 21, 48], """
        2 62 3, 80 25 14, 36 88 1, 57 23 14, 33 17 19, 76 43 2, 77 85 14, 94 6 6, 89 11 7,
        59 72 6, 39 82 10, 87 24 18, 44 76 3, 2 83 6, 19 43 20, 5 27 4, 58 72 14, 14 50 11,
        43 18 19, 87 7 15, 11 56 15, 31 16 4, 51 94 13, 55 13 13, 84 57 5, 12 2 16, 53 33 3,
        53 10 7, 33 32 14, 69 67 17, 43 5 3, 10 75 3, 8 26 12, 3 1 14, 96 22 20, 6 48 13,
        59 22 10, 66 69 9, 22 50 6, 75 21 18, 4 81 7, 41 97 20, 92 34 9, 12 64 1, 60 84 8,
        35 100 5, 38 2 1, 9 9 7, 54 59 9, 1 58 2
    """),
    "pmedcap1-4": (5, 651, [3, 9, 29, 43, 50], """
        9 59 15, 5 26 1, 66 78 19, 18 75 12, 70 88 11, 98 63 19, 9 81 5, 13 50 10, 19 83 16,
        85 3 1, 40 47 3, 14 31 8, 8 50 6, 2 51 1, 63 98 8, 44 39 6, 80 39 10, 86 3 7, 44 42 6,
        65 47 16, 32 61 16, 63 33 19, 80 24 13, 59 64 8, 38 4 11, 62 25 19, 39 58 17, 29 71 2,
        48 45 18, 49 49 1, 58 61 5, 8 87 17, 49 50 15, 77 84 17, 25 75 6, 100 92 9, 3 70 10,
        54 77 2, 16 89 2, 29 85 6, 46 37 19, 32 57 14, 9 49 13, 18 86 14, 58 41 4, 14 80 15,
        65 63 10, 72 91 11, 7 13 14, 78 28 10
    """),
    "pmedcap1-14": (10, 982, [3, 6, 25, 35, 50, 61, 67, 90, 92, 95], """
        2 4 17, 98 70 18, 88 78 5, 20 49 6, 14 77 17, 19 47 6, 77 38 7, 54 53 2, 98 13 12,
        41 47 15, 40 63 11, 44 98 13, 16 60 13, 44 43 6, 35 56 7, 18 47 5, 93 29 10, 24 7 20,
        7 23 9, 86 12 4, 64 33 3, 15 8 14, 11 7 2, 17 18 1, 32 68 6, 72 97 14, 62 68 18,
        83 62 17, 55 40 4, 30 86 7, 2 5 16, 76 69 17, 46 38 17, 23 26 8, 82 24 15, 91 36 2,
        89 42 20, 84 72 8, 69 50 4, 75 73 19, 79 86 20, 99 51 9, 68 79 1, 52 37 8, 79 56 17,
        41 10 7, 60 77 3, 12 61 19, 97 37 3, 70 75 1, 67 22 5, 65 72 15, 77 1 12, 98 87 20,
        26 93 13, 76 14 12, 15 42 9, 28 43 5, 89 93 14, 53 49 9, 89 46 15, 57 25 12, 39 27 16,
        16 64 16, 10 18 16, 53 29 12, 25 19 6, 31 68 16, 94 44 3, 94 76 6, 14 71 2, 8 81 12,
        45 96 11, 83 34 3, 66 67 10, 78 19 17, 66 86 13, 26 15 7, 23 22 3, 25 71 20, 82 60 14,
        81 81 5, 22 78 3, 2 72 14, 87 38 18, 79 34 11, 19 31 17, 3 67 13, 5 95 19, 6 6 3,
        41 18 19, 12 71 5, 71 88 16, 61 37 2, 50 39 12, 15 22 11, 36 27 6, 79 52 13, 28 21 14,
        85 29 8
    """),
}


def instance(name: str):
    """(accounts, (customers x customers) floored Euclidean distances, medians, optimum)."""
    p, optimum, medians, text = INSTANCES[name]
    xyq = np.array([[int(v) for v in c.split()] for c in text.split(",")])
    assert len(medians) == p
    ids = [f"C{i + 1}" for i in range(len(xyq))]
    accounts = pd.DataFrame({"account_id": ids, "potential": xyq[:, 2].astype(float),
                             "workload": xyq[:, 2].astype(float)})
    d = np.floor(np.sqrt(((xyq[:, None, :2] - xyq[None, :, :2]) ** 2).sum(axis=-1)))
    return accounts, d, medians, optimum


@pytest.mark.parametrize("name", list(INSTANCES))
def test_published_optimum_through_the_api(name):
    accounts, d, medians, optimum = instance(name)
    travel = Travel(d[:, np.array(medians) - 1], "units")
    res = optimise(accounts, len(medians), travel=travel, weight=None,
                   bands={"workload": Band(max=CAPACITY)}, exact=True)
    assert res.method == "exact" and res.gap == 0.0
    assert res.objective == optimum
    load = np.bincount(res.owner, weights=accounts["workload"], minlength=len(medians))
    assert load.max() <= CAPACITY
    # every median is in its own territory
    assert [res.owner[m - 1] for m in medians] == list(range(len(medians)))
    # the heuristic: never below the optimum, never above it by more than 3 %
    heur = optimise(accounts, len(medians), travel=travel, weight=None,
                    bands={"workload": f"..{CAPACITY}"}, exact=False)
    assert optimum <= heur.objective <= optimum * 1.03
    assert heur.bound <= optimum


def cli(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def write_files(name: str, folder: Path, long: bool) -> tuple[Path, Path, Path, int]:
    accounts, d, medians, optimum = instance(name)
    ids = accounts["account_id"].tolist()
    accounts.to_csv(folder / "accounts.csv", index=False)
    if long:  # account x base, long: account_id, base_id, km
        rows = [(a, f"B{m}", d[i, m - 1]) for i, a in enumerate(ids) for m in medians]
        pd.DataFrame(rows, columns=["account_id", "base_id", "km"]).to_csv(
            folder / "matrix.csv", index=False)
        bases = pd.DataFrame({"territory": [f"REP{m}" for m in medians],
                              "base_id": [f"B{m}" for m in medians]})
    else:  # account x account, wide; each base sits at its median's account
        pd.DataFrame(d, index=pd.Index(ids, name="account_id"), columns=ids).to_csv(
            folder / "matrix.csv")
        bases = pd.DataFrame({"territory": [f"REP{m}" for m in medians],
                              "account_id": [f"C{m}" for m in medians]})
    bases.to_csv(folder / "bases.csv", index=False)
    return folder / "accounts.csv", folder / "matrix.csv", folder / "bases.csv", optimum


@pytest.mark.slow
@pytest.mark.parametrize(("name", "long"), [("pmedcap1-1", False), ("pmedcap1-4", True)])
def test_published_optimum_through_the_cli(tmp_path, name, long):
    accounts, matrix, bases, optimum = write_files(name, tmp_path, long)
    out = tmp_path / "out"
    code, text, err = cli("territory", "optimise", accounts, "--matrix", matrix, "--bases",
                          bases, "--band", f"workload=..{CAPACITY}", "--weight", "none",
                          "--exact", "--out", out)
    assert code == 0, err
    assert f"objective (travel): {optimum:,.0f}; proven lower bound {optimum:,.0f}" in text
    metrics = pd.read_csv(out / "metrics.csv").set_index("metric")
    assert float(metrics.loc["travel", "proposed"]) == optimum
    table = pd.read_csv(out / "territories.csv")
    assert table["workload"].max() <= CAPACITY
    alignment = pd.read_csv(out / "alignment.csv")
    medians = INSTANCES[name][2]
    assert alignment.set_index("account_id").loc[[f"C{m}" for m in medians],
                                                 "territory"].tolist() == \
        [f"REP{m}" for m in medians]
    assert (out / "territories.html").stat().st_size > 10_000
