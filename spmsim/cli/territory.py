"""Territories and quotas: `spmsim territory accounts|optimise`, `spmsim quota`."""

from __future__ import annotations

import argparse
from pathlib import Path

from spmsim.cli.common import add_out, add_seed, add_trials, number, whole
from spmsim.config import MAX_MONEY


def cmd_territory_accounts(args) -> int:
    from spmsim.io import write_csv
    from spmsim.synthetic.accounts import synthetic_accounts

    accounts = synthetic_accounts(args.accounts, args.reps, args.seed)
    write_csv(accounts, args.out)
    print(f"wrote {args.out}: {len(accounts):,} accounts in {accounts['city'].nunique()} US "
          f"cities, currently owned by {args.reps} reps")
    return 0


def cmd_territory_optimise(args) -> int:
    from spmsim.io import csv_text, text_writer, write_files
    from spmsim.report.charts import balance_bars, html_writer, territory_map
    from spmsim.studies.designs import design_territories

    design = design_territories(args.accounts, args.reps, balance=args.balance, on=args.on,
                                disruption=args.disruption)
    out = Path(args.out)
    chart = territory_map(design.accounts, design.alignment["territory"]) & balance_bars(
        design.territories, args.on, args.balance)
    write_files(out, {
        "alignment.csv": text_writer(csv_text(design.alignment)),
        "territories.csv": text_writer(csv_text(design.territories.round(3))),
        "metrics.csv": text_writer(csv_text(design.metrics.reset_index(names="metric"))),
        "territories.html": html_writer(chart)})
    print(design.describe(args.balance, args.on))
    print(design.metrics.to_string(float_format=lambda v: f"{v:,.3f}"))
    print(f"\nwrote {out}/alignment.csv, territories.csv, metrics.csv, territories.html")
    return 0


def cmd_quota(args) -> int:
    from spmsim.io import write_csv
    from spmsim.studies.designs import compare_quota_methods

    table = compare_quota_methods(args.scenario, args.role, args.method, target=args.target,
                                  over_assignment=args.over_assignment, growth=args.growth,
                                  trials=args.trials)
    write_csv(table.round(6), Path(args.out) / "quota_methods.csv")
    print(table.drop(columns="alignment").to_string(index=False, float_format=lambda v:
                                                    f"{v:,.3f}"))
    print(f"\nwrote {args.out}/quota_methods.csv")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    t = sub.add_parser("territory", help="territory design: synthetic accounts, optimiser")
    tsub = t.add_subparsers(dest="territory_command", required=True)
    ta = tsub.add_parser("accounts", help="write synthetic accounts at US cities")
    ta.add_argument("--accounts", type=whole(1), default=2000)
    ta.add_argument("--reps", type=whole(1), default=40, help="reps owning them today")
    add_seed(ta, help="random seed (default 2027)", default=2027)
    add_out(ta, help="CSV file to write")
    ta.set_defaults(func=cmd_territory_accounts)
    to = tsub.add_parser("optimise", help="balance territories, minimising travel and moves")
    to.add_argument("accounts", help="CSV: account_id, lat, lon, potential, workload[, rep_id]")
    to.add_argument("--reps", type=whole(1), help="territories (default: the current reps)")
    to.add_argument("--balance", type=number(0, 100, above=True), default=0.1,
                    help="every territory within +- this share of the mean (default 0.1)")
    to.add_argument("--on", choices=["workload", "potential"], default="workload")
    to.add_argument("--disruption", type=number(0, 1e6), default=0.0,
                    help="weight of moved potential against travel (0: ignore continuity)")
    add_out(to)
    to.set_defaults(func=cmd_territory_optimise)

    q = sub.add_parser("quota", help="compare quota methods for a role by simulation")
    q.add_argument("scenario")
    q.add_argument("--role", required=True, help="a role with `territory:`")
    q.add_argument("--method", action="append", required=True,
                   choices=["flat_growth", "potential", "equal"], help="repeatable")
    q.add_argument("--target", type=number(0, MAX_MONEY, above=True),
                   help="company target (default: the role's)")
    q.add_argument("--over-assignment", type=number(0, 1), default=0.0)
    q.add_argument("--growth", type=number(-1, 1e3, above=True), default=0.0,
                   help="flat_growth: growth on history")
    add_trials(q, help="simulated plan years per method")
    add_out(q)
    q.set_defaults(func=cmd_quota)
