"""A sweep for the report page: the memo (the chosen plan in words, why, the risk, and a
warning when it changes the plan's structure), and the best candidates without ids or
paths (`notebooks/sweep_study.ipynb`)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from spmsim.format import compact_money, count, label, multiple, percent_short, tick, words
from spmsim.report.memo import memo as memo_html
from spmsim.report.studyview import READER, fmt, fmt_change
from spmsim.studies.describe import role_label, structural_changes, variant_sentence
from spmsim.studies.study import Constraint
from spmsim.studies.sweep.view import SweepView, chosen_tree
from spmsim.studies.sweep.view import front_points as sw_front_points


def _column_words(column: str, tree: dict, lower: bool = False) -> str:
    """'share_at_quota (ent_ae)' -> 'Reps at or above quota, Enterprise AE'."""
    m = re.fullmatch(r"(\w+)(?: \((\w+)\))?", column)
    if not m or m.group(1) not in READER:
        return label(column)
    words = READER[m.group(1)][0]
    words = words[0].lower() + words[1:] if lower else words
    return f"{words}, {role_label(tree, m.group(2))}" if m.group(2) else words


def parameter_value(path: str, value: float, currency: str = "USD") -> str:
    """A swept value by what its path sets: a rate as a multiple, a share of target or
    quota in per cent, an amount as money."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "-"
    last = path.rsplit(".", 1)[-1]
    if last == "rate":
        return multiple(float(value))
    if last in {"of_target", "threshold", "upto", "base_share", "growth", "over_assignment"}:
        return percent_short(float(value))
    if "quota" in path or last in {"ote", "amount", "per_unit", "per_deal", "budget"}:
        return compact_money(float(value), currency)
    return f"{float(value):.3g}"


def _constraint(spec: dict, tree: dict) -> str:
    c = Constraint(**spec)
    what = READER[c.metric][0].split(" (")[0].lower()
    if c.group != "all":
        what += f" ({role_label(tree, c.group)})"
    f = (lambda v: percent_short(v)) if READER[c.metric][1] == "share" else compact_money
    if c.min is not None and c.max is not None:
        return f"{what} between {f(c.min)} and {f(c.max)}"
    return f"{what} at most {f(c.max)}" if c.max is not None else f"{what} at least {f(c.min)}"


def memo(view: SweepView) -> str:
    """The decision memo of a sweep."""
    m, c = view.meta, view.chosen
    base = m["base_tree"]
    spec = m.get("study_spec") or {}
    rules = "; ".join(_constraint(s, base) for s in spec.get("constraints", [])) or "none"
    obj = m["objective"]
    obj_words = READER[obj["metric"]][0].split(" (")[0].lower()
    better = {"min": "lower is better", "max": "higher is better"}
    axes = " against ".join(f"{_column_words(o['column'], base, lower=True)} "
                            f"({better[o['goal']]})" for o in m["objectives"])
    swept = ", ".join(words(p) for p in m["parameters"])
    facts = (f"Plan search · {count(m['candidates'], 'candidate plan')} x {m['trials']:,} "
             f"simulated years · seed {m['seed']}")
    decision = (spec.get("description", "").strip() or
                f"Which {swept} to choose.") + \
        f" Candidates must meet every constraint ({rules}); the chosen plan has the " \
        f"{'most' if obj['goal'] == 'max' else 'least'} {obj_words} among those on the " \
        f"Pareto front of {axes}."
    if c is None:
        return memo_html(m["study"], facts, decision, "none of the candidates qualifies",
                         warnings=[("No candidate meets every constraint",
                                    f"none of the {m['candidates']} keeps {rules}: widen the "
                                    "ranges or relax a constraint.")])
    tree = chosen_tree(view)
    what = variant_sentence(base, tree)
    why = [f"{obj_words} {fmt(obj['metric'], c['objective'])} a year on average, the best of "
           f"the {m['on_front']} plans on the Pareto front; {m['feasible']} of the "
           f"{m['candidates']} candidates meet every constraint. What changes from the base "
           f"plans: {what}"]
    others = view.table[view.table["feasible"] & ~view.table["chosen"]]
    sure = None
    if len(others):
        goal = obj["goal"]
        nxt = others.loc[others["objective"].idxmax() if goal == "max"
                         else others["objective"].idxmin()]
        gap = c["objective"] - nxt["objective"]
        sure = (f"the next-best plan that meets every constraint is "
                f"{fmt(obj['metric'], abs(gap))} behind on {obj_words}; every "
                f"candidate ran on the same simulated years ({'common' if m['common_draws'] else 'independent'} "  # noqa: E501
                "draws). A sweep keeps no year-by-year results: to see whether that gap is "
                "more than noise, run the two as variants of a study (`spmsim report`), "
                "whose memo gives the paired difference.")
    risk_cols = [k for k in ("p_over_budget", "cost_of_sales") if k in view.table]
    risk = "; ".join(f"{READER[k][0].split(' (')[0].lower()} {fmt(k, c[k])}"
                     for k in risk_cols) + "." \
        if risk_cols else None
    structural = structural_changes(base, tree)
    warnings = [("The chosen plan changes the plan's structure",
                 "; ".join(structural) + ". Check these with the plan's owners: a search "
                 "over numbers can change what the plan is.")] if structural else []
    return memo_html(m["study"], facts, decision, "adopt the chosen plan", why=why,
                     risk=risk, sure=sure, warnings=warnings)


