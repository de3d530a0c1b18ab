"""Territory design from the files a planner brings: names from the bases file, today's
owners matched by name, travel before and after from a drive-time matrix, locks and groups,
every band reported; and the tables the report draws."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spmsim.errors import SpmsimError
from spmsim.studies.designs import design_territories

REPS = ["R1", "R2", "R3"]


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(4)
    a = 24
    acc = pd.DataFrame({"account_id": [f"A{i:02d}" for i in range(a)],
                        "lat": rng.uniform(33, 45, a).round(4),
                        "lon": rng.uniform(-110, -80, a).round(4),
                        "potential": rng.lognormal(np.log(2e5), 0.5, a).round(0),
                        "workload": rng.lognormal(np.log(30), 0.3, a).round(1),
                        "rep_id": [REPS[i % 3] for i in range(a)],
                        "locked": ["yes"] + [""] * (a - 1),
                        "group": ["", "P", "P"] + [""] * (a - 3)})
    acc.to_csv(tmp_path / "accounts.csv", index=False)
    minutes = rng.uniform(20, 400, (a, 3)).round(0)
    rows = [(acc["account_id"][i], r, minutes[i, k]) for i in range(a)
            for k, r in enumerate(REPS)]
    pd.DataFrame(rows, columns=["account_id", "rep_id", "minutes"]).to_csv(
        tmp_path / "matrix.csv", index=False)
    pd.DataFrame({"territory": REPS, "lat": [35.0, 40.0, 42.0],
                  "lon": [-100.0, -90.0, -85.0]}).to_csv(tmp_path / "bases.csv", index=False)
    return tmp_path, acc, minutes


def test_design_with_matrix_bases_locks_groups_and_two_bands(files):
    folder, acc, minutes = files
    bands = {"workload": 0.25, "potential": "30%"}
    d = design_territories(folder / "accounts.csv", bands=bands, disruption=0.5,
                           matrix=folder / "matrix.csv", bases=folder / "bases.csv")
    assert d.territories["name"].tolist() == REPS and d.unit == "minutes"
    owner = d.alignment.set_index("account_id")["territory"]
    assert owner["A00"] == acc.loc[0, "rep_id"]  # locked
    assert owner["A01"] == owner["A02"]  # a group
    for m, share in (("workload", 0.25), ("potential", 0.30)):
        totals = d.territories[m].to_numpy()
        assert np.abs(totals / totals.mean() - 1).max() <= share + 1e-9
    # travel before and after, by hand from the matrix: workload x minutes to the rep
    w = acc["workload"].to_numpy()
    col = {r: k for k, r in enumerate(REPS)}
    now = (w * minutes[np.arange(len(acc)), acc["rep_id"].map(col)]).sum()
    new = (w * minutes[np.arange(len(acc)), owner.map(col).to_numpy()]).sum()
    assert d.metrics.loc["travel", "current"] == pytest.approx(now)
    assert d.metrics.loc["travel", "proposed"] == pytest.approx(new)
    assert new <= now + 1e-6 or d.metrics.loc["max_deviation_workload", "current"] > 0.25
    moves = d.moves()
    moved = (owner.to_numpy() != acc["rep_id"].to_numpy())
    assert moves["accounts_moved"] == moved.sum() == d.alignment["moved"].sum()
    assert moves["potential_moved"] == pytest.approx(acc["potential"][moved].sum())
    # every band reported, per territory, today and proposed
    bal = d.balance()
    assert set(bal["measure"]) == {"potential", "workload"}
    assert len(bal) == 2 * 2 * 3 and set(bal["alignment"]) == {"current", "proposed"}
    band = bal.query("alignment == 'proposed' and measure == 'potential'")
    mean = acc["potential"].sum() / 3
    assert band["band_low"].iloc[0] == pytest.approx(0.7 * mean)
    summary = d.summary()
    assert "mean workload-weighted travel to the base (minutes)" in summary[""].tolist()
    assert any("within +-30% of the mean potential" in s for s in summary[""])
    assert "accounts that change rep" in summary[""].tolist()
    assert set(d.travel()["alignment"]) == {"current", "proposed"}
    assert d.base_table()["name"].tolist() == REPS
    assert "3 territories, workload within +-25% of the mean workload; potential" in \
        d.describe()


def test_fewer_territories_without_bases_keep_rep_names_where_they_continue(files):
    folder, acc, _ = files
    acc.drop(columns="locked").to_csv(folder / "free.csv", index=False)
    with pytest.raises(SpmsimError, match="locked accounts stay with their rep"):
        design_territories(folder / "accounts.csv", 2, balance=0.3)
    d = design_territories(folder / "free.csv", 2, balance=0.3, disruption=1.0)
    names = d.territories["name"].tolist()
    assert len(names) == 2 and set(names) <= set(REPS)
    assert d.metrics.loc["moved_accounts", "proposed"] == pytest.approx(
        d.alignment["moved"].mean())
    assert list(d.metrics.columns) == ["current", "proposed"]


def test_locked_to_a_rep_who_is_not_a_territory(files, tmp_path):
    folder, acc, _ = files
    pd.DataFrame({"territory": ["R2", "R3"], "lat": [40.0, 42.0],
                  "lon": [-90.0, -85.0]}).to_csv(tmp_path / "two.csv", index=False)
    with pytest.raises(SpmsimError, match="A00 is locked to R1, which is not one of the "
                       "territories"):
        design_territories(folder / "accounts.csv", bases=tmp_path / "two.csv")


def test_scenario_territories_take_home_bases(tmp_path):
    """`territory.bases` in a scenario: travel from each rep's base, in compare_designs."""
    from spmsim.data.accounts import load_accounts
    from spmsim.errors import InputError
    from spmsim.model.scenario import load_scenario
    from spmsim.model.territory import alignment_metrics, centres

    from paths import ACME_TERRITORIES, SMB_ACCOUNTS

    acc = load_accounts(SMB_ACCOUNTS)
    reps = sorted(acc["rep_id"].unique())
    owner = acc["rep_id"].map({r: i for i, r in enumerate(reps)}).to_numpy()
    where = centres(acc, owner, len(reps))
    pd.DataFrame({"rep_id": reps, "lat": where[:, 0], "lon": where[:, 1]}).to_csv(
        tmp_path / "bases.csv", index=False)
    key = "org.roles.smb_ae.territory.bases"
    s = load_scenario(ACME_TERRITORIES, {key: str(tmp_path / "bases.csv")})
    link = s.org.roles["smb_ae"].territory
    travel = link.travel_to_bases()
    assert travel.to_base.shape == (len(acc), len(reps)) and travel.unit == "km"
    m = alignment_metrics(acc, owner, len(reps), where)
    got = alignment_metrics(acc, link.owners(), len(reps), travel=travel)
    assert got["mean_km"] == pytest.approx(m["mean_km"])
    pd.DataFrame({"rep_id": reps[1:], "lat": where[1:, 0], "lon": where[1:, 1]}).to_csv(
        tmp_path / "short.csv", index=False)
    with pytest.raises(InputError, match=f"no base for the territories {reps[0]}"):
        load_scenario(ACME_TERRITORIES, {key: str(tmp_path / "short.csv")})
