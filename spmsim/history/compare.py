"""Winners and losers: each rep's pay under an old and a new plan on the same history."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from spmsim.data.transactions import Transactions
from spmsim.format import money, percent, points
from spmsim.history.replay import replay

UNCHANGED = 0.005  # changes under half a cent count as unchanged


@dataclass(frozen=True)
class Comparison:
    by_rep: pd.DataFrame
    summary: pd.DataFrame  # one row per plan: totals and cost of sales


def compare(old: Transactions, new: Transactions, key: str, revenue: list[str]) -> Comparison:
    """Replay the reps on plan `key` under `old.plans[key]` and `new.plans[key]`."""
    runs = {}
    for label, tx in (("old", old), ("new", new)):
        reps = replay(tx).by_rep
        runs[label] = reps[reps["plan"] == key].set_index("rep_id").dropna(axis=1, how="all")
    o, n = runs["old"], runs["new"]
    if o.empty:
        raise ValueError(f"no rep in the roster is on plan {key!r}")
    by_rep = pd.DataFrame({"team": o["team"], "old_pay": o["net_paid"], "new_pay": n["net_paid"]})
    by_rep["change"] = by_rep["new_pay"] - by_rep["old_pay"]
    by_rep["change_pct"] = by_rep["change"] / by_rep["old_pay"].where(by_rep["old_pay"] != 0)
    by_rep["old_pct_of_ti"], by_rep["new_pct_of_ti"] = o["pct_of_ti"], n["pct_of_ti"]
    for col in [c for c in o.columns if c.startswith("attainment_")]:
        by_rep[col] = o[col]
    by_rep["outcome"] = np.select([by_rep["change"] > UNCHANGED, by_rep["change"] < -UNCHANGED],
                                  ["wins", "loses"], "unchanged")
    by_rep = by_rep.sort_values("change", ascending=False, kind="stable").reset_index()
    rev = sum(o[f"credit_{m}"].sum() for m in revenue if f"credit_{m}" in o)
    summary = pd.DataFrame(
        [{"plan": tx.plans[key].plan, "variable_pay": r["net_paid"].sum(),
          "total_earnings": r["total_earnings"].sum(), "revenue": rev,
          "cost_of_sales": r["net_paid"].sum() / rev if rev else np.nan,
          "pct_of_ti": r["earned"].sum() / r["ti"].sum()}
         for tx, r in ((old, o), (new, n))], index=["old", "new"])
    return Comparison(by_rep=by_rep.round(6), summary=summary)


def render(c: Comparison, top: int = 5, currency: str | None = None) -> str:
    """The comparison as a short text report: totals under each plan and the change, then
    the biggest winners and losers, in words, money with its currency."""
    s, b = c.summary, c.by_rep
    counts = b["outcome"].value_counts()
    lines = [f"{s.loc['old', 'plan']}  ->  {s.loc['new', 'plan']}",
             f"reps: {len(b)}; wins {counts.get('wins', 0)}, loses {counts.get('loses', 0)}, "
             f"unchanged {counts.get('unchanged', 0)}", ""]

    def cash(v: float) -> str:
        return money(v, currency, 0)

    def signed(v: float) -> str:
        return ("+" if v > 0 else "") + cash(v) if abs(v) >= 0.5 else cash(0.0)
    t = s[["variable_pay", "revenue", "cost_of_sales", "pct_of_ti"]]
    d = t.loc["new"] - t.loc["old"]
    table = pd.DataFrame({
        "Variable pay": [cash(t.loc["old", "variable_pay"]), cash(t.loc["new", "variable_pay"]),
                         signed(d["variable_pay"])],
        "Revenue": [cash(t.loc["old", "revenue"]), cash(t.loc["new", "revenue"]),
                    signed(d["revenue"])],
        "Cost of sales": [percent(t.loc["old", "cost_of_sales"], 2),
                          percent(t.loc["new", "cost_of_sales"], 2),
                          points(d["cost_of_sales"], 2)],
        "Earned, % of TI": [percent(t.loc["old", "pct_of_ti"]),
                            percent(t.loc["new", "pct_of_ti"]), points(d["pct_of_ti"])]},
        index=["Current plan", "New plan", "Change"])
    lines.append(table.to_string())
    for title, rows in (("Biggest winners", b.head(top)), ("Biggest losers",
                                                            b.tail(top).iloc[::-1])):
        rows = rows[rows["outcome"] == ("wins" if "winners" in title else "loses")]
        shown = pd.DataFrame({
            "Rep": rows["rep_id"], "Team": rows["team"].fillna("-"),
            "Pay now": [cash(v) for v in rows["old_pay"]],
            "Pay on the new plan": [cash(v) for v in rows["new_pay"]],
            "Change": [signed(v) for v in rows["change"]],
            "Change %": ["n/a" if pd.isna(v) else f"{v:+.1%}" for v in rows["change_pct"]]})
        lines += ["", f"{title}:", shown.to_string(index=False) if len(rows) else "  none"]
    return "\n".join(lines)