def candidates_table(view: SweepView, rows: int = 12) -> pd.DataFrame:
    """The best `rows` candidates for a reader: ranked (feasible, on the front, then by the
    objective), parameters and objectives in words, constraints ticked; no ids."""
    t, m = view.table, view.meta
    base = m["base_tree"]
    goal = m["objective"]["goal"]
    order = t.assign(_f=~t["feasible"], _p=~t["on_front"],
                     _o=t["objective"] if goal == "min" else -t["objective"])
    order = order.sort_values(["_f", "_p", "_o", "index"], kind="mergesort",
                              na_position="last").head(rows)
    out = pd.DataFrame(index=pd.Index(
        ["Chosen" if ch else f"#{i + 1}" for i, ch in enumerate(order["chosen"])], name="Plan"))
    for p, path in m["parameters"].items():
        out[label(p)] = [parameter_value(path, v) for v in order[p]]
    cols = dict.fromkeys([o["column"] for o in m["objectives"]] + [m["objective"]["column"]])
    for col in cols:
        out[_column_words(col, base)] = [fmt(col, v) for v in order[col]]
    obj = m["objective"]
    if view.chosen is not None and READER.get(obj["metric"], ("", ""))[1] == "money":
        best = view.chosen["objective"]
        out[f"{READER[obj['metric']][0].split(' (')[0]} against the chosen"] = [
            "-" if ch else fmt_change(obj["metric"], v - best)
            for v, ch in zip(order["objective"], order["chosen"], strict=True)]
    for spec, col in zip((m.get("study_spec") or {}).get("constraints", []), m["constraints"],
                         strict=False):
        out["Meets: " + _constraint(spec, base)] = [tick(bool(v)) for v in order[col]]
    out["On the Pareto front"] = [tick(bool(v)) for v in order["on_front"]]
    return out


def front_points(view: SweepView) -> pd.DataFrame:
    """`sweep.view.front_points` with the axes titled in readers' words and formatted as
    money or per cent."""
    pts = sw_front_points(view)
    base = view.meta["base_tree"]
    x, y = (o["column"] for o in view.meta["objectives"][:2])
    fmt_of = {"money": "$,.3~s", "share": ".0%"}
    kind = lambda c: READER.get(c.split(" (")[0], ("", "money"))[1]  # noqa: E731
    return pts.assign(candidate=pts["category"].map(  # no ids, even in the marks' labels
        lambda c: "the chosen plan" if c == "chosen" else f"a {c} plan".replace("a infeasible",
                                                                               "an infeasible")),
                      x_title=_column_words(x, base), y_title=_column_words(y, base),
                      x_format=fmt_of.get(kind(x), ",.3~s"),
                      y_format=fmt_of.get(kind(y), ",.3~s"))


def payout_title(view: SweepView, role: str) -> str:
    return f"{role_label(view.meta['base_tree'], role)}: payout curve, base and chosen plan"


def choice_sentence(view: SweepView) -> str:
    """The chosen plan and why, in one plain sentence for the command line: its swept
    values in words, the objective, the front and the constraints (the candidate's id
    names its file under `candidates/`)."""
    m, c = view.meta, view.chosen
    base = m["base_tree"]
    spec = m.get("study_spec") or {}
    rules = "; ".join(_constraint(x, base) for x in spec.get("constraints", [])) or "none"
    if c is None:
        return (f"No candidate meets every constraint ({rules}) out of {m['candidates']}: "
                "widen the ranges or relax a constraint.")
    obj = m["objective"]
    better = {"min": "lower is better", "max": "higher is better"}
    axes = " against ".join(f"{_column_words(o['column'], base, lower=True)} "
                            f"({better[o['goal']]})" for o in m["objectives"])
    values = ", ".join(f"{words(p)} {parameter_value(path, c[p])}"
                       for p, path in m["parameters"].items())
    most = "most" if obj["goal"] == "max" else "least"
    return (f"Chosen plan ({values}; candidate {c['candidate']}): the {most} "
            f"{READER[obj['metric']][0].split(' (')[0].lower()} "
            f"({fmt(obj['metric'], c['objective'])} a year on average) among the "
            f"{m['on_front']} plans on the Pareto front of {axes}; {m['feasible']} of the "
            f"{m['candidates']} candidates meet every constraint ({rules}).")
