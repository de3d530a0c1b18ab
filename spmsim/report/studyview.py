"""A study's results, shaped for the report notebooks: the decision memo, the side-by-side
table, small tidy tables for the charts, and the assumptions.

Notebooks call these and pass the tables to `charts`; nothing in the notebooks computes.
Every figure a reader sees is formatted by `spmsim.format`; every name from a file is
escaped. The memo answers, in this order: what to decide, the recommendation and why in
money against the current plans, the risk against the budget, who wins and loses, and how
sure we are (the paired difference against the runner-up, `spmsim.studies.paired`).
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from IPython.display import HTML

from spmsim.engines.results import Results
from spmsim.errors import InputError
from spmsim.format import (
    compact_money,
    count,
    label,
    percent,
    percent_short,
    points,
    signed_money,
    tick,
)
from spmsim.io import resolve_path
from spmsim.model.scenario import ALL
from spmsim.plans import payout_curve, plan_from_dict
from spmsim.report import charts
from spmsim.report.tables import html_table
from spmsim.studies.describe import role_label, variant_sentence
from spmsim.studies.paired import Difference
from spmsim.studies.study import Constraint, Study
from spmsim.studies.study import comparison as study_comparison
from spmsim.studies.study import runner_up as study_runner_up
from spmsim.studies.winners import outcome_counts
from spmsim.versions import versions_text

# metric -> (the reader's label, kind: money or share)
READER = {
    "profit_after_comp": ("Profit after comp (mean)", "money"),
    "variable_pay_p50": ("Variable pay, typical year (P50)", "money"),
    "variable_pay_p90": ("Variable pay, 1 year in 10 above (P90)", "money"),
    "variable_pay_mean": ("Variable pay (mean)", "money"),
    "p_over_budget": ("Chance variable pay exceeds the budget", "share"),
    "cost_of_sales": ("Cost of sales (variable pay / revenue, P50)", "share"),
    "revenue": ("Revenue (mean)", "money"),
    "share_at_quota": ("Reps at or above quota", "share"),
    "attainment_p50": ("Median attainment", "share"),
    "top20_revenue_share": ("Revenue from the top 20 % of reps", "share"),
}
SIDE_BY_SIDE = ["profit_after_comp", "revenue", "variable_pay_p50", "variable_pay_p90",
                "p_over_budget", "cost_of_sales", "share_at_quota"]


@dataclass(frozen=True)
class StudyView:
    """A study's output folder, read back."""

    name: str
    seed: int
    summary: pd.DataFrame
    results: dict[str, Results]
    current: str | None = None
    changes: pd.DataFrame | None = None  # winners and losers, when the study has history
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def variants(self) -> list[str]:
        return list(self.results)

    @property
    def spec(self) -> dict[str, Any]:
        return self.meta.get("study_spec", {})

    @property
    def baseline(self) -> str:
        """The variant that stands for today's plans (the study's current, else the first)."""
        return self.current if self.current in self.results else self.variants[0]

    @property
    def currency(self) -> str:
        roles = self.results[self.baseline].scenario["org"]["roles"]
        return next((r["plan"].get("currency", "USD") for r in roles.values()
                     if r.get("plan")), "USD")

    @property
    def paired(self) -> bool:
        """True when every variant ran on the same draws (trial i is the same year)."""
        seeds = self.meta.get("seeds", {})
        return len({seeds.get(v) for v in self.variants}) == 1 and \
            len({r.n_trials for r in self.results.values()}) == 1


def open_study(out: str | Path) -> StudyView:
    """Read what `spmsim study` wrote into `out` (a relative path is looked for from the
    working directory and the folders above it, so a notebook opened in `notebooks/` finds
    `reports/...`)."""
    out = resolve_path(out)
    if not (out / "study.json").is_file():
        raise InputError(out, "no study results here: run `spmsim report STUDY.yaml` (or "
                              "`spmsim study STUDY.yaml --out DIR`) first, or give `out` the "
                              "folder it wrote")
    meta = json.loads((out / "study.json").read_text())
    summary = pd.read_csv(out / "summary.csv")
    ok = summary.loc[summary["status"] == "ok", "variant"]
    results = {v: Results.load(out / "variants" / v) for v in ok}
    changes = pd.read_csv(out / "winners_losers.csv", dtype={"rep_id": str, "team": str}) \
        if (out / "winners_losers.csv").exists() else None
    return StudyView(meta["study"], meta["seed"], summary, results, meta.get("current"),
                     changes, meta)


