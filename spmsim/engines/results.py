"""The Results contract both engines return: per-trial figures, metrics, Parquet storage.

Engines reduce each chunk of trials as they go, so a run of any size keeps:

* per trial and group (each role, and `all`): revenue, variable pay, base, on-target
  incentive, reps and FTE in seat, share at quota, leavers, the revenue share of the top
  20 % of reps, and attainment and earnings/OTE at the 10th, 50th and 90th percentile rep;
* per trial, group and month: revenue, variable pay (in the month it is paid), FTE;
* pooled histograms of attainment and earnings/OTE over every rep of every trial
  (bins of 0.01 from 0 to 5, then one bin for 5 and above);
* optionally, every rep of every trial (`reps`): the drill-down, sized trials x reps.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from spmsim.config import EDGE_TOLERANCE
from spmsim.errors import SpmsimError
from spmsim.format import money, percent, plan_role_label
from spmsim.io import atomic_folder, naming, sha256_file
from spmsim.versions import versions

TRIAL_STATS = ("revenue", "variable_pay", "base_pay", "on_target_incentive", "reps", "fte",
               "at_quota", "leavers", "top20_revenue_share",
               "attainment_p10", "attainment_p50", "attainment_p90",
               "earnings_vs_ote_p10", "earnings_vs_ote_p50", "earnings_vs_ote_p90")
PERIOD_STATS = ("revenue", "variable_pay", "fte")
HISTOGRAMS = ("attainment", "earnings_vs_ote")
HIST_STEP = 0.01
HIST_BINS = 501  # [0, 0.01), ..., [4.99, 5.0), [5.0, inf)
REP_FIELDS = ("year_share", "revenue", "quota", "attainment", "variable_pay", "base_pay",
              "on_target_incentive", "ote", "new_hire", "left")
FORMAT = 1
# what a results folder holds: its tables, meta.json, and the summaries `spmsim simulate`
# writes beside them; a folder holding anything else is not replaced by `save`
TABLES = ("trials", "periods", "histograms", "reps", "events", "years")
OWNED = frozenset({"meta.json", "summary.csv", "summary.txt", *(f"{n}.parquet" for n in TABLES)})


def histogram(values: np.ndarray) -> np.ndarray:
    """Counts of non-negative values in the pooled-histogram bins; a value within 1e-9 of
    a bin's lower edge counts in that bin (0.57 is 56.99999... steps of 0.01)."""
    steps = np.asarray(values) / HIST_STEP + EDGE_TOLERANCE / HIST_STEP
    idx = np.minimum(steps.astype(np.int64), HIST_BINS - 1)
    return np.bincount(idx.ravel(), minlength=HIST_BINS)


def histogram_percentile(counts: np.ndarray, q: float) -> float:
    """The q-quantile (0-1) of a pooled histogram, linear within a bin (error < one bin)."""
    total = counts.sum()
    if total == 0:
        return float("nan")
    cum = np.cumsum(counts)
    target = q * total
    b = int(np.searchsorted(cum, target, side="left"))
    if b >= HIST_BINS - 1:
        return (HIST_BINS - 1) * HIST_STEP
    before = cum[b] - counts[b]
    within = (target - before) / counts[b] if counts[b] else 0.0
    return (b + within) * HIST_STEP


def _fmt(metric: str, value: float, currency: str | None = None) -> str:
    """A summary figure for the printed table: shares and attainment in per cent, counts
    to one decimal, money in whole units with its currency."""
    if not np.isfinite(value):
        return "-"
    if metric.startswith(("share", "P(", "cost of sales", "revenue share", "attainment",
                          "earnings/OTE")):
        return f"{percent(value)}"
    if metric.startswith(("reps", "leavers")):
        return f"{value:.1f}"
    return money(value, currency, 0)


