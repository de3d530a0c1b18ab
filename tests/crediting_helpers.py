"""Small replay fixtures shared by the crediting, summary, linkage and currency tests."""

from __future__ import annotations

from pathlib import Path

from spmsim.data.transactions import load_transactions
from spmsim.history.replay import ReplayResult, replay
from spmsim.plans import plan_from_dict

YEAR = "2027-01-01"


def plan(name: str, components: list[dict], *, period: str = "month", ote: float = 200_000,
         base_share: float = 0.5, **extra):
    return plan_from_dict({"plan": name, "ote": ote, "base_share": base_share,
                           "payout_period": period, "year_start": YEAR,
                           "components": components, **extra})


def write_csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text(header + "\n" + "".join(r + "\n" for r in rows))
    return path


def replay_csv(tmp_path: Path, plans: dict, deals: tuple[str, list[str]],
               quotas: list[str], roster: tuple[str, list[str]], **files) -> ReplayResult:
    """Replay hand-written CSVs: deals and roster as (header, rows), quotas as rows."""
    tx = load_transactions(plans, write_csv(tmp_path / "deals.csv", *deals),
                           write_csv(tmp_path / "quotas.csv", "rep_id,measure,quota", quotas),
                           write_csv(tmp_path / "roster.csv", *roster), **files)
    return replay(tx)