# ---- words and numbers --------------------------------------------------------------

def name_of(view: StudyView, variant: str) -> str:
    """A variant as a reader sees it: its name as a label, 'the current plans' marked."""
    text = label(variant)
    return f"{text} (current)" if variant == view.baseline else text


def esc(text: Any) -> str:
    return html.escape(str(text))


def fmt(metric: str, value: float, currency: str = "USD") -> str:
    """A metric's value for a reader: money compact with its currency, shares in per cent."""
    if value is None or not np.isfinite(value):
        return "-"
    kind = READER.get(metric.split(" (")[0], ("", "money"))[1]
    return percent(value) if kind == "share" else compact_money(value, currency)


def fmt_change(metric: str, value: float, currency: str = "USD") -> str:
    """A difference of a metric: +$1.2M, -0.4 pts."""
    if value is None or not np.isfinite(value):
        return "-"
    kind = READER.get(metric.split(" (")[0], ("", "money"))[1]
    return points(value) if kind == "share" else signed_money(value, currency)


def constraint_text(spec: dict[str, Any]) -> str:
    """A constraint as a sentence part: 'cost of sales at most 9%'."""
    c = Constraint(**spec)
    what = READER[c.metric][0].split(" (")[0].lower()
    if c.group != ALL:
        what += f" ({label(c.group)})"
    f = lambda v: percent_short(v) if READER[c.metric][1] == "share" else \
        compact_money(v)  # noqa: E731
    if c.min is not None and c.max is not None:
        return f"{what} between {f(c.min)} and {f(c.max)}"
    return f"{what} at most {f(c.max)}" if c.max is not None else f"{what} at least {f(c.min)}"


def summary_row(view: StudyView, variant: str) -> pd.Series:
    return view.summary.set_index("variant").loc[variant]


def budget_of(view: StudyView, variant: str) -> tuple[float, bool]:
    """The variable comp budget of the whole company (mean) and whether the scenario
    states it (else it is the on-target incentive of the reps in seat)."""
    r = view.results[variant]
    stated = r.scenario.get("economics", {}).get("budget")
    return float(r.budget()[:, r.groups.index(ALL)].mean()), stated is not None


# ---- the decision ---------------------------------------------------------------------

def recommended(view: StudyView) -> str | None:
    rec = view.summary.loc[view.summary["recommended"], "variant"]
    return None if rec.empty else str(rec.iloc[0])


def runner_up(view: StudyView) -> str | None:
    """The best other variant that meets every constraint; if none, the best other one."""
    return study_runner_up(view.summary, objective_of(view)[2])


def objective_of(view: StudyView) -> tuple[str, str, str]:
    obj = view.spec.get("objective", {})
    return (obj.get("metric", "profit_after_comp"), obj.get("group", ALL),
            obj.get("goal", "max"))


def comparison(view: StudyView) -> Difference | None:
    """The recommended variant against the runner-up on the objective, trial by trial
    (paired when they ran on the same draws): `spmsim.studies.study.comparison`."""
    return study_comparison(Study.model_validate(view.spec), view.summary, view.results,
                            view.meta.get("seeds") or dict.fromkeys(view.results, view.seed))


# ---- the side by side ----------------------------------------------------------------

def side_by_side_table(view: StudyView) -> pd.DataFrame:
    """Metrics as rows, designs as columns (text): the key figures, each constraint met
    (✓) or missed (✗), and the recommendation."""
    cur, s = view.currency, view.summary.set_index("variant")
    cols = {v: name_of(view, v) for v in s.index}
    rows: dict[str, list[str]] = {}
    for m in SIDE_BY_SIDE:
        if m in s:
            rows[READER[m][0]] = [fmt(m, s.loc[v, m], cur) for v in s.index]
        if m == "profit_after_comp" and m in s:
            now = s.loc[view.baseline, m]
            rows["Profit against the current plans"] = [
                "-" if v == view.baseline else fmt_change(m, s.loc[v, m] - now, cur)
                for v in s.index]
    for c in view.spec.get("constraints", []):
        key = Constraint(**c).label()
        if key in s:
            text = constraint_text(c)
            rows["Meets: " + text] = [tick(bool(s.loc[v, key])) if s.loc[v, "status"] == "ok"
                                      else "-" for v in s.index]
    rows["Recommended"] = ["★ recommended" if s.loc[v, "recommended"] else "" for v in s.index]
    failed = s["status"] != "ok"
    if failed.any():
        rows["Status"] = ["ran" if ok else "failed" for ok in ~failed]
    table = pd.DataFrame(rows, index=list(cols.values())).T
    table.index.name = "Metric"
    return table


