"""Real deals, real plans: `spmsim replay` and `spmsim compare`."""

from __future__ import annotations

import argparse
from pathlib import Path

from spmsim.cli.common import add_out
from spmsim.format import amount, money, percent

SUMMARY_LABELS = {"plan": "Plan", "reps": "Reps", "revenue": "Revenue", "ti": "Target incentive",
                  "earned": "Earned", "net_paid": "Net paid", "pct_of_ti": "Earned % of TI",
                  "cost_of_sales": "Cost of sales", "share_at_quota": "Reps at quota"}


def _shown(fmt):
    """A formatter that writes '-' where a figure is undefined (no revenue, no quota)."""
    return lambda v: "-" if v != v else fmt(v)


def _summary_text(summary, currency: str | None = None) -> str:
    """The plan summary for people: labels, money with its currency, '-' where undefined."""
    cash = (lambda v: money(v, currency, 0)) if currency else amount
    header = [SUMMARY_LABELS[c] for c in summary.columns]
    text = summary.to_string(index=False, na_rep="-", header=header, formatters={
        "revenue": cash, "ti": cash, "earned": cash, "net_paid": cash,
        "pct_of_ti": _shown(percent), "cost_of_sales": _shown(lambda v: percent(v, 2)),
        "share_at_quota": _shown(lambda v: percent(v, 0))})
    return text + ("\n\nCost of sales is net paid / revenue, each deal counted once; unit "
                   "measures (meetings, logos) are never revenue.")


def _currency(plans) -> str | None:
    """The plans' one currency, or None when they differ (then amounts carry no symbol)."""
    found = {p.currency for p in plans.values()}
    return found.pop() if len(found) == 1 else None


def _transactions(args, plans):
    from spmsim.data.transactions import load_transactions

    return load_transactions(plans, args.deals, args.quotas, args.roster)


def cmd_replay(args) -> int:
    from spmsim.history.leaderboard import leaderboard
    from spmsim.history.replay import plan_summary, replay, revenue_measures
    from spmsim.history.statement import statement
    from spmsim.io import csv_text, text_writer, write_files
    from spmsim.plans.io import load_plans

    plans = load_plans(args.plan)
    result = replay(_transactions(args, plans))
    if args.explain:
        print(statement(result, args.explain))
        return 0
    out = Path(args.out)
    summary = plan_summary(result, args.revenue_measures or revenue_measures(plans))
    text = _summary_text(summary.assign(plan=summary["plan"].map(lambda k: plans[k].plan)),
                         _currency(plans))
    tables = (("payouts_by_component", result.by_component),
              ("payouts_by_period", result.by_period), ("payouts_by_rep", result.by_rep),
              ("plan_summary", summary.round(6)))
    board = leaderboard(result)
    if len(board):  # contests: every rep's place after each period of the window
        tables += (("leaderboard", board.round(6)),)
    write_files(out, {**{f"{name}.csv": text_writer(csv_text(df)) for name, df in tables},
                      "summary.txt": text_writer(text + "\n")})
    print(text)
    print(f"\nwrote {out}/" + ", ".join(f"{name}.csv" for name, _ in tables) + ", summary.txt")
    return 0


def cmd_compare(args) -> int:
    from spmsim.history.compare import compare, render
    from spmsim.history.replay import revenue_measures
    from spmsim.io import csv_text, text_writer, write_files
    from spmsim.plans import load_plan
    from spmsim.plans.io import load_plans

    old_path, new_path = Path(args.old), Path(args.new)
    others = load_plans(args.plan) if args.plan else {}
    key = old_path.stem
    old_plans = {**others, key: load_plan(old_path)}
    new_plans = {**others, key: load_plan(new_path)}
    revenue = args.revenue_measures or revenue_measures({key: old_plans[key]})
    result = compare(_transactions(args, old_plans), _transactions(args, new_plans), key, revenue)
    text = render(result, currency=old_plans[key].currency)
    out = Path(args.out)
    summary = result.summary.reset_index(names="version").round(6)
    write_files(out, {"compare_by_rep.csv": text_writer(csv_text(result.by_rep)),
                      "compare_summary.csv": text_writer(csv_text(summary)),
                      "comparison.txt": text_writer(text + "\n")})
    print(text)
    print(f"\nwrote {out}/compare_by_rep.csv, compare_summary.csv, comparison.txt")
    return 0


def _inputs(p: argparse.ArgumentParser) -> None:
    p.add_argument("--deals", required=True, help="deals CSV")
    p.add_argument("--quotas", required=True, help="quotas CSV")
    p.add_argument("--roster", required=True, help="roster CSV")
    p.add_argument("--revenue-measures", nargs="+", metavar="MEASURE",
                   help="measures counted as revenue (default: what commissions pay on)")


def register(sub: argparse._SubParsersAction) -> None:
    r = sub.add_parser("replay", help="what the plans would have paid on a year of deals")
    r.add_argument("--plan", action="append", required=True,
                   help="plan file or folder (repeatable); the roster names plans by file stem")
    _inputs(r)
    add_out(r, default="reports/replay")
    r.add_argument("--explain", metavar="REP", help="print REP's statement instead")
    r.set_defaults(func=cmd_replay)

    c = sub.add_parser("compare", help="winners and losers of a plan change")
    c.add_argument("old", help="current plan file (the roster names it by file stem)")
    c.add_argument("new", help="proposed plan file")
    c.add_argument("--plan", action="append", help="other plans the roster names (repeatable)")
    _inputs(c)
    add_out(c, default="reports/compare")
    c.set_defaults(func=cmd_compare)
