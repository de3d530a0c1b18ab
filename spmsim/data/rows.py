"""CSV tables read row by row: all cells as text, every bad cell reported with its line.

The deals, quotas, roster and accounts loaders check their files with these, so a file's
problems are listed together (line numbers count the header as line 1).
"""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from spmsim.errors import InputError, Problem


class Rows:
    """Collects row problems of one file; `line` is the line in the file (header = 1)."""

    def __init__(self, path: Path, df: pd.DataFrame):
        self.path, self.df, self.problems = path, df, []

    def flag(self, mask: pd.Series, column: str, message) -> None:
        for idx in self.df.index[mask.to_numpy()]:
            row = self.df.loc[idx]
            text = message(row) if callable(message) else message
            self.problems.append(Problem(f"line {idx + 2}, {column}={row[column]!r}", text))

    def raise_if_any(self) -> None:
        if self.problems:
            raise InputError(self.path, self.problems)


def _check_row_lengths(path: Path) -> None:
    """Rows with more non-empty fields than the header would shift columns: refuse them."""
    with path.open(newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, [])
        problems = [Problem(f"line {reader.line_num}", f"{len(row)} fields but the header has "
                            f"{len(header)}: remove the extra values or add their column")
                    for row in reader if any(v.strip() for v in row[len(header):])]
    if problems:
        raise InputError(path, problems)


def read_table(path: str | Path, spec: tuple[tuple[str, ...], tuple[str, ...]]) -> pd.DataFrame:
    """All cells as stripped strings, '' for blank; error naming any missing columns."""
    path = Path(path)
    try:
        _check_row_lengths(path)
        with warnings.catch_warnings():  # extra empty fields (trailing commas) are dropped
            warnings.simplefilter("ignore", pd.errors.ParserWarning)
            df = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True,
                             skip_blank_lines=False, index_col=False)
    except (OSError, UnicodeDecodeError, csv.Error, pd.errors.ParserError,
            pd.errors.EmptyDataError) as e:
        raise InputError(path, f"cannot read as CSV ({e})") from e
    df.columns = [c.strip() for c in df.columns]
    required, optional = spec
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise InputError(path, f"missing columns {missing}; expected {list(required)}"
                               f" and optionally {list(optional)}, found {list(df.columns)}")
    df = df.apply(lambda col: col.str.strip())
    df = df[~(df == "").all(axis=1)]  # blank lines: skipped, but the index keeps line numbers
    for col in optional:
        if col not in df.columns:
            df[col] = ""
    return df


def dates(rows: Rows, column: str, required: bool) -> pd.Series:
    """`column` parsed as ISO dates; blanks allowed unless `required`."""
    raw = rows.df[column]
    parsed = pd.to_datetime(raw, format="%Y-%m-%d", errors="coerce")
    bad = parsed.isna() & ((raw != "") | required)
    rows.flag(bad, column, "not a date: write it as YYYY-MM-DD")
    return parsed


def numbers(rows: Rows, column: str, *, positive: bool = False) -> pd.Series:
    """`column` as finite numbers, >= 0 (or > 0 when `positive`)."""
    values = pd.to_numeric(rows.df[column], errors="coerce")
    rows.flag(values.isna(), column, "not a number")
    rows.flag(np.isinf(values), column, "not a finite number")
    values = values.where(np.isfinite(values))
    if positive:
        rows.flag(values.notna() & ~(values > 0), column, "must be greater than 0")
    else:
        rows.flag(values.notna() & (values < 0), column, "must not be negative")
    return values


def duplicates(rows: Rows, keys: list[str], what: str) -> None:
    """Flag every row whose `keys` repeat another's, naming the lines of each group."""
    dup = rows.df.duplicated(keys, keep=False)
    first_line = rows.df.groupby(keys, sort=False).ngroup()
    lines = {g: sorted(i + 2 for i in idx) for g, idx in rows.df.groupby(first_line).groups.items()}
    rows.flag(dup, keys[0], lambda r: f"{what} repeated on lines "
              f"{lines[first_line[r.name]]}: keep one row")
