"""A synthetic but realistic year of transactions for the shipped example plans.

About 30 reps in three roles plus their managers: Poisson deal arrivals per rep and month
scaled by skill (lognormal), new-hire ramp and quarter-end seasonality; lognormal deal
sizes; some split deals, cancellations and new logos; quarterly MBO scores; account
managers renewing a book of accounts. Seeded through a SeedSequence, one child stream per
purpose, so the same seed writes the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from spmsim.io import write_csv

YEAR_START = np.datetime64("2027-01-01")
MONTH_STARTS = np.arange("2027-01", "2028-01", dtype="datetime64[M]").astype("datetime64[D]")
# quarter-end months close more business (the "hockey stick")
SEASONALITY = np.array([0.7, 0.8, 1.3, 0.8, 0.9, 1.3, 0.7, 0.8, 1.3, 0.9, 1.0, 1.5])
SEASONALITY = SEASONALITY / SEASONALITY.mean()
STREAMS = ("skill", "arrivals", "size", "day", "split", "cancel", "logo", "mbo", "renewal",
           "strategic")  # appended only: earlier streams keep their draws


@dataclass(frozen=True)
class Role:
    plan: str
    quota: dict[str, float]
    deals_per_month: float  # at full productivity
    median_size: float
    sigma: float


ROLES = {
    "ent": Role("enterprise_ae", {"new_arr": 1_200_000}, 0.78, 90_000, 0.8),
    "smb": Role("smb_ae", {"new_arr": 560_000}, 2.4, 18_000, 0.6),
    "am": Role("account_manager", {"expansion": 420_000, "renewals": 1_500_000}, 1.0, 28_000,
               0.7),
}


def _roster() -> pd.DataFrame:
    rows = []
    for i in range(1, 13):
        rows.append((f"ENT{i:02d}", "enterprise_ae", "ent-east" if i <= 6 else "ent-west"))
    for i in range(1, 13):
        rows.append((f"SMB{i:02d}", "smb_ae", "smb"))
    for i in range(1, 7):
        rows.append((f"AM{i:02d}", "account_manager", "am"))
    rows += [("MGR-EAST", "sales_manager", "ent-east"), ("MGR-WEST", "sales_manager", "ent-west"),
             ("MGR-SMB", "sales_manager", "smb")]
    df = pd.DataFrame(rows, columns=["rep_id", "plan", "team"])
    df["start_date"], df["end_date"] = "", ""
    moves = {"ENT05": ("", "2027-06-30"), "ENT13": ("2027-08-01", ""),
             "SMB12": ("2027-03-15", ""), "AM05": ("2027-04-01", ""), "AM06": ("2027-07-15", ""),
             "AM03": ("", "2027-09-30")}
    df = pd.concat([df, pd.DataFrame([("ENT13", "enterprise_ae", "ent-west", "", "")],
                                     columns=["rep_id", "plan", "team", "start_date",
                                              "end_date"])], ignore_index=True)
    for rep, (start, end) in moves.items():
        df.loc[df["rep_id"] == rep, ["start_date", "end_date"]] = [start, end]
    return df


def _active_days(roster: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    start = pd.to_datetime(roster["start_date"].replace("", "2027-01-01")).to_numpy("datetime64[D]")
    end = pd.to_datetime(roster["end_date"].replace("", "2027-12-31")).to_numpy("datetime64[D]")
    return start, end


def _ramp(start: np.ndarray) -> np.ndarray:
    """Productivity per rep and month: a new hire reaches full speed over four months."""
    months = (MONTH_STARTS[None, :] - start[:, None]).astype(int) / 30.4
    hired = start > YEAR_START
    ramp = np.clip((months + 1) / 4.0, 0.0, 1.0)
    return np.where(hired[:, None], ramp, 1.0)


def example_company(seed: int = 2027) -> dict[str, pd.DataFrame]:
    """Roster, quotas and deals for the shipped example plans (FY2027)."""
    rng = dict(zip(STREAMS, (np.random.default_rng(s) for s in
                             np.random.SeedSequence(seed).spawn(len(STREAMS))), strict=True))
    roster = _roster()
    start, end = _active_days(roster)
    share = ((end - start).astype(int) + 1) / 365.0
    role = roster["rep_id"].str.extract(r"^(ENT|SMB|AM)", expand=False).str.lower()
    skill = rng["skill"].lognormal(-0.5 * 0.3**2, 0.3, size=len(roster))
    productivity = skill[:, None] * _ramp(start) * SEASONALITY[None, :]
    deals, quotas = [], []
    for r, rep in enumerate(roster["rep_id"]):
        if pd.isna(role[r]):
            continue
        spec = ROLES[role[r]]
        quotas += [(rep, m, round(q * share[r], -3)) for m, q in spec.quota.items()]
        n = rng["arrivals"].poisson(spec.deals_per_month * productivity[r])
        month = np.repeat(np.arange(12), n)
        first = np.maximum(MONTH_STARTS[month], start[r])
        last = np.minimum(MONTH_STARTS[month] + 27, end[r])
        ok = last >= first
        month, first, last = month[ok], first[ok], last[ok]
        span = (last - first).astype(int) + 1
        day = first + (rng["day"].random(month.size) * span).astype(int)
        size = np.round(rng["size"].lognormal(np.log(spec.median_size), spec.sigma, month.size),
                        -2)
        measure = "new_arr" if role[r] != "am" else "expansion"
        deals += [(rep, d, measure, a) for d, a in zip(day, size, strict=True)]
    data = _assemble(rng, roster, deals, quotas, start, end)
    return _with_strategic(data, rng["strategic"])


STRATEGIC = ("STR01", "STR02", "STR03")
STRATEGIC_QUOTA = {"new_arr": 2_000_000.0, "renewals": 1_850_000.0}


def _with_strategic(data: dict[str, pd.DataFrame], rng) -> dict[str, pd.DataFrame]:
    """Three strategic AEs (plan strategic_ae: windfall clause, accelerators unlocked by
    renewals) from their own stream, so the other reps' rows keep their bytes: a few large
    new-ARR deals each (one bluebird above the windfall line, one cancelled) and a book of
    named accounts renewing over the year."""
    new_reps = pd.DataFrame({"rep_id": STRATEGIC, "plan": "strategic_ae", "team": "strategic"})
    new_quotas = pd.DataFrame(
        [(rep, m, q) for rep in STRATEGIC for m, q in STRATEGIC_QUOTA.items()],
        columns=["rep_id", "measure", "quota"])
    # every other column (dates, effective dates, relief) empty, as in the rows before
    new_reps = new_reps.reindex(columns=data["roster"].columns, fill_value="")
    new_quotas = new_quotas.reindex(columns=data["quotas"].columns, fill_value="")
    roster = pd.concat([data["roster"], new_reps], ignore_index=True)
    quotas = pd.concat([data["quotas"], new_quotas], ignore_index=True)
    rows = []
    for rep in STRATEGIC:
        n = rng.poisson(0.55 * SEASONALITY)
        month = np.repeat(np.arange(12), n)
        days = MONTH_STARTS[month] + rng.integers(0, 28, month.size)
        sizes = np.round(rng.lognormal(np.log(220_000), 0.7, month.size), -3)
        rows += [(f"S-{rep}-{i + 1:02d}", rep, d, "new_arr", a)
                 for i, (d, a) in enumerate(zip(days, sizes, strict=True))]
        accounts = 12
        renew_days = YEAR_START + rng.integers(0, 365, accounts)
        value = np.round(rng.lognormal(np.log(150_000), 0.3, accounts), -3)
        renewed = rng.random(accounts) < 0.92
        rows += [(f"R-{rep}-{a + 1:02d}", rep, d, "renewals", v) for a, (d, v, ok) in
                 enumerate(zip(renew_days, value, renewed, strict=True)) if ok]
    rows.append(("S-STR01-BLUEBIRD", "STR01", np.datetime64("2027-06-18"), "new_arr",
                 1_800_000.0))  # above the windfall line
    deals = pd.DataFrame(rows, columns=["rep_id_", "rep_id", "date", "measure", "amount"]) \
        .rename(columns={"rep_id_": "deal_id"}).assign(split="", cancel_date="")
    first_large = deals.index[(deals["rep_id"] == "STR02") & (deals["measure"] == "new_arr")][0]
    cancelled = pd.Timestamp(deals.loc[first_large, "date"]) + pd.Timedelta(days=60)
    deals.loc[first_large, "cancel_date"] = cancelled.strftime("%Y-%m-%d")
    deals["date"] = pd.to_datetime(deals["date"]).dt.strftime("%Y-%m-%d")
    all_deals = pd.concat([data["deals"], deals[data["deals"].columns]], ignore_index=True) \
        .sort_values(["date", "deal_id", "rep_id"], kind="stable").reset_index(drop=True)
    return {"roster": roster, "deals": all_deals, "quotas": quotas}


def _assemble(rng, roster, deals, quotas, start, end) -> dict[str, pd.DataFrame]:
    df = pd.DataFrame(deals, columns=["rep_id", "date", "measure", "amount"])
    df = df.sort_values(["date", "rep_id"], kind="stable").reset_index(drop=True)
    df["deal_id"] = [f"D{i + 1:05d}" for i in range(len(df))]
    df["split"], df["cancel_date"] = "", ""
    cancel = rng["cancel"].random(len(df)) < 0.04
    lag = rng["cancel"].integers(10, 150, len(df))
    cancel_at = df["date"].to_numpy("datetime64[D]") + lag
    cancel &= cancel_at <= np.datetime64("2027-12-31")
    df.loc[cancel, "cancel_date"] = pd.Series(cancel_at[cancel]).dt.strftime("%Y-%m-%d").values
    extra = [_splits(rng["split"], df, roster), _logos(rng["logo"], df),
             _mbo(rng["mbo"], roster, start, end), _renewals(rng["renewal"], roster, start, end)]
    df = pd.concat([df, *extra], ignore_index=True)
    df["date"] = pd.to_datetime(df["date"]).dt.strftime("%Y-%m-%d")
    df = df.sort_values(["date", "deal_id", "rep_id"], kind="stable")
    cols = ["deal_id", "rep_id", "date", "measure", "amount", "split", "cancel_date"]
    mgr_quotas = _manager_quotas(roster, pd.DataFrame(quotas, columns=["rep_id", "measure",
                                                                       "quota"]))
    return _dated_changes({
        "roster": roster, "deals": df[cols].reset_index(drop=True),
        "quotas": pd.concat([pd.DataFrame(quotas, columns=["rep_id", "measure", "quota"]),
                             mgr_quotas], ignore_index=True)})


# Dated assignments in the example year (drawn deals unchanged): SMB03 is promoted to the
# enterprise plan on 1 July; ENT08 moves from the west team to the east on 1 October and
# hands accounts to ENT13, with 150,000 of quota relief from that day.
PROMOTION = ("SMB03", "2027-07-01", "enterprise_ae", "ent-east")
TERRITORY = ("ENT08", "2027-10-01", "ent-east", -150_000.0, "territory change: accounts to ENT13")


def _dated_changes(data: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    roster, quotas = data["roster"].copy(), data["quotas"].copy()
    roster["effective_from"], roster["effective_to"] = "", ""
    quotas["from"], quotas["reason"] = "", ""
    rep, day, plan, team = PROMOTION
    before = str(np.datetime64(day) - 1)
    roster.loc[roster["rep_id"] == rep, "effective_to"] = before
    h1 = (np.datetime64(before) - YEAR_START).astype(int) + 1
    mine = (quotas["rep_id"] == rep) & (quotas["measure"] == "new_arr")
    quotas.loc[mine, "quota"] = round(ROLES["smb"].quota["new_arr"] * h1 / 365, -3)
    new = {"rep_id": rep, "plan": plan, "team": team, "start_date": "", "end_date": "",
           "effective_from": day, "effective_to": ""}
    quota = round(ROLES["ent"].quota["new_arr"] * (365 - h1) / 365, -3)
    rows = [pd.DataFrame([new]), ]
    changes = [pd.DataFrame([{"rep_id": rep, "measure": "new_arr", "quota": quota,
                              "from": day, "reason": ""}])]
    rep, day, team, relief, reason = TERRITORY
    moved = roster[roster["rep_id"] == rep].assign(team=team, effective_from=day)
    roster.loc[roster["rep_id"] == rep, "effective_to"] = str(np.datetime64(day) - 1)
    rows.append(moved)
    changes.append(pd.DataFrame([{"rep_id": rep, "measure": "new_arr", "quota": relief,
                                  "from": day, "reason": reason}]))
    return {"roster": pd.concat([roster, *rows], ignore_index=True), "deals": data["deals"],
            "quotas": pd.concat([quotas, *changes], ignore_index=True)}


def _splits(rng, df: pd.DataFrame, roster: pd.DataFrame) -> pd.DataFrame:
    """One enterprise deal in ten is shared 50/50 with a teammate employed that day."""
    team = roster.set_index("rep_id")["team"]
    start, end = _active_days(roster)
    window = pd.DataFrame({"start": start, "end": end}, index=roster["rep_id"])
    ent = df[df["rep_id"].str.startswith("ENT") & (df["cancel_date"] == "")]
    chosen = ent[rng.random(len(ent)) < 0.1]
    rows = []
    for idx, deal in chosen.iterrows():
        day = np.datetime64(deal["date"], "D")
        mates = [r for r in team.index[team == team[deal["rep_id"]]]
                 if r != deal["rep_id"] and r.startswith("ENT")
                 and window.loc[r, "start"] <= day <= window.loc[r, "end"]]
        if not mates:
            continue
        mate = mates[int(rng.integers(len(mates)))]
        df.loc[idx, "split"] = "0.5"
        rows.append({**deal.to_dict(), "rep_id": mate, "split": "0.5"})
    return pd.DataFrame(rows)


def _logos(rng, df: pd.DataFrame) -> pd.DataFrame:
    """Half of enterprise deals are new logos: one unit of `new_logos` each."""
    ent = df[df["rep_id"].str.startswith("ENT") & (df["split"] == "")]
    logo = ent[rng.random(len(ent)) < 0.5]
    return pd.DataFrame({"deal_id": logo["deal_id"] + "-LOGO", "rep_id": logo["rep_id"],
                         "date": logo["date"], "measure": "new_logos", "amount": 1.0,
                         "split": "", "cancel_date": ""})


def _quarter_ends(start, end) -> list[np.datetime64]:
    ends = np.array(["2027-03-31", "2027-06-30", "2027-09-30", "2027-12-31"], "datetime64[D]")
    return [q for q in ends if start <= q <= end]


def _mbo(rng, roster, start, end) -> pd.DataFrame:
    """Quarterly MBO scores for enterprise reps, scored on the last day of the quarter."""
    rows = []
    for r, rep in enumerate(roster["rep_id"]):
        if rep.startswith("ENT"):
            for i, q in enumerate(_quarter_ends(start[r], end[r])):
                rows.append((f"MBO-{rep}-Q{i + 1}", rep, q, "mbo_score",
                             round(float(rng.beta(6, 2)), 2)))
    return pd.DataFrame(rows, columns=["deal_id", "rep_id", "date", "measure", "amount"]).assign(
        split="", cancel_date="")


def _renewals(rng, roster, start, end) -> pd.DataFrame:
    """Each account manager's book renews account by account over the year, ~93 % of it."""
    rows = []
    for r, rep in enumerate(roster["rep_id"]):
        if not rep.startswith("AM"):
            continue
        n_accounts = 24
        days = rng.integers(0, 365, n_accounts)
        value = np.round(rng.lognormal(np.log(60_000), 0.4, n_accounts), -2)
        renewed = rng.random(n_accounts) < 0.93
        for a, (d, v, ok) in enumerate(zip(days, value, renewed, strict=True)):
            day = YEAR_START + d
            if ok and start[r] <= day <= end[r]:
                rows.append((f"R-{rep}-{a + 1:02d}", rep, day, "renewals", v))
    return pd.DataFrame(rows, columns=["deal_id", "rep_id", "date", "measure", "amount"]).assign(
        split="", cancel_date="")


