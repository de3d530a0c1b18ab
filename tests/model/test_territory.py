"""Territories: the optimiser against brute force, LP rounding and its bound, balance
infeasibility, metrics worked by hand, disruption weight, synthetic accounts and their
loader, and the `spmsim territory accounts|optimise` commands.
"""

from __future__ import annotations

import io
import itertools
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spmsim.cli import main
from spmsim.data.accounts import load_accounts
from spmsim.errors import InputError, SpmsimError
from spmsim.model.territory import (
    EARTH_KM,
    Band,
    alignment_metrics,
    build_problem,
    centres,
    constraints,
    disruption,
    great_circle,
    haversine_km,
    optimise,
    territory_table,
)
from spmsim.synthetic.accounts import SEGMENTS, synthetic_accounts, us_cities

KM_PER_DEGREE = EARTH_KM * np.pi / 180  # 111.195 km


def random_accounts(n: int, seed: int) -> pd.DataFrame:
    """Accounts scattered over the contiguous US with lognormal potential and workload."""
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    return pd.DataFrame({
        "account_id": [f"A{i}" for i in range(n)],
        "lat": rng.uniform(30, 47, n), "lon": rng.uniform(-120, -75, n),
        "potential": rng.lognormal(np.log(1e5), 0.6, n),
        "workload": rng.lognormal(np.log(30), 0.4, n)})


def _costs(accounts, bases, current, weight, bands=None):
    """The optimiser's (accounts, territories) cost: workload x km plus priced moves."""
    return build_problem(accounts, len(bases), great_circle(accounts, bases).to_base,
                         bands=bands or {}, weight=accounts["workload"].to_numpy(float),
                         continuing=current, disruption_weight=weight)


def in_band(values: np.ndarray, owner: np.ndarray, n: int, balance: float,
            tol: float = 1e-6) -> bool:
    load = np.bincount(owner, weights=values, minlength=n)
    mean = values.sum() / n
    return bool(((load >= (1 - balance) * mean * (1 - tol)) &
                 (load <= (1 + balance) * mean * (1 + tol))).all())


def brute_force(accounts, n, bases, balance, on, current, weight) -> float:
    """Minimum cost over every assignment n ** accounts inside the balance band."""
    cost = _costs(accounts, bases, current, weight).cost
    values = accounts[on].to_numpy(float)
    a = len(accounts)
    owners = np.array(list(itertools.product(range(n), repeat=a)))  # (n**a, a)
    total = cost[np.arange(a)[None, :], owners].sum(axis=1)
    mean = values.sum() / n
    ok = np.ones(len(owners), bool)
    for k in range(n):
        load = (values[None, :] * (owners == k)).sum(axis=1)
        ok &= (load >= (1 - balance) * mean) & (load <= (1 + balance) * mean)
    assert ok.any(), "test instance has no feasible alignment"
    return float(total[ok].min())


# (seed, accounts, territories, balance, on, disruption weight or None for no current)
CASES = [(1, 8, 2, 0.2, "workload", None), (2, 9, 2, 0.25, "workload", None),
         (3, 8, 3, 0.3, "workload", None), (4, 9, 3, 0.3, "workload", None),
         (5, 8, 2, 0.2, "potential", None), (6, 9, 3, 0.3, "potential", None),
         (7, 8, 2, 0.2, "workload", 0.5), (8, 9, 3, 0.3, "workload", 2.0),
         (9, 8, 3, 0.3, "potential", 1.0), (10, 9, 2, 0.25, "workload", 5.0),
         (11, 8, 2, 0.1, "workload", 0.3), (12, 9, 3, 0.25, "potential", 0.7)]


@pytest.mark.parametrize(("seed", "a", "n", "balance", "on", "weight"), CASES)
def test_exact_optimum_equals_brute_force(seed, a, n, balance, on, weight):
    accounts = random_accounts(a, seed)
    rng = np.random.default_rng(seed + 100)
    bases = np.column_stack([rng.uniform(30, 47, n), rng.uniform(-120, -75, n)])
    current = rng.integers(0, n, a) if weight is not None else None
    weight = weight or 0.0
    best = brute_force(accounts, n, bases, balance, on, current, weight)
    res = optimise(accounts, n, balance=balance, on=on, bases=bases, current=current,
                   disruption_weight=weight, exact=True)
    assert res.method == "exact"
    assert res.objective == pytest.approx(best, rel=1e-7)
    assert res.bound == pytest.approx(res.objective, rel=1e-9) and res.gap == 0.0
    assert in_band(accounts[on].to_numpy(float), res.owner, n, balance)
    cost = _costs(accounts, bases, current, weight).cost
    assert cost[np.arange(a), res.owner].sum() == pytest.approx(res.objective, rel=1e-7)
    np.testing.assert_array_equal(res.bases, bases)


