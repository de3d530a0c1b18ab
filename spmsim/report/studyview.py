"""A study's results, shaped for the report notebooks: small tidy tables per variant.

Notebooks call these and pass the tables to `charts`; nothing in the notebooks computes.
Only `winners_losers_section` draws, because what it shows depends on whether the study
named a history.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import HTML

from spmsim.engines.results import Results
from spmsim.format import amount, percent
from spmsim.model.scenario import ALL
from spmsim.plans import payout_curve, plan_from_dict
from spmsim.report import charts
from spmsim.studies.winners import outcome_counts


@dataclass(frozen=True)
class StudyView:
    """A study's output folder, read back."""

    name: str
    seed: int
    summary: pd.DataFrame
    results: dict[str, Results]
    current: str | None = None
    changes: pd.DataFrame | None = None  # winners and losers, when the study has history

    @property
    def variants(self) -> list[str]:
        return list(self.results)


def open_study(out: str | Path) -> StudyView:
    """Read what `spmsim study` wrote into `out`."""
    out = Path(out)
    meta = json.loads((out / "study.json").read_text())
    summary = pd.read_csv(out / "summary.csv")
    ok = summary.loc[summary["status"] == "ok", "variant"]
    results = {v: Results.load(out / "variants" / v) for v in ok}
    changes = pd.read_csv(out / "winners_losers.csv", dtype={"rep_id": str, "team": str}) \
        if (out / "winners_losers.csv").exists() else None
    return StudyView(meta["study"], meta["seed"], summary, results, meta.get("current"),
                     changes)


def title(view: StudyView) -> str:
    """The report's heading: study name and seed (escaped)."""
    return (f"<h2>{html.escape(view.name)}</h2><p>seed {view.seed}; "
            f"{len(view.results)} variants: {html.escape(', '.join(view.variants))}</p>")


def recommendation(view: StudyView) -> str:
    """One HTML paragraph: the recommended variant and why (names escaped)."""
    s = view.summary
    rec = s.loc[s["recommended"], "variant"]
    checks = [c for c in s.columns if "<=" in c]
    if rec.empty:
        return (f"<p><b>No variant of {html.escape(view.name)} meets every constraint</b> "
                f"({html.escape('; '.join(checks))}).</p>")
    name = rec.iloc[0]
    met = s.loc[s["meets_all"], "variant"].tolist()
    return (f"<p><b>Recommended: {html.escape(str(name))}</b>: the best objective among the "
            f"variants meeting every constraint ({html.escape('; '.join(checks))}); "
            f"meeting all: {html.escape(', '.join(map(str, met)))}.</p>")


def side_by_side(view: StudyView) -> pd.DataFrame:
    """The decision table, formatted for reading: key metrics (money in whole units,
    shares in per cent), each constraint met or not, and the recommendation."""
    cols = ["variant", "status", "variable_pay_p50", "variable_pay_p90", "p_over_budget",
            "cost_of_sales", "share_at_quota", "profit_after_comp"]
    cols += [c for c in view.summary.columns if "<=" in c] + ["meets_all", "recommended"]
    table = view.summary[[c for c in cols if c in view.summary.columns]].copy()
    for c in ("variable_pay_p50", "variable_pay_p90", "profit_after_comp"):
        if c in table:
            table[c] = table[c].map(lambda v: f"{amount(v)}" if pd.notna(v) else "-")
    for c in ("p_over_budget", "cost_of_sales", "share_at_quota"):
        if c in table:
            table[c] = table[c].map(lambda v: f"{percent(v)}" if pd.notna(v) else "-")
    return table.set_index("variant")


def payout_curves(view: StudyView, role: str) -> pd.DataFrame:
    """Each variant's payout curve (total, % of TI) for `role`'s plan."""
    frames = []
    for v, r in view.results.items():
        spec = r.scenario["org"]["roles"][role]
        plan = plan_from_dict(spec["plan"])
        curve = payout_curve(plan, quotas=spec.get("quota") or None)
        total = curve[curve["component"] == "Total"]
        frames.append(total.assign(variant=v)[["variant", "attainment", "pct_of_ti"]])
    return pd.concat(frames, ignore_index=True)


def cost_distribution(view: StudyView, group: str = ALL) -> pd.DataFrame:
    """Variable pay per trial and variant, with each variant's P10/P50/P90 and budget."""
    frames = []
    for v, r in view.results.items():
        g = r.groups.index(group)
        pay = r.trial["variable_pay"][:, g]
        p10, p50, p90 = np.percentile(pay, [10, 50, 90])
        frames.append(pd.DataFrame({"variant": v, "variable_pay": pay, "p10": p10,
                                    "p50": p50, "p90": p90,
                                    "budget": float(r.budget()[:, g].mean())}))
    return pd.concat(frames, ignore_index=True)


def attainment_distributions(view: StudyView, group: str = ALL, upto: float = 3.0
                             ) -> pd.DataFrame:
    """Share of reps by attainment bin (pooled over trials), per variant."""
    frames = []
    for v, r in view.results.items():
        d = r.distribution("attainment", group)
        frames.append(d[d["bin_lo"] < upto].assign(variant=v)[["variant", "bin_lo", "share"]])
    return pd.concat(frames, ignore_index=True)


def earnings_by_percentile(view: StudyView, group: str = ALL) -> pd.DataFrame:
    """Earnings / OTE of the 10th, 50th and 90th percentile rep, per variant."""
    rows = []
    for v, r in view.results.items():
        g = r.groups.index(group)
        for q in (10, 50, 90):
            rows.append({"variant": v, "rep_percentile": f"P{q}",
                         "earnings_vs_ote": float(np.nanmean(
                             r.trial[f"earnings_vs_ote_p{q}"][:, g]))})
    return pd.DataFrame(rows)


def winners_losers(view: StudyView) -> pd.DataFrame:
    """Per variant and role: reps who would have earned more, less or the same last year
    than under the current plan, and the change in total pay (formatted)."""
    counts = outcome_counts(view.changes if view.changes is not None else
                            pd.DataFrame(columns=["variant", "role", "rep_id", "outcome",
                                                  "change"]))
    counts["pay_change"] = counts["pay_change"].map(lambda v: f"{v:+,.0f}")
    return counts.set_index(["variant", "role"])


def winners_losers_section(view: StudyView) -> list:
    """What the report shows of winners and losers: a sentence, the counts and, when the
    study replayed a history, the per-rep chart."""
    if view.changes is None:
        return [HTML("<p>Winners and losers: the study names no history (`history:` with "
                     "last year's deals, quotas and roster), so no rep-level comparison "
                     "against the current plan.</p>")]
    reps = view.changes.drop_duplicates(["role", "rep_id"])
    n = f"{len(reps)} rep{'' if len(reps) == 1 else 's'}"
    note = HTML(f"<p>Winners and losers: last year's deals of {n} replayed under "
                f"each variant's plans against the current plans "
                f"(<b>{html.escape(str(view.current))}</b>). Quotas are last year's, so a "
                "variant that changes only how quotas are set shows no change here.</p>")
    changed = view.changes[view.changes["outcome"] != "unchanged"]
    shown = view.changes[view.changes["variant"].isin(changed["variant"])]
    parts = [note, winners_losers(view)]
    return parts + ([charts.winners_losers_chart(shown)] if len(shown) else [])
