"""Files a scenario names, read by the loader, never by a validator.

A scenario may name territory accounts, a territory alignment, home bases, a travel matrix
and history samples (CSV files, relative to the file that names them). `resolve_files`
makes their paths absolute; `read_named_files` reads each one once, with every bad row
reported against its file; and validation takes the tables from its context
(`files_context`), so building a model never touches the disk.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
from pydantic import ValidationInfo

from spmsim.data.accounts import load_accounts, read_alignment_table
from spmsim.data.rows import read_csv_text
from spmsim.data.travel import load_bases, read_travel_matrix
from spmsim.errors import InputError

# kinds of file a scenario may name, and how each is read
READERS = {"accounts": load_accounts, "alignment": read_alignment_table, "bases": load_bases,
           "travel": read_travel_matrix}


def read_sample_table(path: str | Path) -> pd.DataFrame:
    """A CSV of past values to resample from (any columns)."""
    text = read_csv_text(path)
    try:
        return pd.read_csv(io.StringIO(text))
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise InputError(path, f"cannot read as CSV ({' '.join(str(e).split())})") from e


READERS["history"] = read_sample_table


def named_files(tree: dict) -> Iterator[tuple[dict, str, str]]:
    """(container, key, kind) of every file a scenario tree names: territory accounts,
    alignments, bases and travel matrices of each role, history distributions of each
    market measure and empirical deal sizes of each pipeline stream."""
    roles = (tree.get("org") or {}).get("roles") or {}
    for role in roles.values() if isinstance(roles, dict) else ():
        link = role.get("territory") if isinstance(role, dict) else None
        for key in ("accounts", "alignment", "bases", "travel"):
            if isinstance(link, dict) and isinstance(link.get(key), str) and \
                    not (key == "alignment" and link[key] == "current"):
                yield link, key, key
    markets = tree.get("market") or {}
    for market in markets.values() if isinstance(markets, dict) else ():
        measures = market.get("measures") if isinstance(market, dict) else None
        for dist in measures.values() if isinstance(measures, dict) else ():
            if isinstance(dist, dict) and dist.get("type") == "history" and \
                    isinstance(dist.get("file"), str):
                yield dist, "file", "history"
            size = dist.get("size") if isinstance(dist, dict) else None
            if isinstance(size, dict) and size.get("type") == "empirical" and \
                    isinstance(size.get("file"), str):
                yield size, "file", "history"


def read_named_files(tree: dict) -> dict[str, pd.DataFrame]:
    """Every file the tree names, read once, keyed by the path as the tree gives it; an
    accounts file may carry the history columns the territories name."""
    named: dict[str, str] = {}
    columns: dict[str, tuple[str, ...]] = {}
    for container, key, kind in named_files(tree):
        path = container[key]
        named.setdefault(path, kind)
        if kind == "accounts" and isinstance(container.get("history"), str):
            columns[path] = (*columns.get(path, ()), container["history"])
    return {path: READERS[kind](path, columns[path]) if path in columns else READERS[kind](path)
            for path, kind in named.items()}


def files_context(files: dict[str, pd.DataFrame]) -> dict:
    """The validation context that hands the read files to the models naming them."""
    return {"files": files}


def named_table(info: ValidationInfo, path: str) -> pd.DataFrame:
    """The table the loader read for `path` (a model validated without it is refused)."""
    files = (info.context or {}).get("files") or {}
    if path not in files:
        raise ValueError(f"{path}: files are read by the scenario loader; load the scenario "
                         "(spmsim.load_scenario) or validate with files_context("
                         "read_named_files(tree))")
    return files[path]