@pytest.mark.slow
def test_exact_bound_is_a_true_lower_bound_on_mid_instance():
    """Against milp with mip_rel_gap=0 on 150 accounts x 5 territories, balance 5 %."""
    from scipy.optimize import Bounds, milp

    for seed in (3, 4, 5):
        accounts = random_accounts(150, seed)
        rng = np.random.default_rng(seed)
        bases = np.column_stack([rng.uniform(30, 47, 5), rng.uniform(-120, -75, 5)])
        current = rng.integers(0, 5, 150)
        res = optimise(accounts, 5, balance=0.05, bases=bases, current=current,
                       disruption_weight=0.3, exact=True)
        p = _costs(accounts, bases, current, 0.3, {"workload": Band(within=0.05)})
        pu, pk = np.nonzero(p.allowed)
        ref = milp(p.cost[pu, pk], constraints=constraints(p, pu, pk),
                   integrality=np.ones(pu.size), bounds=Bounds(0, 1),
                   options={"mip_rel_gap": 0.0, "time_limit": 60})
        assert ref.status == 0
        assert res.method == "exact" and res.gap == 0.0
        assert res.bound <= ref.fun * (1 + 1e-9), (seed, res.bound / ref.fun - 1)
        assert res.objective == pytest.approx(ref.fun, rel=1e-9)


def test_lp_rounding_medium_instance_in_band_with_small_gap():
    accounts = random_accounts(400, 21)
    res = optimise(accounts, 12, balance=0.1, exact=False, seed=3)
    assert res.method == "lp-rounding"
    assert in_band(accounts["workload"].to_numpy(float), res.owner, 12, 0.1, tol=1e-9)
    assert res.bound is not None and res.bound <= res.objective * (1 + 1e-9)
    cost = _costs(accounts, res.bases, None, 0.0).cost
    assert cost[np.arange(400), res.owner].sum() == pytest.approx(res.objective, rel=1e-9)
    assert res.gap < 0.05  # target: within 5 % of the LP bound


@pytest.mark.parametrize("weight", [0.0, 0.5])
def test_lp_rounding_no_better_than_exact_no_worse_than_bound(weight):
    accounts = random_accounts(80, 31)
    rng = np.random.default_rng(5)
    current = rng.integers(0, 4, 80)
    kw = {"balance": 0.1, "seed": 1, "current": current, "disruption_weight": weight}
    heur = optimise(accounts, 4, exact=False, **kw)
    ex = optimise(accounts, 4, exact=True, bases=heur.bases, **kw)
    assert ex.method == "exact"
    assert heur.objective >= ex.objective * (1 - 1e-9)
    assert ex.objective >= heur.bound * (1 - 1e-9)
    assert heur.gap < 0.05


def test_one_account_heavier_than_band_top_is_infeasible():
    accounts = random_accounts(20, 41)
    accounts.loc[3, "workload"] = accounts["workload"].sum()  # ~ half of all workload
    for exact in (True, False):
        with pytest.raises(SpmsimError, match="balance"):
            optimise(accounts, 4, balance=0.2, exact=exact)
    # the same check on potential
    accounts = random_accounts(20, 42)
    accounts.loc[0, "potential"] = accounts["potential"].sum()
    with pytest.raises(SpmsimError, match="balance"):
        optimise(accounts, 4, balance=0.2, on="potential")


def test_infeasible_band_without_a_giant_account_raises():
    """Three equal accounts in two territories cannot be within +-10 %."""
    accounts = pd.DataFrame({"account_id": ["a", "b", "c"], "lat": [40.0, 41, 42],
                             "lon": [-100.0, -100, -100], "potential": [1.0, 1, 1],
                             "workload": [10.0, 10, 10]})
    with pytest.raises(SpmsimError, match=r"within \+-10% of the mean workload"):
        optimise(accounts, 2, balance=0.1, exact=True)
    # the LP relaxation is feasible (15 each); rounding cannot be, and the MILP it falls
    # back on says which constraint to relax
    with pytest.raises(SpmsimError, match=r"within \+-10% of the mean workload; it would "
                       "without the workload band"):
        optimise(accounts, 2, balance=0.1, exact=False)


