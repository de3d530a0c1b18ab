"""Plan files: `spmsim validate`, `spmsim curve`, `spmsim schema`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from spmsim.cli.common import pair
from spmsim.errors import InputError
from spmsim.format import amount, percent


def cmd_validate(args) -> int:
    from spmsim.plans import load_plan
    from spmsim.plans.io import plan_files

    files = plan_files(args.files)
    empty = [f for f in map(Path, args.files) if f.is_dir() and not plan_files([f])]
    if empty:
        raise InputError(empty[0], "a folder without plan files (*.yaml, *.yml): name the "
                                   "plan files or their folder")
    failed = 0
    for f in files:
        try:
            plan = load_plan(f)
        except InputError as e:
            failed += 1
            print(e.render(), file=sys.stderr)
            continue
        shape = "monotone" if plan.is_monotone() else "NOT monotone (pay can fall as credit rises)"
        print(f"ok  {f}: {plan.plan!r}, {len(plan.components)} components, weights "
              f"{percent(plan.weight_total(), 0)} of TI {amount(plan.ti)} {plan.currency}, {shape}")
    return 2 if failed else 0


def cmd_curve(args) -> int:
    from spmsim.io import write_csv
    from spmsim.plans import load_plan, payout_curve

    plan = load_plan(args.plan)
    quotas = dict(pair(q) for q in args.quota or [])
    curve = payout_curve(plan, quotas=quotas)
    if args.out:
        write_csv(curve, args.out)
    wide = curve.pivot(index="attainment", columns="component", values="pct_of_ti")
    steps = wide.loc[[a for a in wide.index if round(a * 100) % 10 == 0]]
    print(f"{plan.plan}: payout as % of TI ({amount(plan.ti)} {plan.currency}) by attainment")
    print("(every measure at the same attainment, credit spread evenly over the year, MBO "
          "scores at 1.0, SPIFs left out; --out writes all 201 points)")
    print(steps.to_string(float_format=percent))
    return 0


def cmd_schema(args) -> int:
    if args.kind == "scenario":
        from spmsim.model.scenario import scenario_json_schema

        print(scenario_json_schema())
    else:
        from spmsim.plans import plan_json_schema

        print(plan_json_schema())
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    v = sub.add_parser("validate", help="check plan files")
    v.add_argument("files", nargs="+", help="plan YAML files or folders of them")
    v.set_defaults(func=cmd_validate)

    k = sub.add_parser("curve", help="a plan's payout curve (%% of TI by attainment)")
    k.add_argument("plan")
    k.add_argument("--quota", action="append", metavar="MEASURE=AMOUNT",
                   help="quota for amount tiers or percent rates")
    k.add_argument("--out", help="write the full curve as CSV")
    k.set_defaults(func=cmd_curve)

    s = sub.add_parser("schema", help="print the JSON Schema of plan or scenario files")
    s.add_argument("kind", nargs="?", choices=["plan", "scenario"], default="plan")
    s.set_defaults(func=cmd_schema)