def _manager_quotas(roster: pd.DataFrame, quotas: pd.DataFrame) -> pd.DataFrame:
    """A manager's new-ARR quota is the sum of the team's reps' quotas."""
    team = roster.set_index("rep_id")["team"]
    ae = quotas[quotas["measure"] == "new_arr"].assign(team=lambda q: q["rep_id"].map(team))
    totals = ae.groupby("team")["quota"].sum()
    mgrs = roster[roster["plan"] == "sales_manager"]
    return pd.DataFrame({"rep_id": mgrs["rep_id"], "measure": "new_arr",
                         "quota": mgrs["team"].map(totals).to_numpy()})


def write_example_company(folder: str | Path, seed: int = 2027) -> list[Path]:
    """Write roster.csv, quotas.csv and deals.csv (stable bytes for a seed)."""
    folder = Path(folder)
    written = []
    for name, df in example_company(seed).items():
        written.append(write_csv(df, folder / f"{name}.csv"))
    return written


if __name__ == "__main__":  # pragma: no cover - regenerates the shipped files
    import sys

    out = sys.argv[1] if len(sys.argv) > 1 else "scenarios/data/fy27"
    for path in write_example_company(out):
        print(f"wrote {path}")
    print(f"plan year starting {date(2027, 1, 1)}")