@dataclass(frozen=True)
class Results:
    """What a simulation produced, and the scenario and seed that produced it."""

    scenario: dict[str, Any]
    engine: str
    seed: int
    groups: tuple[str, ...]  # roles, then "all"
    months: tuple[str, ...]
    trial: dict[str, np.ndarray]  # stat -> (trials, groups)
    period: dict[str, np.ndarray]  # stat -> (trials, groups, months)
    histograms: dict[str, np.ndarray]  # name -> (groups, HIST_BINS) counts
    reps: pd.DataFrame | None = field(default=None, compare=False)
    events: pd.DataFrame | None = field(default=None, compare=False)  # agent engine's log
    # with `years` above 1 (agent engine): every plan year's per-trial figures
    # (`engines.years`); the fields above are the first year's
    years: pd.DataFrame | None = field(default=None, compare=False)

    @property
    def n_trials(self) -> int:
        return self.trial["revenue"].shape[0]

    @property
    def gross_margin(self) -> float:
        return float(self.scenario.get("economics", {}).get("gross_margin", 1.0))

    def budget(self) -> np.ndarray:
        """Variable comp budget per trial and group (trials, groups): the scenario's budget
        for `all` when it states one, otherwise the on-target incentive of the reps in seat."""
        budget = self.trial["on_target_incentive"].copy()
        stated = self.scenario.get("economics", {}).get("budget")
        if stated is not None:
            budget[:, self.groups.index("all")] = stated
        return budget

    def trials_frame(self) -> pd.DataFrame:
        """One row per trial and group, with cost of sales, profit and the budget test."""
        df = self._raw_trials()
        df["share_at_quota"] = df["at_quota"] / df["reps"].where(df["reps"] > 0)
        df["budget"] = self.budget().ravel()
        df["over_budget"] = df["variable_pay"] > df["budget"]
        df["cost_of_sales"] = df["variable_pay"] / df["revenue"].where(df["revenue"] > 0)
        df["profit_after_comp"] = (df["revenue"] * self.gross_margin
                                   - df["variable_pay"] - df["base_pay"])
        return df

    def periods_frame(self) -> pd.DataFrame:
        """One row per trial, group and month."""
        t, g, m = self.period["revenue"].shape
        df = pd.DataFrame({
            "trial": np.repeat(np.arange(t), g * m),
            "group": np.tile(np.repeat(np.array(self.groups, dtype=object), m), t),
            "month": np.tile(np.array(self.months, dtype=object), t * g)})
        for name in PERIOD_STATS:
            df[name] = self.period[name].ravel()
        return df

    def reps_frame(self) -> pd.DataFrame:
        """Every rep in seat in every trial: role, share of the year, revenue, quota,
        attainment, pay, OTE, new hire, left."""
        if self.reps is None:
            raise SpmsimError("these results kept no per-rep figures: simulate with "
                              "keep_reps=True (the CLI keeps them unless --no-rep-detail)")
        return self.reps

    def distribution(self, name: str, group: str = "all") -> pd.DataFrame:
        """A pooled histogram as a table: bin edges, count and share of reps."""
        counts = self.histograms[name][self.groups.index(group)]
        lo = np.arange(HIST_BINS) * HIST_STEP
        hi = np.append(lo[1:], np.inf)
        return pd.DataFrame({"bin_lo": lo, "bin_hi": hi, "count": counts,
                             "share": counts / max(counts.sum(), 1)})

    def percentile(self, name: str, q: float, group: str = "all") -> float:
        return histogram_percentile(self.histograms[name][self.groups.index(group)], q)

    def summary(self) -> pd.DataFrame:
        """The metrics users look for: one row per metric, one column per group."""
        df = self.trials_frame()
        rows: dict[str, dict[str, float]] = {}
        for group, d in df.groupby("group", sort=False):
            pay = d["variable_pay"]
            rows[group] = {
                "reps in seat (FTE)": d["fte"].mean(),
                "revenue (mean)": d["revenue"].mean(),
                "variable pay P10": pay.quantile(0.1),
                "variable pay P50": pay.quantile(0.5),
                "variable pay P90": pay.quantile(0.9),
                "variable pay (mean)": pay.mean(),
                "budget (mean)": d["budget"].mean(),
                "P(variable pay > budget)": d["over_budget"].mean(),
                "cost of sales (P50)": d["cost_of_sales"].median(),
                "total comp (mean)": (pay + d["base_pay"]).mean(),
                "profit after comp (mean)": d["profit_after_comp"].mean(),
                "share of reps at quota": d["share_at_quota"].mean(),
                "attainment P10": self.percentile("attainment", 0.1, group),
                "attainment P50": self.percentile("attainment", 0.5, group),
                "attainment P90": self.percentile("attainment", 0.9, group),
                "earnings/OTE, P10 rep": d["earnings_vs_ote_p10"].mean(),
                "earnings/OTE, P50 rep": d["earnings_vs_ote_p50"].mean(),
                "earnings/OTE, P90 rep": d["earnings_vs_ote_p90"].mean(),
                "revenue share of top 20 % reps": d["top20_revenue_share"].mean(),
                "leavers": d["leavers"].mean(),
            }
        return pd.DataFrame(rows)

    def _plan(self, group: str) -> dict[str, Any]:
        """The plan (as echoed) of a group's role; the first role's for `all`."""
        roles = self.scenario.get("org", {}).get("roles", {})
        spec = roles.get(group) or next(iter(roles.values()), {})
        return spec.get("plan") or {}

    def currency(self, group: str = "all") -> str | None:
        """The currency of a group's plan (the first role's for `all`)."""
        return self._plan(group).get("currency")

    def group_label(self, group: str) -> str:
        """A group as readers name it: the role by its plan's name, or All roles."""
        return "All roles" if group == "all" else \
            plan_role_label(str(self._plan(group).get("plan", "")), group)

    def summary_text(self) -> str:
        """The summary as a printable table: each role by its plan's name, money in whole
        units with its currency, shares and attainment in per cent."""
        table = self.summary()
        currency = self.currency()
        heads = [self.group_label(g) for g in table.columns]
        lines = [f"{self.scenario.get('scenario', '')}: {self.n_trials:,} trials, seed "
                 f"{self.seed}, {self.engine} engine"]
        width = max(map(len, table.index))
        cols = [max(16, len(h) + 2) for h in heads]
        lines.append(" " * width + "".join(f"{h:>{c}}" for h, c in zip(heads, cols,
                                                                        strict=True)))
        for metric, row in table.iterrows():
            lines.append(f"{metric:<{width}}" + "".join(
                f"{_fmt(metric, v, currency):>{c}}" for v, c in zip(row, cols, strict=True)))
        return "\n".join(lines)

    # ---- storage --------------------------------------------------------------------

    def save(self, folder: str | Path,
             also: Mapping[str, Callable[[Path], object]] | None = None) -> Path:
        """Write the Parquet tables and meta.json into `folder` as one unit: built in a
        hidden sibling folder and swapped into place, so a failure (a full disk, a kill)
        leaves the previous results whole and a reader never sees two runs mixed.

        `also` adds files of the same run (name -> write(path)), such as a summary. An
        existing folder holding files that results do not is refused, never replaced.
        """
        folder = Path(folder)
        also = dict(also or {})
        with atomic_folder(folder, OWNED | set(also)) as tmp:
            for name, write in also.items():
                with naming(tmp / name):
                    write(tmp / name)
            self.write_tables(tmp)
        return folder

    def write_tables(self, folder: Path) -> None:
        """The tables and meta.json (with each table's rows and SHA-256, written last)
        into `folder`, an existing folder being built (see `save`)."""
        tables = {"trials": self._raw_trials(), "periods": self.periods_frame(),
                  "histograms": self._histogram_frame()}
        for name in ("reps", "events", "years"):
            df = getattr(self, name)
            if df is not None:
                tables[name] = df
        files = {}
        for name, df in tables.items():
            path = folder / f"{name}.parquet"
            with naming(path):
                df.to_parquet(path, index=False, engine="pyarrow")
            files[name] = {"file": path.name, "rows": len(df), "sha256": sha256_file(path)}
        meta = {"format": FORMAT, "engine": self.engine, "seed": self.seed,
                "groups": list(self.groups), "months": list(self.months),
                "trials": self.n_trials, "tables": files, "scenario": self.scenario,
                **versions()}
        (folder / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")

    def _raw_trials(self) -> pd.DataFrame:
        t, g = self.n_trials, len(self.groups)
        df = pd.DataFrame({"trial": np.repeat(np.arange(t), g),
                           "group": np.tile(np.array(self.groups, dtype=object), t)})
        for name in TRIAL_STATS:
            df[name] = self.trial[name].ravel()
        return df

    def _histogram_frame(self) -> pd.DataFrame:
        frames = [pd.DataFrame({"histogram": name, "group": group, "bin": np.arange(HIST_BINS),
                                "count": self.histograms[name][i]})
                  for name in HISTOGRAMS for i, group in enumerate(self.groups)]
        return pd.concat(frames, ignore_index=True)

    @classmethod
    def load(cls, folder: str | Path) -> Results:
        """Read results written by `save`, checking every table against meta.json (rows
        and SHA-256): a folder mixing two runs is refused."""
        folder = Path(folder)
        meta_path = folder / "meta.json"
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise SpmsimError(f"{meta_path}: not a results folder ({e})") from e
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            found = meta.get("format") if isinstance(meta, dict) else None
            raise SpmsimError(f"{meta_path}: results format {found!r}; this "
                              f"spmsim reads format {FORMAT}: simulate again")
        try:
            tables = {name: _read_table(folder, info) for name, info in meta["tables"].items()}
            groups, months, t = tuple(meta["groups"]), tuple(meta["months"]), meta["trials"]
            g, m = len(groups), len(months)
            trial = {s: tables["trials"][s].to_numpy().reshape(t, g) for s in TRIAL_STATS}
            period = {s: tables["periods"][s].to_numpy().reshape(t, g, m)
                      for s in PERIOD_STATS}
            hist = tables["histograms"]
            histograms = {h: hist.loc[hist["histogram"] == h, "count"].to_numpy()
                          .reshape(g, HIST_BINS) for h in HISTOGRAMS}
        except (KeyError, TypeError, ValueError) as e:
            raise SpmsimError(f"{meta_path}: not results as spmsim writes them ({e!r}): "
                              "simulate again") from e
        return cls(scenario=meta["scenario"], engine=meta["engine"], seed=meta["seed"],
                   groups=groups, months=months, trial=trial, period=period,
                   histograms=histograms, reps=tables.get("reps"), events=tables.get("events"),
                   years=tables.get("years"))



def _read_table(folder: Path, info: dict) -> pd.DataFrame:
    """One table of a results folder, checked against what meta.json says of it."""
    path = folder / info["file"]
    mixed = "the folder mixes two runs (or was edited): simulate again"
    if "sha256" in info:
        try:
            digest = sha256_file(path)
        except OSError as e:
            raise SpmsimError(f"{path}: cannot read ({e.strerror}); {mixed}") from e
        if digest != info["sha256"]:
            raise SpmsimError(f"{path}: not the table meta.json lists (checksum differs); "
                              f"{mixed}")
    try:
        df = pd.read_parquet(path, engine="pyarrow")
    except (OSError, ValueError, pa.ArrowException) as e:
        raise SpmsimError(f"{path}: cannot read as Parquet ({e}); {mixed}") from e
    if len(df) != info["rows"]:
        raise SpmsimError(f"{path}: {len(df)} rows, meta.json says {info['rows']}: {mixed}")
    return df