def test_territory_count_out_of_range():
    accounts = random_accounts(5, 1)
    for n in (0, 6):
        with pytest.raises(SpmsimError, match="territories"):
            optimise(accounts, n)


def test_haversine_known_distances():
    assert haversine_km(0.0, 0.0, 1.0, 0.0) == pytest.approx(111.195, abs=0.01)
    assert haversine_km(45.0, 10.0, 46.0, 10.0) == pytest.approx(111.195, abs=0.01)
    assert haversine_km(0.0, 0.0, 0.0, 1.0) == pytest.approx(111.195, abs=0.01)
    ny_la = haversine_km(40.7128, -74.0060, 34.0522, -118.2437)
    assert ny_la == pytest.approx(3936, rel=0.01)
    assert haversine_km(34.0522, -118.2437, 40.7128, -74.0060) == pytest.approx(ny_la)
    assert haversine_km(12.0, 34.0, 12.0, 34.0) == 0.0
    assert haversine_km(0.0, 0.0, 0.0, 180.0) == pytest.approx(np.pi * EARTH_KM)
    out = haversine_km(np.zeros((3, 1)), np.zeros((3, 1)), np.array([[0, 1]]),
                       np.zeros((1, 2)))
    assert out.shape == (3, 2)


HAND = pd.DataFrame({"account_id": list("ABCD"), "lat": [0.0, 1.0, 0.0, 0.0],
                     "lon": [0.0, 0.0, 1.0, 2.0], "potential": [10.0, 20.0, 30.0, 40.0],
                     "workload": [1.0, 3.0, 2.0, 2.0]})
HAND_OWNER = np.array([0, 0, 1, 1])
HAND_BASES = np.array([[0.0, 0.0], [0.0, 1.0]])


def test_territory_table_by_hand():
    t = territory_table(HAND, HAND_OWNER, 2, HAND_BASES)
    assert t["accounts"].tolist() == [2, 2]
    assert t["potential"].tolist() == [30.0, 70.0]
    assert t["workload"].tolist() == [4.0, 4.0]
    # T0: (1 x 0 + 3 x 1 degree) / 4; T1: (2 x 1 degree + 2 x 0) / 4
    assert t["mean_km"].to_numpy() == pytest.approx([0.75 * KM_PER_DEGREE,
                                                     0.5 * KM_PER_DEGREE], rel=1e-4)
    assert t["base_lat"].tolist() == [0.0, 0.0] and t["base_lon"].tolist() == [0.0, 1.0]
    # without bases: the workload-weighted centres
    c = centres(HAND, HAND_OWNER, 2)
    np.testing.assert_allclose(c, [[0.75, 0.0], [0.0, 1.5]])
    t2 = territory_table(HAND, HAND_OWNER, 2)
    assert t2["base_lat"].tolist() == [0.75, 0.0] and t2["base_lon"].tolist() == [0.0, 1.5]
    # T0 centre at lat .75: A 0.75 degree, B 0.25 degree -> (0.75 + 3 x 0.25) / 4
    assert t2["mean_km"].iloc[0] == pytest.approx(0.375 * KM_PER_DEGREE, rel=1e-4)
    # an empty territory: NaN centre, 0 accounts and km
    c3 = centres(HAND, HAND_OWNER, 3)
    assert np.isnan(c3[2]).all()


def test_alignment_metrics_by_hand():
    m = alignment_metrics(HAND, HAND_OWNER, 2, HAND_BASES)
    assert m["territories"] == 2
    assert m["cv_potential"] == pytest.approx(0.4)  # mean 50, std 20
    assert m["max_min_potential"] == pytest.approx(70 / 30)
    assert m["cv_workload"] == pytest.approx(0.0)
    assert m["max_min_workload"] == pytest.approx(1.0)
    assert m["max_deviation_workload"] == pytest.approx(0.0)
    # workload-weighted over all accounts: (3 x 1 + 2 x 1) degree / 8
    assert m["mean_km"] == pytest.approx(5 / 8 * KM_PER_DEGREE, rel=1e-4)
    assert "moved_accounts" not in m
    other = np.array([0, 1, 1, 0])  # workloads 3 and 5: deviation 1/4
    m2 = alignment_metrics(HAND, other, 2, HAND_BASES, current=HAND_OWNER)
    assert m2["max_deviation_workload"] == pytest.approx(0.25)
    assert m2["max_min_workload"] == pytest.approx(5 / 3)
    assert m2["moved_accounts"] == pytest.approx(0.5)
    assert m2["moved_potential"] == pytest.approx(0.6)


