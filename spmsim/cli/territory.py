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
    from spmsim.report.charts import html_writer, territory_page_chart
    from spmsim.studies.designs import band_spec, design_territories

    bands = band_spec(args.on, args.balance, args.band or ())
    design = design_territories(
        args.accounts, args.reps, bands=bands, disruption=args.disruption, matrix=args.matrix,
        unit=args.unit, bases=args.bases, weight=None if args.weight == "none" else args.weight,
        max_travel=args.max_travel, max_distance=args.max_distance, exact=args.exact,
        time_limit=args.time_limit, seed=args.seed)
    out = Path(args.out)
    write_files(out, {
        "alignment.csv": text_writer(csv_text(design.alignment)),
        "territories.csv": text_writer(csv_text(design.territories.round(3))),
        "metrics.csv": text_writer(csv_text(design.metrics.reset_index(names="metric"))),
        "balance.csv": text_writer(csv_text(design.balance().round(4))),
        "territories.html": html_writer(territory_page_chart(design))})
    print(design.describe())
    print(f"objective (travel{' plus priced moves' if args.disruption else ''}): "
          f"{design.result.objective:,.0f}" +
          ("" if design.result.bound is None else
           f"; proven lower bound {design.result.bound:,.0f}"))
    rows = [("What changes", "Today", "Proposed"),
            *design.summary().itertuples(index=False, name=None)]
    w = [max(len(str(r[k])) for r in rows) for k in range(3)]
    print()
    for what, today, proposed in rows:
        print(f"{what:<{w[0]}}  {today:>{w[1]}}  {proposed:>{w[2]}}")
    print("\nevery measure of balance, travel and disruption: metrics.csv")
    print(f"\nwrote {out}/alignment.csv, territories.csv, metrics.csv, balance.csv, "
          "territories.html")
    return 0


def cmd_quota(args) -> int:
    from spmsim.io import write_csv
    from spmsim.model.scenario import read_scenario_tree
    from spmsim.report.quotaview import methods_table, recommended, role_name
    from spmsim.studies.designs import compare_quota_methods
    from spmsim.versions import versions

    table = compare_quota_methods(args.scenario, args.role, args.method, target=args.target,
                                  over_assignment=args.over_assignment, growth=args.growth,
                                  trials=args.trials)
    write_csv(table.round(6).assign(**versions()), Path(args.out) / "quota_methods.csv")
    plan = (read_scenario_tree(args.scenario)["org"]["roles"][args.role].get("plan") or {})
    readable = methods_table(table, plan.get("currency", "USD"))
    years = f"{args.trials:,} simulated years" if args.trials else "the scenario's trials"
    print(f"Quota methods for {role_name(args.scenario, args.role)}, {years} each (the same "
          "years for every method)\n")
    print(readable.to_string())
    print(f"\nfairest: {recommended(table)['method']}")
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
    to.add_argument("accounts", help="CSV: account_id, potential, workload[, lat, lon][, rep_id]"
                    "[, locked][, group]")
    to.add_argument("--reps", type=whole(1), help="territories (default: the bases file's, or the "
                    "current reps)")
    to.add_argument("--bases", help="CSV: territory (or rep_id) and lat, lon, base_id or "
                    "account_id[, max_travel][, max_distance]: each territory's home base")
    to.add_argument("--matrix", help="CSV travel matrix, long (account_id, base_id, minutes|km|"
                    "...) or wide (account_id, one column per base or account)")
    to.add_argument("--unit", choices=["minutes", "hours", "km", "miles", "meters"],
                    help="unit of a wide matrix (default km)")
    to.add_argument("--band", action="append", metavar="MEASURE=BAND",
                    help="repeatable: workload=10%% (+-10%% of the mean), potential=0.15, "
                    "workload=..120 (at most 120), workload=80..120")
    to.add_argument("--balance", type=number(0, 100, above=True),
                    help="every territory within +- this share of the mean of --on "
                    "(default 0.1 when no --band)")
    to.add_argument("--on", help="the measure --balance applies to (default workload)")
    to.add_argument("--weight", default="workload",
                    help="accounts column weighting travel (default workload; 'none': each "
                    "account once)")
    to.add_argument("--max-travel", type=number(0, 1e12, above=True),
                    help="a territory's most travel (weight x distance), where the bases file "
                    "sets none")
    to.add_argument("--max-distance", type=number(0, 1e12, above=True),
                    help="the farthest an account may be from its base, in the matrix's unit")
    to.add_argument("--disruption", type=number(0, 1e6), default=0.0,
                    help="weight of moved potential against travel (0: ignore continuity)")
    mode = to.add_mutually_exclusive_group()
    mode.add_argument("--exact", dest="exact", action="store_true", default=None,
                      help="solve as a MILP (stops at --time-limit with the gap it proved)")
    mode.add_argument("--heuristic", dest="exact", action="store_false",
                      help="LP rounding and local search (the default for large instances)")
    to.add_argument("--time-limit", type=number(0, 1e6, above=True), default=60.0,
                    help="seconds (default 60)")
    to.add_argument("--seed", type=whole(0), default=0, help="for k-means bases")
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