def side_by_side(view: StudyView) -> HTML:
    """The decision table for the page (fits a laptop, an A4 page and, as cards, a phone)."""
    budget, stated = budget_of(view, view.baseline)
    note = ("Variable pay is the year's incentive pay of every role; P50 is a typical "
            "year, P90 a year that one in ten exceeds. Profit after comp is revenue x gross "
            "margin less variable and base pay. " +
            (f"Budget: {compact_money(budget, view.currency)} of variable pay."
             if stated else "No budget stated: the on-target incentive of the reps in seat."))
    return HTML(html_table(side_by_side_table(view), notes=note))


def descriptions(view: StudyView) -> dict[str, str]:
    """Each variant's description as the study file gives it (study.json `descriptions`;
    a plan saved by the designer is described in words there), from the study's spec for
    folders written before."""
    return view.meta.get("descriptions") or {
        name: v.get("description", "") for name, v in view.spec.get("variants", {}).items()}


def variant_sentences(view: StudyView) -> HTML:
    """Each design in a sentence: what it changes from the current plans."""
    base = view.results[view.baseline].scenario
    items = []
    for v in view.variants:
        text = "Today's plans, quotas and headcount." if v == view.baseline else \
            variant_sentence(base, view.results[v].scenario)
        said = descriptions(view).get(v, "")  # the study's own words (a designed plan's)
        said = f'<br><span class="spmsim-variant-description">{esc(said)}</span>' \
            if said else ""
        items.append(f"<li><b>{esc(name_of(view, v))}</b>: {esc(text)}{said}</li>")
    failed = view.summary[view.summary["status"] != "ok"]
    items += [f"<li><b>{esc(label(v))}</b>: failed to run ({esc(st)})</li>"
              for v, st in zip(failed["variant"], failed["status"], strict=True)]
    return HTML(f"<ul class=\"spmsim-variants\">{''.join(items)}</ul>")


# ---- chart data -------------------------------------------------------------------------

def payout_curves(view: StudyView, role: str) -> pd.DataFrame:
    """Each variant's payout curve (total, % of TI) for `role`'s plan; variants whose plan
    for the role is the same share one line."""
    frames, seen = [], {}
    for v, r in view.results.items():
        spec = r.scenario["org"]["roles"][role]
        key = json.dumps([spec["plan"], spec.get("quota")], sort_keys=True, default=str)
        seen.setdefault(key, []).append(label(v))
    for key, names in seen.items():
        plan, quota = json.loads(key)
        curve = payout_curve(plan_from_dict(plan), quotas=quota or None)
        total = curve[curve["component"] == "Total"]
        frames.append(total.assign(variant=", ".join(names))[
            ["variant", "attainment", "pct_of_ti"]])
    return pd.concat(frames, ignore_index=True)


def payout_title(view: StudyView, role: str) -> str:
    return f"{role_label(view.results[view.baseline].scenario, role)}: payout curve"


def cost_ranges(view: StudyView, group: str = ALL) -> pd.DataFrame:
    """Each variant's variable pay P10, P50 and P90 over the simulated years, and the budget."""
    rows = []
    for v, r in view.results.items():
        g = r.groups.index(group)
        pay = r.trial["variable_pay"][:, g]
        p10, p50, p90 = np.percentile(pay, [10, 50, 90])
        rows.append({"variant": name_of(view, v), "p10": p10, "p50": p50, "p90": p90,
                     "budget": float(r.budget()[:, g].mean())})
    return pd.DataFrame(rows)


