"""Tables for reading: money with thousands separators, shares in per cent, dates as days.

Report notebooks show the package's tidy frames (hiring plans, forecasts, backtests); an
executive should see `62.6%` and `4,606,737`, not `0.626` and `4606737.0`. The format of
a cell follows its label (the column's name, or the row's when the frame is a list of
metrics), so one call serves every table.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from spmsim.format import amount, percent

# labels whose values are shares (0-1), shown in per cent
SHARE = re.compile(r"(^|_|\b)(share|rate|coverage|probability|prob|p|below|above|mape|bias|"
                   r"cost_of_sales|pct|wanted)($|_|\b)|^p\(|p\(target", re.I)


PLAIN = {"seed", "year", "month", "trials", "periods"}  # integers shown without separators


def _is_share(label: object) -> bool:
    return isinstance(label, str) and bool(SHARE.search(label.replace(" ", "_")))


def cell(value: object, label: object = None) -> str:
    """One value as text, by its label: shares in per cent, large numbers with separators,
    dates without a midnight time, booleans as yes / no, missing as a dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return "-"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, pd.Timestamp | np.datetime64):
        ts = pd.Timestamp(value)
        return ts.strftime("%Y-%m-%d") if ts == ts.normalize() else ts.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, (int, np.integer)):
        return str(value) if str(label).lower() in PLAIN else f"{value:,}"
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if _is_share(label) and abs(v) <= 10:
            return f"{percent(v)}"
        if v == round(v) or abs(v) >= 100:
            return f"{amount(v)}"
        return f"{v:.3g}"
    return str(value)


def readable(frame: pd.DataFrame, label_column: str | None = None) -> pd.DataFrame:
    """`frame` as text for a report. Each cell is formatted by its column's name, or, with
    `label_column` (e.g. `metric`), by the row's label there; a plain 0..n index is
    dropped from view."""
    df = frame.copy()
    if label_column is not None:
        labels = df[label_column].tolist()
        for col in df.columns.drop(label_column):
            df[col] = [cell(v, lab) for v, lab in zip(df[col], labels, strict=True)]
        df = df.set_index(label_column)
    else:
        for col in df.columns:
            df[col] = [cell(v, col) for v in df[col]]
    if isinstance(df.index, pd.RangeIndex):
        df.index = [""] * len(df)
    return df


def readable_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """A one-row summary turned on its side (metrics as rows), formatted by metric name."""
    row = frame.iloc[0]
    return readable(pd.DataFrame({"metric": [str(k) for k in row.index],
                                  "value": list(row.to_numpy(dtype=object))}), "metric")
