"""CSV tables read row by row: all cells as text, every bad cell reported with its line.

The deals, quotas, roster and accounts loaders check their files with these, so a file's
problems are listed together (line numbers count the header as line 1). Each loader
declares its (required, optional) columns; any other column is refused with the closest
declared name, so a misspelt optional column (`cancel_dte`) is never silently ignored.
"""

from __future__ import annotations

import csv
import difflib
import io
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from spmsim.config import MAX_MONEY, decode_utf8
from spmsim.errors import InputError, Problem

Extra = Literal["refuse", "ignore"]


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


def read_csv_text(path: str | Path) -> str:
    """A CSV file's text: UTF-8 (an Excel byte-order mark dropped), or InputError naming
    the byte that is not; a missing file or a folder is named as such."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except IsADirectoryError as e:
        raise InputError(path, "cannot read the file: it is a folder, not a CSV file") from e
    except (FileNotFoundError, NotADirectoryError) as e:
        raise InputError(path, "cannot read the file: no such file") from e
    return decode_utf8(path, data)


def _header_and_lengths(path: Path, text: str) -> list[str]:
    """The header's names; rows with more non-empty fields than the header would shift
    columns, so they are refused."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    problems = [Problem(f"line {reader.line_num}", f"{len(row)} fields but the header has "
                        f"{len(header)}: remove the extra values or add their column")
                for row in reader if any(v.strip() for v in row[len(header):])]
    if problems:
        raise InputError(path, problems)
    return header


def _suggest(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    if not close:
        close = [c for c in choices if c.lower() == name.lower().replace(" ", "_")]
    return f" (did you mean {close[0]!r}?)" if close else ""


def _named_columns(path: Path, header: Sequence[str], df: pd.DataFrame) -> pd.DataFrame:
    """Refuse a column named twice or a column without a name that holds values; drop the
    unnamed empty ones (trailing commas) and strip the names."""
    problems = []
    for i, name in enumerate(header):
        if name and name in header[:i]:
            problems.append(Problem(f"line 1, column {i + 1}", f"column {name!r} is also column "
                                    f"{header.index(name) + 1}: keep one of them"))
    keep = []
    for i, (name, column) in enumerate(zip(header, df.columns, strict=False)):
        if name:
            keep.append(column)
        elif (df[column].str.strip() != "").any():
            problems.append(Problem(f"line 1, column {i + 1}", "values under a column without "
                                    "a name: name the column or remove it"))
    if problems:
        raise InputError(path, problems)
    df = df[keep]
    df.columns = [c.strip() for c in df.columns]
    return df


def refuse_unknown(path: str | Path, columns: Sequence[str], known: Sequence[str],
                   fix: str = "") -> None:
    """InputError for every column not in `known`, with the closest known name: a misspelt
    optional column would otherwise be silently ignored. `fix` ends each message."""
    problems = [Problem(f"line 1, column {i + 1}", f"unknown column {name!r}"
                        f"{_suggest(name, known)}: rename it to one of {', '.join(known)}, "
                        f"or remove it{fix}")
                for i, name in enumerate(columns) if name not in known]
    if problems:
        raise InputError(path, problems)


def read_table(path: str | Path, spec: tuple[tuple[str, ...], tuple[str, ...]], *,
               extra: Extra = "refuse") -> pd.DataFrame:
    """All cells as stripped strings, '' for blank; `spec` is (required, optional) columns.

    Missing required columns are named; optional ones are added blank. Any other column is
    refused with the closest declared name, unless `extra="ignore"`.
    """
    path = Path(path)
    required, optional = spec
    text = read_csv_text(path)
    try:
        header = _header_and_lengths(path, text)
        with warnings.catch_warnings():  # extra empty fields (trailing commas) are dropped
            warnings.simplefilter("ignore", pd.errors.ParserWarning)
            df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                             skipinitialspace=True, skip_blank_lines=False, index_col=False)
    except pd.errors.EmptyDataError as e:
        raise InputError(path, f"the file is empty: it starts with a header line "
                               f"{','.join(required) or '...'}") from e
    except (csv.Error, pd.errors.ParserError) as e:
        raise InputError(path, f"cannot read as CSV ({' '.join(str(e).split())})") from e
    df = _named_columns(path, header, df)
    missing = [c for c in required if c not in df.columns]
    if missing:
        found = [c for c in df.columns if c not in (*required, *optional)]
        hints = "".join(f"; is {close[0]!r} {c!r}? rename it" for c in missing
                        if (close := difflib.get_close_matches(c, found, n=1)))
        raise InputError(path, f"missing columns {missing}; expected {list(required)}"
                               f" and optionally {list(optional)}, found {list(df.columns)}"
                               + hints)
    if extra == "refuse":
        refuse_unknown(path, list(df.columns), [*required, *optional])
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


def numbers(rows: Rows, column: str, *, positive: bool = False,
            negative: pd.Series | bool = False) -> pd.Series:
    """`column` as finite numbers, >= 0 (or > 0 when `positive`); rows where `negative` is
    True may also be below 0 (credit memos)."""
    values = pd.to_numeric(rows.df[column], errors="coerce")
    rows.flag(values.isna(), column, "not a number")
    rows.flag(np.isinf(values), column, "not a finite number")
    rows.flag(values.abs() > MAX_MONEY, column, f"larger than {MAX_MONEY:,.0f}: check the "
              "unit (and that no digits were pasted twice)")
    values = values.where(np.isfinite(values) & (values.abs() <= MAX_MONEY))
    if positive:
        rows.flag(values.notna() & ~(values > 0), column, "must be greater than 0")
    else:
        rows.flag(values.notna() & (values < 0) & ~negative, column, "must not be negative")
    return values


def duplicates(rows: Rows, keys: list[str], what: str) -> None:
    """Flag every row whose `keys` repeat another's, naming the lines of each group."""
    dup = rows.df.duplicated(keys, keep=False)
    first_line = rows.df.groupby(keys, sort=False).ngroup()
    lines = {g: sorted(i + 2 for i in idx) for g, idx in rows.df.groupby(first_line).groups.items()}
    rows.flag(dup, keys[0], lambda r: f"{what} repeated on lines "
              f"{lines[first_line[r.name]]}: keep one row")
