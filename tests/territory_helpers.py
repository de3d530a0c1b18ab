"""A territory accounts file for engine tests: one account per seat at one place, each
with last year's bookings (the `history` a growth contest or a quota method reads)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def write_accounts(folder: Path, history: list[float], potential: float = 100_000.0,
                   workload: float = 10.0) -> Path:
    """accounts.csv in `folder`: account A00.. owned by rep R00.., its `last_year`."""
    n = len(history)
    path = folder / "accounts.csv"
    pd.DataFrame({"account_id": [f"A{i:02d}" for i in range(n)], "lat": 40.0, "lon": -100.0,
                  "potential": potential, "workload": workload, "last_year": history,
                  "rep_id": [f"R{k:02d}" for k in range(n)]}).to_csv(path, index=False)
    return path