def attainment_distributions(view: StudyView, group: str = ALL, upto: float = 2.5
                             ) -> pd.DataFrame:
    """Share of reps by attainment bin (pooled over trials), per variant; variants with the
    same distribution share one line, named together."""
    groups: dict[bytes, tuple[list[str], pd.DataFrame]] = {}
    for v, r in view.results.items():
        d = r.distribution("attainment", group)
        d = d[d["bin_lo"] < upto]
        key = np.round(d["share"].to_numpy(), 12).tobytes()
        groups.setdefault(key, ([], d))[0].append(label(v))
    frames = [d.assign(variant=", ".join(names))[["variant", "bin_lo", "share"]]
              for names, d in groups.values()]
    return pd.concat(frames, ignore_index=True)


def attainment_note(view: StudyView, group: str = ALL) -> str:
    """Why some designs share one attainment line (HTML)."""
    lines = attainment_distributions(view, group)["variant"].unique()
    if len(lines) == len(view.variants):
        return ""
    return ("<p class=\"spmsim-note\">Designs drawn as one line have the same attainment: "
            "in this engine reps sell the same whatever the plan pays (no behaviour), so "
            "only a change of quotas, headcount or market moves attainment.</p>")


def earnings_by_percentile(view: StudyView, group: str = ALL) -> pd.DataFrame:
    """Earnings / OTE of the 10th, 50th and 90th percentile rep, per variant."""
    rows = []
    for v, r in view.results.items():
        g = r.groups.index(group)
        for q in (10, 50, 90):
            rows.append({"variant": label(v), "rep_percentile": f"P{q} rep",
                         "earnings_vs_ote": float(np.nanmean(
                             r.trial[f"earnings_vs_ote_p{q}"][:, g]))})
    return pd.DataFrame(rows)


# ---- winners and losers ------------------------------------------------------------------

def winners_losers(view: StudyView) -> pd.DataFrame:
    """Per variant and role: reps who would have earned more, less or the same last year
    than under the current plan, and the change in total pay (text)."""
    counts = outcome_counts(view.changes if view.changes is not None else
                            pd.DataFrame(columns=["variant", "role", "rep_id", "outcome",
                                                  "change"]))
    counts = counts[(counts["wins"] + counts["loses"]) > 0]  # who is paid differently
    order = {v: i for i, v in enumerate(view.variants)}
    counts = counts.sort_values("variant", key=lambda s: s.map(order), kind="stable")
    base = view.results[view.baseline].scenario
    return pd.DataFrame({
        "Design": [label(v) for v in counts["variant"]],
        "Role": [role_label(base, r) for r in counts["role"]],
        "Earn more": counts["wins"].astype(int).tolist(),
        "Earn less": counts["loses"].astype(int).tolist(),
        "Unchanged": counts["unchanged"].astype(int).tolist(),
        "Pay change": [signed_money(v, view.currency) for v in counts["pay_change"]]})


def biggest_changes(view: StudyView, variant: str, n: int = 5) -> pd.DataFrame:
    """The `n` reps who gain and the `n` who lose most under `variant` (text)."""
    rows = view.changes[(view.changes["variant"] == variant)
                        & (view.changes["outcome"] != "unchanged")]
    rows = pd.concat([rows.nlargest(n, "change"), rows.nsmallest(n, "change")]
                     ).drop_duplicates(["role", "rep_id"]).sort_values("change", ascending=False)
    base = view.results[view.baseline].scenario
    return pd.DataFrame({
        "Rep": rows["rep_id"].astype(str).tolist(),
        "Role": [role_label(base, r) for r in rows["role"]],
        "Pay now": [compact_money(v, view.currency) for v in rows["old_pay"]],
        "Pay under the design": [compact_money(v, view.currency) for v in rows["new_pay"]],
        "Change": [signed_money(v, view.currency) for v in rows["change"]]})