def test_disruption_by_hand():
    pot = np.array([10.0, 20.0, 30.0, 40.0])
    assert disruption(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 0]), pot) == \
        pytest.approx((0.5, 0.6))
    assert disruption(np.array([0, 0, 1, 1]), np.array([0, 0, 1, 1]), pot) == (0.0, 0.0)
    assert disruption(np.array([0, 1, 2, 3]), np.array([1, 0, 3, 2]), pot) == \
        pytest.approx((1.0, 1.0))
    assert disruption(np.array([0, 0]), np.array([1, 0]), np.zeros(2)) == (0.5, 0.0)


def test_disruption_weight_keeps_owners_and_is_monotone():
    accounts = random_accounts(40, 51)
    n = 4
    rng = np.random.default_rng(52)
    old = np.column_stack([rng.uniform(30, 47, n), rng.uniform(-120, -75, n)])
    current = optimise(accounts, n, balance=0.2, bases=old, exact=True).owner
    assert in_band(accounts["workload"].to_numpy(float), current, n, 0.2)
    new = np.column_stack([rng.uniform(30, 47, n), rng.uniform(-120, -75, n)])
    pot = accounts["potential"].to_numpy(float)
    moved = []
    for weight in [0.0, 0.05, 0.2, 0.5, 1.0, 3.0, 10.0, 1000.0]:
        res = optimise(accounts, n, balance=0.2, bases=new, current=current,
                       disruption_weight=weight, exact=True)
        assert in_band(accounts["workload"].to_numpy(float), res.owner, n, 0.2)
        moved.append(disruption(current, res.owner, pot))
    shares, pot_shares = np.array(moved).T
    assert shares[0] > 0.2  # new bases: weight 0 moves many accounts
    assert shares[-1] == 0.0  # the current alignment is feasible: a huge weight keeps it
    # the penalty is on moved potential, so that share can only fall as the weight grows
    assert (np.diff(pot_shares) <= 1e-12).all(), pot_shares
    # the heuristic too keeps every owner at a huge weight
    big = optimise(accounts, n, balance=0.2, bases=new, current=current,
                   disruption_weight=1000.0, exact=False)
    assert disruption(current, big.owner, pot)[0] <= 0.05


@pytest.mark.slow
def test_synthetic_accounts_deterministic_and_plausible():
    a = synthetic_accounts(1000, 10, seed=7)
    b = synthetic_accounts(1000, 10, seed=7)
    pd.testing.assert_frame_equal(a, b)
    c = synthetic_accounts(1000, 10, seed=8)
    assert not a["lat"].equals(c["lat"])
    assert len(a) == 1000 and a["account_id"].is_unique
    # US incl. Alaska and Hawaii, with 15 km jitter
    assert a["lat"].between(18, 72).all() and a["lon"].between(-180, -64).all()
    cities = us_cities(50_000)
    assert (cities["population"] >= 50_000).all()
    known = set(zip(cities["city"], cities["state"], strict=True))
    assert set(zip(a["city"], a["state"], strict=True)) <= known
    small = set(zip(*us_cities(15_000)[["city", "state"]].T.values, strict=True)) - known
    assert not set(zip(a["city"], a["state"], strict=True)) & small
    shares = a["segment"].value_counts(normalize=True)
    for seg, (share, _) in SEGMENTS.items():
        assert shares[seg] == pytest.approx(share, abs=0.002)
    # segments by potential rank: every enterprise account outranks every smb one
    assert a.loc[a["segment"] == "enterprise", "potential"].min() >= \
        a.loc[a["segment"] == "mid_market", "potential"].max()
    assert a.loc[a["segment"] == "mid_market", "potential"].min() >= \
        a.loc[a["segment"] == "smb", "potential"].max()
    assert (a["potential"] > 0).all() and (a["workload"] > 0).all()
    assert a["rep_id"].str.fullmatch(r"REP0(0[1-9]|10)").all()
    assert a["rep_id"].nunique() >= 8
    # the current owner is the nearest rep base: accounts of a rep sit near each other
    c2 = centres(a, a["rep_id"].str[3:].astype(int).to_numpy() - 1, 10)
    assert not np.isnan(c2).any()


def test_synthetic_accounts_min_population():
    a = synthetic_accounts(300, 5, seed=3, min_population=500_000)
    big = us_cities(500_000)
    assert (big["population"] >= 500_000).all()
    assert set(a["city"]) <= set(big["city"])


