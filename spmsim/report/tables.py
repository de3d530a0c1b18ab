"""Tables for reading: money with thousands separators, shares in per cent, dates as days.

Report notebooks show the package's tidy frames (hiring plans, forecasts, backtests); an
executive should see `62.6%` and `4,606,737`, not `0.626` and `4606737.0`. The format of
a cell follows its label (the column's name, or the row's when the frame is a list of
metrics), so one call serves every table.
"""

from __future__ import annotations

import html
import math
import re

import numpy as np
import pandas as pd

from spmsim.format import amount, label, percent

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
        return f"{v:.3g}" if abs(v) >= 1 else f"{v:.3f}"  # at most three decimals
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


def html_table(frame: pd.DataFrame, *, caption: str | None = None, notes: str | None = None,
               row_header: bool = True, compact: bool = False) -> str:
    """A table of text for a report page: every cell escaped and labelled with its column
    (`data-label`), so the page's stylesheet can show each row as a card on a phone and
    print it within an A4 page. The index (unless a plain 0..n) is the row header.
    `compact`: few, short columns, kept as a table on a phone too."""
    df = frame
    show_index = row_header and not isinstance(df.index, pd.RangeIndex) and \
        not all(str(i) == "" for i in df.index)
    corner = html.escape(str(df.index.name or "")) if show_index else None
    heads = ([f"<th scope=\"col\">{corner}</th>"] if show_index else []) + \
        [f"<th scope=\"col\">{html.escape(str(c))}</th>" for c in df.columns]
    rows = []
    for idx, row in zip(df.index, df.itertuples(index=False), strict=True):
        cells = [f"<th scope=\"row\">{html.escape(str(idx))}</th>"] if show_index else []
        cells += [f"<td data-label=\"{html.escape(str(c))}\">{html.escape(str(v))}</td>"
                  for c, v in zip(df.columns, row, strict=True)]
        rows.append(f"<tr>{''.join(cells)}</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    note = f"<p class=\"spmsim-note\">{html.escape(notes)}</p>" if notes else ""
    kind = "spmsim-table compact" if compact else "spmsim-table"
    return (f"<div class=\"spmsim-table-wrap\"><table class=\"{kind}\">{cap}<thead><tr>"
            f"{''.join(heads)}</tr></thead><tbody>{''.join(rows)}</tbody></table>{note}</div>")


def show(frame: pd.DataFrame, label_column: str | None = None, *, by_row: bool = False,
         **kwargs):
    """`readable(frame)` as a report table (`html_table`), ready for `display`, with the
    column names as labels ('share_at_quota' -> 'Share at quota'). `by_row`: the index
    holds metric names, and each cell is formatted by its row's."""
    from IPython.display import HTML

    if by_row:
        frame = frame.rename_axis("metric").reset_index()
        label_column = "metric"
    df = readable(frame, label_column)
    df.columns = [label(c) for c in df.columns]
    if df.index.name:
        df.index.name = label(df.index.name)
    if label_column is not None:
        df.index = [label(i) for i in df.index]
    return HTML(html_table(df, **kwargs))
