"""Quota methods judged by simulation, for the report page: the memo (which method, why,
the risk, how sure), the table and the chart data, in readers' words
(`notebooks/quota_study.ipynb`).

Fairness is shown so that higher is better: 1 - |r|, where r is the correlation across
seats of a rep's mean attainment with the potential of the rep's territory. 100 % means
attainment does not depend on how rich the territory is (quotas absorb the difference);
0 % means territory potential decides it entirely.
"""

from __future__ import annotations

import pandas as pd

from spmsim.format import compact_money, label, percent, plan_role_label, points, signed_money
from spmsim.io import resolve_path
from spmsim.model.scenario import load_scenario
from spmsim.report.memo import memo as memo_html

FAIRNESS = ("Fairness: how little a rep's attainment depends on the potential of the "
            "territory (100 % = not at all; 1 - |correlation| of each seat's attainment "
            "with its territory's potential). Higher is better.")
METHOD_WORDS = {"flat_growth": "Last year plus growth", "potential": "Territory potential",
                "equal": "Equal shares", "blended": "Blend of history and potential",
                "history": "Last year's bookings"}


def method_name(method: str) -> str:
    return METHOD_WORDS.get(method, label(method))


def scored(table: pd.DataFrame) -> pd.DataFrame:
    """The methods' table with `fairness_score` (1 - |fairness|) and a readable `method`."""
    return table.assign(fairness_score=1 - table["fairness"].abs(),
                        method=[method_name(m) for m in table["quota_method"]])


def recommended(table: pd.DataFrame) -> pd.Series:
    """The fairest method; among equally fair ones (within 1 point), the most reps at quota."""
    t = scored(table)
    best = t["fairness_score"].max()
    close = t[t["fairness_score"] >= best - 0.01]
    return close.loc[close["share_at_quota"].idxmax()]


def memo(table: pd.DataFrame, role: str, trials: int | None = None,
         currency: str = "USD") -> str:
    """The decision memo of a quota-method comparison for `role` (its label)."""
    t = scored(table)
    rec = recommended(table)
    others = t[t["quota_method"] != rec["quota_method"]]
    why = [f"{rec['method']} is the fairest: fairness {percent(rec['fairness_score'], 0)} "
           f"(higher is better), with {percent(rec['share_at_quota'], 0)} of reps at quota "
           f"and attainment from {percent(rec['attainment_p10'], 0)} (P10) to "
           f"{percent(rec['attainment_p90'], 0)} (P90)."]
    for _, o in others.iterrows():
        why.append(f"{o['method']}: fairness {percent(o['fairness_score'], 0)}, reps at quota "
                   f"{points(o['share_at_quota'] - rec['share_at_quota'])} against it, "
                   f"variable pay {signed_money(o['cost_p50'] - rec['cost_p50'], currency)} "
                   "in a typical year against it.")
    risk = (f"variable pay {compact_money(rec['cost_p50'], currency)} in a typical year, "
            f"{compact_money(rec['cost_p90'], currency)} one year in ten; cost of sales "
            f"{percent(rec['cost_of_sales'])}.")
    n = f"{trials:,} " if trials else ""
    sure = (f"every method ran on the same {n}simulated years (common draws), so the "
            "differences are the methods'. " + FAIRNESS)
    return memo_html(f"Quota methods for {role}",
                     f"Quota study · {len(t)} methods · {n}simulated years each",
                     f"How to set {role} quotas: "
                     + ", ".join(t["method"].str.lower()) + ".",
                     f"set quotas by {rec['method'].lower()}", why=why, risk=risk,
                     sure=sure)


def methods_table(table: pd.DataFrame, currency: str = "USD") -> pd.DataFrame:
    """Metrics as rows, methods as columns (text)."""
    t = scored(table)
    rows = {
        "Fairness (higher is better)": [percent(v, 0) for v in t["fairness_score"]],
        "Reps at or above quota": [percent(v) for v in t["share_at_quota"]],
        "Attainment P10": [percent(v, 0) for v in t["attainment_p10"]],
        "Attainment P50": [percent(v, 0) for v in t["attainment_p50"]],
        "Attainment P90": [percent(v, 0) for v in t["attainment_p90"]],
        "Variable pay, typical year (P50)": [compact_money(v, currency) for v in t["cost_p50"]],
        "Variable pay, 1 year in 10 above (P90)": [compact_money(v, currency)
                                                   for v in t["cost_p90"]],
        "Cost of sales": [percent(v) for v in t["cost_of_sales"]],
    }
    out = pd.DataFrame(rows, index=list(t["method"])).T
    out.index.name = "Metric"
    return out


def chart_data(table: pd.DataFrame) -> pd.DataFrame:
    """For `charts.quota_chart`: method, reps at quota and fairness (both higher better)."""
    t = scored(table)
    return pd.DataFrame({"quota_method": t["method"], "share_at_quota": t["share_at_quota"],
                         "fairness": t["fairness_score"]})


def role_name(scenario: str, role: str) -> str:
    """The role as a reader names it, from the scenario's plan (found as `resolve_path`)."""
    s = load_scenario(resolve_path(scenario))
    spec = s.org.roles.get(role)
    return plan_role_label(spec.plan.plan, role) if spec is not None else label(role)