def test_load_accounts_round_trip(tmp_path):
    a = synthetic_accounts(200, 5, seed=11)
    path = tmp_path / "accounts.csv"
    a.to_csv(path, index=False)
    back = load_accounts(path)
    assert back["account_id"].tolist() == a["account_id"].tolist()
    for col in ("lat", "lon", "potential", "workload"):
        np.testing.assert_allclose(back[col].to_numpy(float), a[col].to_numpy(float))
    assert back["rep_id"].tolist() == a["rep_id"].tolist()
    assert back["segment"].tolist() == a["segment"].tolist()


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_load_accounts_bad_rows_listed_together(tmp_path):
    path = write(tmp_path / "bad.csv", "account_id,lat,lon,potential,workload\n"
                 "a1,40.0,-100.0,1000,10\n"      # line 2 ok
                 "a2,95,-100.0,1000,10\n"         # line 3 lat out of range
                 "a3,40.0,-100.0,1000,x\n"        # line 4 workload not a number
                 "a1,41.0,-101.0,1000,10\n"       # line 5 duplicate id
                 "a5,40.0,-190,1000,10\n")        # line 6 lon out of range
    with pytest.raises(InputError) as info:
        load_accounts(path)
    text = str(info.value)
    assert "line 3, lat='95'" in text
    assert "line 4, workload='x'" in text
    assert "line 5, account_id='a1'" in text and "repeated on lines [2, 5]" in text
    assert "line 6, lon='-190'" in text
    assert "line 2, lat" not in text and "line 2, workload" not in text
    assert len(info.value.problems) == 5  # the duplicate is flagged on both of its lines


def test_load_accounts_missing_column(tmp_path):
    path = write(tmp_path / "bad.csv", "account_id,lat,lon,potential\na1,40,-100,1000\n")
    with pytest.raises(InputError, match="workload"):
        load_accounts(path)


def cli(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


@pytest.mark.slow
def test_cli_accounts_then_optimise(tmp_path):
    csv = tmp_path / "acc.csv"
    code, out, err = cli("territory", "accounts", "--accounts", 300, "--reps", 6,
                         "--out", csv)
    assert code == 0, err
    assert len(pd.read_csv(csv)) == 300
    # 5 of the 6 reps continue (k-means bases paired with today's territories): names kept
    for extra, names in (([], "REP"), (["--reps", 5, "--on", "potential"], "REP"),
                         (["--disruption", 0.5, "--balance", 0.15], "REP")):
        folder = tmp_path / ("out" + "_".join(map(str, extra)))
        code, out, err = cli("territory", "optimise", csv, *extra, "--out", folder)
        assert code == 0, err
        for name in ("alignment.csv", "territories.csv", "metrics.csv"):
            assert (folder / name).is_file()
        alignment = pd.read_csv(folder / "alignment.csv")
        table = pd.read_csv(folder / "territories.csv")
        metrics = pd.read_csv(folder / "metrics.csv").set_index("metric")
        assert len(alignment) == 300 and alignment["territory"].str.startswith(names).all()
        on = "potential" if "potential" in extra else "workload"
        balance = 0.15 if "--balance" in extra else 0.1
        n = 5 if "--reps" in extra else 6
        assert len(table) == n and table["name"].str.startswith(names).all()
        mean = table[on].sum() / n
        assert (table[on] >= (1 - balance) * mean - 1e-2).all(), table
        assert (table[on] <= (1 + balance) * mean + 1e-2).all(), table
        assert "proposed" in metrics.columns and "current" in metrics.columns
        if on == "workload":
            assert float(metrics.loc["max_deviation_workload", "proposed"]) <= balance + 1e-6
        counts = alignment["territory"].value_counts()
        assert table.set_index("name")["accounts"].to_dict() == \
            {k: counts.get(k, 0) for k in table["name"]}


def test_cli_bad_file_exit_2(tmp_path):
    bad = write(tmp_path / "bad.csv", "account_id,lat,lon,potential,workload\n"
                "a1,95,-100,1000,10\n")
    code, out, err = cli("territory", "optimise", bad, "--reps", 1, "--out", tmp_path / "o")
    assert code == 2 and "line 2" in err and "lat" in err
    code, out, err = cli("territory", "optimise", tmp_path / "missing.csv", "--reps", 2,
                         "--out", tmp_path / "o")
    assert code == 2 and err
    assert not (tmp_path / "o" / "alignment.csv").exists()