def winners_losers_section(view: StudyView) -> list:
    """What the report shows of winners and losers: a sentence, the counts, the reps who
    gain and lose most under the recommended design, and the chart of every rep's change."""
    if view.changes is None:
        return [HTML("<p>Winners and losers: the study names no history (last year's deals, "
                     "quotas and roster), so no rep-level comparison against the current "
                     "plans.</p>")]
    reps = view.changes.drop_duplicates(["role", "rep_id"])
    note = HTML(f"<p>Last year's deals of {count(len(reps), 'rep')} replayed under each "
                f"design's plans against the current plans (<b>{esc(label(view.baseline))}"
                "</b>). Quotas are last year's, so a design that changes only how quotas are "
                "set shows no change here.</p>")
    table = winners_losers(view)
    parts = [note, HTML(html_table(table, row_header=False,
                                   notes="A design or role not listed pays every rep "
                                         "the same as today.")) if len(table) else
             HTML("<p>No design changes any rep's pay on last year's deals.</p>")]
    changed = view.changes[view.changes["outcome"] != "unchanged"]
    if len(changed):  # the recommended design's, else the design that changes most pay
        rec = recommended(view)
        shown = rec if rec in set(changed["variant"]) else \
            changed["variant"].value_counts().index[0]
        parts.append(HTML(html_table(biggest_changes(view, shown), row_header=False,
                                     caption=f"Largest gains and losses under {label(shown)}")))
    if len(changed):
        shown = changed.assign(variant=[label(v) for v in changed["variant"]],
                               role=[role_label(view.results[view.baseline].scenario, r)
                                     for r in changed["role"]])
        parts.append(charts.pay_change_chart(shown))
    return parts


# ---- assumptions ---------------------------------------------------------------------------

def _peak_months(seasonality: list[float]) -> str:
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    if not seasonality or max(seasonality) - min(seasonality) < 1e-9:
        return "flat"
    top = max(seasonality)
    return "peaks in " + ", ".join(m for m, s in zip(months, seasonality, strict=False)
                                   if s >= top - 1e-9)


def assumptions_table(view: StudyView) -> pd.DataFrame:
    """Per role of the current plans: headcount, hires, quota, quota method, plan in words,
    attrition and seasonality (text)."""
    s = view.results[view.baseline].scenario
    cur = view.currency
    rows = []
    for role, spec in s["org"]["roles"].items():
        plan = spec.get("plan") or {}
        quota = ", ".join(f"{label(m)} {compact_money(v, cur)}"
                          for m, v in (spec.get("quota") or {}).items())
        method = spec.get("quota_method") or {}
        hires = sum(h.get("count", 0) for h in spec.get("hires") or [])
        market = s.get("market", {}).get(role, {})
        rows.append({
            "Role": role_label(s, role),
            "Reps in seat": f"{spec.get('headcount', 0):,}" + (f" + {hires} hires"
                                                               if hires else ""),
            "Quota a rep": quota or "-",
            "Quotas set by": label(method["method"]) if method.get("method") else "per rep",
            "Plan": _plan_words(plan, cur),
            "Attrition a year": percent((spec.get("attrition") or {}).get("annual", 0), 0),
            "Seasonality": _peak_months(market.get("seasonality") or []),
        })
    return pd.DataFrame(rows).set_index("Role")


def _plan_words(plan: dict, currency: str) -> str:
    if not plan:
        return "-"
    p = plan_from_dict(plan)
    parts = [f"{p.plan}: OTE {compact_money(p.ote, currency)}, "
             f"{p.base_share * 100:.0f}/{(1 - p.base_share) * 100:.0f} base/variable"]
    parts += [f"{c.name} ({percent(c.target_share(), 0)} of target)" if c.target_share()
              else c.name for c in p.components]
    return "; ".join(parts)


def assumptions(view: StudyView) -> list:
    """The appendix: the current plans' organisation, the economics and how the study ran."""
    s = view.results[view.baseline].scenario
    cur = view.currency
    budget, stated = budget_of(view, view.baseline)
    economics = s.get("economics", {})
    run = (f"Base scenario: {s.get('scenario', '')}. Gross margin "
           f"{percent(economics.get('gross_margin', 1.0), 0)}; variable comp budget "
           + (f"{compact_money(budget, cur)}" if stated else "not stated (on-target incentive "
              "of the reps in seat is used)")
           + f"; money in {cur}. Engine: {'agent-based (SimPy)' if view.meta.get('engine') == 'agents' else 'Monte Carlo'}, "  # noqa: E501
           f"{view.meta.get('trials') or view.results[view.baseline].n_trials:,} simulated "
           f"years a design, seed {view.seed}, "
           + ("every design on the same draws (paired)" if view.paired else
              "independent draws per design")
           + f"; {versions_text()}.")
    return [HTML(html_table(assumptions_table(view), caption="The current plans")),
            HTML(f"<p class=\"spmsim-note\">{esc(run)}</p>")]
