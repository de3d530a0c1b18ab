"""The `spmsim` command line: validate, replay, compare, curve, simulate, territory, quota."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pandas as pd

from .capacity import confirm_text, load_capacity, plan_capacity
from .charts import balance_bars, save_html, territory_map
from .compare import compare, render
from .data.accounts import synthetic_accounts
from .data.calibrate import calibrate, measure_arguments, plan_arguments, write_calibration
from .data.crm import check_history, read_history
from .data.history import HistoryParams, synthetic_history, write_history
from .data.transactions import load_transactions
from .designs import compare_quota_methods, design_territories
from .engines.agents import DEFAULT_LOGGED_TRIALS, simulate_agents
from .engines.montecarlo import DEFAULT_MEMORY_MB, simulate
from .errors import InputError, SpmsimError
from .eventlog import even_share, period_end_share
from .forecast import backtest, forecast, resolve_period
from .io import atomic_write_text, write_csv
from .overrides import parse_assignment
from .plans import load_plan, payout_curve, plan_json_schema
from .plans.io import load_plans, plan_files
from .replay import plan_summary, replay, revenue_measures
from .report import build_report, render_notebook
from .scenario import load_scenario, scenario_json_schema
from .search import candidates_display, choice, open_sweep
from .statement import statement
from .study import run_study
from .sweep import run_sweep


def _summary_text(summary: pd.DataFrame) -> str:
    return summary.to_string(index=False, formatters={
        "revenue": "{:,.0f}".format, "ti": "{:,.0f}".format, "earned": "{:,.0f}".format,
        "net_paid": "{:,.0f}".format, "pct_of_ti": "{:.1%}".format,
        "cost_of_sales": "{:.2%}".format, "share_at_quota": "{:.0%}".format})


def cmd_validate(args) -> int:
    files = plan_files(args.files)
    if not files:
        raise SpmsimError("no plan files given or found")
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
              f"{plan.weight_total():.0%} of TI {plan.ti:,.0f} {plan.currency}, {shape}")
    return 2 if failed else 0


def _transactions(args, plans):
    return load_transactions(plans, args.deals, args.quotas, args.roster)


def cmd_replay(args) -> int:
    plans = load_plans(args.plan)
    result = replay(_transactions(args, plans))
    if args.explain:
        print(statement(result, args.explain))
        return 0
    out = Path(args.out)
    summary = plan_summary(result, args.revenue_measures or revenue_measures(plans))
    text = _summary_text(summary)
    for name, df in (("payouts_by_component", result.by_component),
                     ("payouts_by_period", result.by_period), ("payouts_by_rep", result.by_rep),
                     ("plan_summary", summary.round(6))):
        write_csv(df, out / f"{name}.csv")
    atomic_write_text(out / "summary.txt", text + "\n")
    print(text)
    print(f"\nwrote {out}/payouts_by_component.csv, payouts_by_period.csv, payouts_by_rep.csv, "
          "plan_summary.csv, summary.txt")
    return 0


def cmd_compare(args) -> int:
    old_path, new_path = Path(args.old), Path(args.new)
    others = load_plans(args.plan) if args.plan else {}
    key = old_path.stem
    old_plans = {**others, key: load_plan(old_path)}
    new_plans = {**others, key: load_plan(new_path)}
    revenue = args.revenue_measures or revenue_measures({key: old_plans[key]})
    result = compare(_transactions(args, old_plans), _transactions(args, new_plans), key, revenue)
    text = render(result)
    out = Path(args.out)
    write_csv(result.by_rep, out / "compare_by_rep.csv")
    write_csv(result.summary.reset_index(names="version").round(6), out / "compare_summary.csv")
    atomic_write_text(out / "comparison.txt", text + "\n")
    print(text)
    print(f"\nwrote {out}/compare_by_rep.csv, compare_summary.csv, comparison.txt")
    return 0


def cmd_curve(args) -> int:
    plan = load_plan(args.plan)
    quotas = dict(_pair(q) for q in args.quota or [])
    curve = payout_curve(plan, quotas=quotas)
    if args.out:
        write_csv(curve, args.out)
    wide = curve.pivot(index="attainment", columns="component", values="pct_of_ti")
    steps = wide.loc[[a for a in wide.index if round(a * 100) % 10 == 0]]
    print(f"{plan.plan}: payout as % of TI ({plan.ti:,.0f} {plan.currency}) by attainment")
    print("(every measure at the same attainment, credit spread evenly over the year, MBO "
          "scores at 1.0, SPIFs left out; --out writes all 201 points)")
    print(steps.to_string(float_format="{:.1%}".format))
    return 0


def cmd_simulate(args) -> int:
    try:
        overrides = [parse_assignment(text) for text in args.set or []]
    except ValueError as e:
        raise SpmsimError(str(e)) from None
    scenario = load_scenario(args.scenario, overrides, trials=args.trials, seed=args.seed)
    if args.engine == "agents":
        results = simulate_agents(scenario, keep_reps=not args.no_rep_detail,
                                  progress=not args.no_progress, logged_trials=args.log_trials)
    else:
        results = simulate(scenario, memory_mb=args.memory_mb, workers=args.workers,
                           keep_reps=not args.no_rep_detail, progress=not args.no_progress)
    out = Path(args.out)
    results.save(out)
    text = results.summary_text()
    write_csv(results.summary().reset_index(names="metric"), out / "summary.csv")
    atomic_write_text(out / "summary.txt", text + "\n")
    print(text)
    if results.events is not None:
        share = period_end_share(results.events, scenario.year_start)
        print(f"\nwon bookings in the last 14 days of a quarter: {share:.1%} "
              f"(even over the year: {even_share(scenario.year_start):.1%}; logged trials)")
    tables = "trials, periods, histograms" + ("" if args.no_rep_detail else ", reps") + \
        (", events" if results.events is not None else "")
    print(f"\nwrote {out}/ ({tables} as Parquet; meta.json; summary.csv, summary.txt)")
    return 0


def cmd_territory_accounts(args) -> int:
    accounts = synthetic_accounts(args.accounts, args.reps, args.seed)
    write_csv(accounts, args.out)
    print(f"wrote {args.out}: {len(accounts):,} accounts in {accounts['city'].nunique()} US "
          f"cities, currently owned by {args.reps} reps")
    return 0


def cmd_territory_optimise(args) -> int:
    design = design_territories(args.accounts, args.reps, balance=args.balance, on=args.on,
                                disruption=args.disruption)
    out = Path(args.out)
    write_csv(design.alignment, out / "alignment.csv")
    write_csv(design.territories.round(3), out / "territories.csv")
    write_csv(design.metrics.reset_index(names="metric"), out / "metrics.csv")
    save_html(territory_map(design.accounts, design.alignment["territory"]) & balance_bars(
        design.territories, args.on, args.balance), out / "territories.html")
    print(design.describe(args.balance, args.on))
    print(design.metrics.to_string(float_format=lambda v: f"{v:,.3f}"))
    print(f"\nwrote {out}/alignment.csv, territories.csv, metrics.csv, territories.html")
    return 0


def cmd_quota(args) -> int:
    table = compare_quota_methods(args.scenario, args.role, args.method, target=args.target,
                                  over_assignment=args.over_assignment, growth=args.growth,
                                  trials=args.trials)
    write_csv(table.round(6), Path(args.out) / "quota_methods.csv")
    print(table.drop(columns="alignment").to_string(index=False, float_format=lambda v:
                                                    f"{v:,.3f}"))
    print(f"\nwrote {args.out}/quota_methods.csv")
    return 0


def cmd_study(args) -> int:
    summary = run_study(args.study, args.out, trials=args.trials,
                        progress=not args.no_progress)
    shown = ["variant", "status", *[c for c in ("cost_of_sales", "share_at_quota",
                                                  "variable_pay_p50", "variable_pay_p90",
                                                  "profit_after_comp") if c in summary],
             "meets_all", "recommended"]
    print(summary[shown].to_string(index=False, float_format=lambda v: f"{v:,.3f}"))
    print(f"\nwrote {args.out}/variants/*/ (Parquet), summary.csv, results.duckdb, study.json")
    failed = (summary["status"] != "ok").sum()
    if failed:
        print(f"error: {failed} variant(s) failed (see status above)", file=sys.stderr)
    return 1 if failed else 0


def cmd_report(args) -> int:
    path = build_report(args.study, reports=args.reports, trials=args.trials, role=args.role,
                        notebook=args.notebook, progress=not args.no_progress)
    print(f"wrote {path} and {Path(args.reports) / 'index.html'}")
    return 0


def cmd_notebook(args) -> int:
    """Any shipped notebook as a report; `-p key=value` values are YAML, and a value that
    names an existing file or folder is made absolute (the notebook runs in the repo root)."""
    params = {}
    for text in args.param:
        key, value = parse_assignment(text)
        if isinstance(value, date):  # YAML reads 2026-06-30 as a date; notebooks take text
            value = value.isoformat()
        if isinstance(value, str) and Path(value).exists():
            value = str(Path(value).resolve())
        params[key] = value
    stem = Path(args.notebook).stem
    path = render_notebook(args.notebook, params, name=args.name or stem,
                           title=args.title or stem.replace("_", " "), reports=args.reports,
                           seed=params.get("seed"), trials=params.get("trials"))
    print(f"wrote {path} and {Path(args.reports) / 'index.html'}")
    return 0


def cmd_sweep(args) -> int:
    table = run_sweep(args.study, args.out, trials=args.trials, workers=args.workers,
                      scheduler=args.scheduler, resume=not args.no_resume,
                      progress=not args.no_progress)
    view = open_sweep(args.out)
    print(candidates_display(view, rows=args.show).to_string())
    print("\n" + choice(view, as_html=False))
    print(f"\nwrote {args.out}/candidates/*.json, candidates.parquet, summary.csv, "
          "results.duckdb, sweep.json")
    if args.report:
        path = render_notebook("sweep_study", {"out": str(Path(args.out).resolve()),
                                               "role": args.role or view.meta["role"]},
                               name=f"{Path(args.study).stem}_sweep",
                               title=view.meta["study"], reports=args.reports,
                               seed=view.meta["seed"], trials=view.meta["trials"])
        print(f"wrote {path} and {Path(args.reports) / 'index.html'}")
    failed = int((table["status"] != "ok").sum())
    if failed:
        print(f"error: {failed} candidate(s) failed (status in summary.csv)", file=sys.stderr)
    return 1 if failed else 0


def cmd_capacity(args) -> int:
    capacity = load_capacity(args.capacity, probability=args.probability, trials=args.trials,
                             seed=args.seed)
    plan = plan_capacity(capacity, progress=not args.no_progress)
    written = plan.save(args.out)
    print(plan.summary_text())
    if args.confirm:
        print(confirm_text(plan, args.confirm))
    print(f"\nwrote {', '.join(str(p) for p in written)}")
    return 0


def cmd_forecast(args) -> int:
    history = read_history(args.history, args.mapping, drop_bad=args.drop_bad)
    types = args.type or None
    if args.backtest:
        result = backtest(history, freq=args.freq, start=args.start, end=args.end,
                          trials=args.trials or 2_000, seed=args.seed, windows=args.windows,
                          types=types, progress=not args.no_progress)
    else:
        as_of, period_end = resolve_period(history, args.as_of, args.period_end, args.freq)
        result = forecast(history, as_of, period_end, trials=args.trials or 10_000,
                          seed=args.seed, windows=args.windows, types=types,
                          progress=not args.no_progress)
    written = result.save(args.out)
    print(result.text())
    print(f"\nwrote {', '.join(str(p) for p in written)}")
    return 0


def cmd_calibrate(args) -> int:
    history = read_history(args.history, args.mapping, drop_bad=args.drop_bad)
    cal = calibrate(history, plan_arguments(args.plan), quota=dict(map(_pair, args.quota or [])),
                    measures=measure_arguments(args.measure), since=args.since,
                    as_of=args.as_of, bootstrap=args.bootstrap, seed=args.seed)
    scenario, report = write_calibration(cal, args.out)
    print(cal.summary())
    print(f"\nwrote {scenario} and {report}")
    return 0


def cmd_crm_check(args) -> int:
    _, report = check_history(args.history, args.mapping)
    print(report.text())
    if not report.ok:
        print("bad rows are " + ("dropped (--drop-bad)" if args.drop_bad else
                                 "refused: fix them, or go on with the good rows (--drop-bad)"))
    return 0 if report.ok or args.drop_bad else 2


def cmd_crm_synthetic(args) -> int:
    params = HistoryParams(reps=args.reps, months=args.months, seed=args.seed)
    written = write_history(synthetic_history(params), args.out)
    print(f"wrote {', '.join(str(p) for p in written)}: {args.months} months of "
          f"{args.reps} reps' history from known parameters (seed {args.seed})")
    return 0


def cmd_schema(args) -> int:
    print(scenario_json_schema() if args.kind == "scenario" else plan_json_schema())
    return 0


def _pair(text: str) -> tuple[str, float]:
    name, _, value = text.partition("=")
    try:
        return name.strip(), float(value)
    except ValueError:
        raise SpmsimError(f"--quota {text!r}: write MEASURE=AMOUNT, e.g. new_arr=1200000") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="spmsim", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    v = sub.add_parser("validate", help="check plan files")
    v.add_argument("files", nargs="+", help="plan YAML files or folders of them")
    v.set_defaults(func=cmd_validate)

    def inputs(p):
        p.add_argument("--deals", required=True, help="deals CSV")
        p.add_argument("--quotas", required=True, help="quotas CSV")
        p.add_argument("--roster", required=True, help="roster CSV")
        p.add_argument("--revenue-measures", nargs="+", metavar="MEASURE",
                       help="measures counted as revenue (default: what commissions pay on)")

    r = sub.add_parser("replay", help="what the plans would have paid on a year of deals")
    r.add_argument("--plan", action="append", required=True,
                   help="plan file or folder (repeatable); the roster names plans by file stem")
    inputs(r)
    r.add_argument("--out", default="reports/replay", help="output folder")
    r.add_argument("--explain", metavar="REP", help="print REP's statement instead")
    r.set_defaults(func=cmd_replay)

    c = sub.add_parser("compare", help="winners and losers of a plan change")
    c.add_argument("old", help="current plan file (the roster names it by file stem)")
    c.add_argument("new", help="proposed plan file")
    c.add_argument("--plan", action="append", help="other plans the roster names (repeatable)")
    inputs(c)
    c.add_argument("--out", default="reports/compare", help="output folder")
    c.set_defaults(func=cmd_compare)

    k = sub.add_parser("curve", help="a plan's payout curve (%% of TI by attainment)")
    k.add_argument("plan")
    k.add_argument("--quota", action="append", metavar="MEASURE=AMOUNT",
                   help="quota for amount tiers or percent rates")
    k.add_argument("--out", help="write the full curve as CSV")
    k.set_defaults(func=cmd_curve)

    m = sub.add_parser("simulate", help="simulate a scenario's plan year many times")
    m.add_argument("scenario", help="scenario YAML file")
    m.add_argument("--out", required=True, help="output folder for the results")
    m.add_argument("--trials", type=int, help="simulated plan years (default: the scenario's)")
    m.add_argument("--seed", type=int, help="random seed (default: the scenario's)")
    m.add_argument("--set", action="append", metavar="PATH=VALUE",
                   help="override a field by dotted path, e.g. "
                        "org.roles.ent_ae.plan.components[0].tiers[1].rate=2.5 (repeatable)")
    m.add_argument("--memory-mb", type=float, default=DEFAULT_MEMORY_MB,
                   help="memory budget for the working arrays (sets the chunk size)")
    m.add_argument("--workers", type=int, help="threads (default: the CPU count, up to 8)")
    m.add_argument("--no-rep-detail", action="store_true",
                   help="keep per-trial summaries only, not every rep of every trial")
    m.add_argument("--no-progress", action="store_true", help="no progress bar")
    m.add_argument("--engine", choices=["montecarlo", "agents"], default="montecarlo",
                   help="montecarlo (vectorised, fast) or agents (SimPy, with behaviour)")
    m.add_argument("--log-trials", type=int, default=DEFAULT_LOGGED_TRIALS,
                   help="agents: trials whose events are logged (events.parquet)")
    m.set_defaults(func=cmd_simulate)

    t = sub.add_parser("territory", help="territory design: synthetic accounts, optimiser")
    tsub = t.add_subparsers(dest="territory_command", required=True)
    ta = tsub.add_parser("accounts", help="write synthetic accounts at US cities")
    ta.add_argument("--accounts", type=int, default=2000)
    ta.add_argument("--reps", type=int, default=40, help="reps owning them today")
    ta.add_argument("--seed", type=int, default=2027)
    ta.add_argument("--out", required=True, help="CSV file to write")
    ta.set_defaults(func=cmd_territory_accounts)
    to = tsub.add_parser("optimise", help="balance territories, minimising travel and moves")
    to.add_argument("accounts", help="CSV: account_id, lat, lon, potential, workload[, rep_id]")
    to.add_argument("--reps", type=int, help="territories (default: the current reps)")
    to.add_argument("--balance", type=float, default=0.1,
                    help="every territory within +- this share of the mean (default 0.1)")
    to.add_argument("--on", choices=["workload", "potential"], default="workload")
    to.add_argument("--disruption", type=float, default=0.0,
                    help="weight of moved potential against travel (0: ignore continuity)")
    to.add_argument("--out", required=True, help="output folder")
    to.set_defaults(func=cmd_territory_optimise)

    q = sub.add_parser("quota", help="compare quota methods for a role by simulation")
    q.add_argument("scenario")
    q.add_argument("--role", required=True, help="a role with `territory:`")
    q.add_argument("--method", action="append", required=True,
                   choices=["flat_growth", "potential", "equal"], help="repeatable")
    q.add_argument("--target", type=float, help="company target (default: the role's)")
    q.add_argument("--over-assignment", type=float, default=0.0)
    q.add_argument("--growth", type=float, default=0.0, help="flat_growth: growth on history")
    q.add_argument("--trials", type=int, help="simulated plan years per method")
    q.add_argument("--out", required=True, help="output folder")
    q.set_defaults(func=cmd_quota)

    y = sub.add_parser("study", help="run a study's variants; Parquet + DuckDB results")
    y.add_argument("study", help="study YAML file")
    y.add_argument("--out", required=True, help="output folder")
    y.add_argument("--trials", type=int, help="trials per variant (default: the study's)")
    y.add_argument("--no-progress", action="store_true")
    y.set_defaults(func=cmd_study)

    o = sub.add_parser("report", help="run a study and write its HTML report")
    o.add_argument("study", help="study YAML file")
    o.add_argument("--reports", default="reports", help="reports folder (default reports/)")
    o.add_argument("--trials", type=int, help="trials per variant (default: the study's)")
    o.add_argument("--role", help="whose payout curves to draw (default: the first role)")
    o.add_argument("--notebook", choices=["executive_summary", "incentive_study"],
                   default="executive_summary", help="the report's notebook")
    o.add_argument("--no-progress", action="store_true")
    o.set_defaults(func=cmd_report)

    n = sub.add_parser("notebook", help="run any notebook with parameters into an HTML report")
    n.add_argument("notebook", help="a shipped notebook's name (quota_study) or a path")
    n.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE",
                   help="a parameter (VALUE read as YAML); repeat")
    n.add_argument("--name", help="report file name without .html (default: the notebook's)")
    n.add_argument("--title", help="the report's title in the index")
    n.add_argument("--reports", default="reports", help="reports folder (default reports/)")
    n.set_defaults(func=cmd_notebook)

    w = sub.add_parser("sweep", help="sweep a study's parameters; Pareto front, chosen plan")
    w.add_argument("study", help="sweep study YAML file (with `sweep:`)")
    w.add_argument("--out", required=True, help="output folder (finished candidates are kept)")
    where = w.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, help="start a Dask LocalCluster of N processes")
    where.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help="run on an existing Dask cluster")
    w.add_argument("--trials", type=int, help="trials per candidate (default: the study's)")
    w.add_argument("--no-resume", action="store_true",
                   help="run every candidate again, even those finished in --out")
    w.add_argument("--show", type=int, default=15, help="candidates printed (best first)")
    w.add_argument("--report", action="store_true",
                   help="also write reports/<study>_sweep.html (notebooks/sweep_study.ipynb)")
    w.add_argument("--reports", default="reports", help="reports folder (default reports/)")
    w.add_argument("--role", help="report: whose payout curve to draw (default: the role "
                                  "the sweep changes)")
    w.add_argument("--no-progress", action="store_true")
    w.set_defaults(func=cmd_sweep)

    cp = sub.add_parser("capacity", help="the hiring plan that meets a bookings target "
                        "with a chosen probability")
    cp.add_argument("capacity", help="capacity YAML file (scenario, role, target, hiring)")
    cp.add_argument("--out", required=True, help="output folder")
    cp.add_argument("--probability", type=float, help="chance of meeting the target "
                    "(default: the file's)")
    cp.add_argument("--trials", type=int, help="simulated plan years (default: the file's)")
    cp.add_argument("--seed", type=int, help="random seed (default: the file's)")
    cp.add_argument("--confirm", type=int, default=0, metavar="TRIALS",
                    help="re-estimate the plan's probability with the Monte Carlo engine on "
                    "TRIALS independent plan years")
    cp.add_argument("--no-progress", action="store_true")
    cp.set_defaults(func=cmd_capacity)

    fc = sub.add_parser("forecast", help="the period's bookings from the open pipeline "
                        "(P10/P50/P90), or a backtest over past periods")
    fc.add_argument("history", help="CRM history folder (opportunities.csv, stage_history.csv, "
                    "roster.csv)")
    fc.add_argument("--out", required=True, help="output folder")
    fc.add_argument("--as-of", help="pipeline as of the end of this day (default: the "
                    "history's last day)")
    fc.add_argument("--period-end", help="last day of the period forecast (default: the "
                    "first month or quarter end after --as-of)")
    fc.add_argument("--freq", choices=["month", "quarter"], default="month",
                    help="period length of the default period and of the backtest")
    fc.add_argument("--backtest", action="store_true",
                    help="forecast every past period from what was known at its start and "
                    "compare with what was booked")
    fc.add_argument("--start", help="backtest: first as_of")
    fc.add_argument("--end", help="backtest: last as_of")
    fc.add_argument("--trials", type=int, help="simulated periods (default 10,000; "
                    "backtest 2,000 per period)")
    fc.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    fc.add_argument("--windows", type=int, default=12,
                    help="past periods to calibrate on (default 12)")
    fc.add_argument("--type", action="append", metavar="TYPE", help="only opportunities of "
                    "this Type, e.g. \"New Business\" (repeatable)")
    fc.add_argument("--mapping", help="column-mapping YAML (default: the folder's mapping.yaml)")
    fc.add_argument("--drop-bad", action="store_true", help="go on with the good rows only")
    fc.add_argument("--no-progress", action="store_true")
    fc.set_defaults(func=cmd_forecast)

    cb = sub.add_parser("calibrate", help="fit a scenario (pipeline, skill, ramp, attrition) "
                        "from CRM history")
    cb.add_argument("history", help="CRM history folder (opportunities.csv, roster.csv"
                    "[, stage_history.csv, accounts.csv])")
    cb.add_argument("--out", required=True, help="scenario YAML to write (estimates go to "
                    "<name>.calibration.json beside it)")
    cb.add_argument("--plan", action="append", metavar="[ROLE=]PLAN",
                    help="the roles' plan file, or ROLE=PLAN per roster Role (repeatable; "
                    "default scenarios/plans/enterprise_ae.yaml)")
    cb.add_argument("--quota", action="append", metavar="MEASURE=AMOUNT",
                    help="annual quota per rep (default: median bookings of ramped reps)")
    cb.add_argument("--measure", action="append", metavar="TYPE=MEASURE",
                    help="measure an opportunity Type books (default New Business=new_arr, "
                    "Existing Business=expansion, Renewal=renewals)")
    cb.add_argument("--since", help="first day of the window (default: the month of the "
                    "earliest close)")
    cb.add_argument("--as-of", help="export date (default: the last date in the history)")
    cb.add_argument("--bootstrap", type=int, default=200, help="rep resamples for standard "
                    "errors (default 200)")
    cb.add_argument("--seed", type=int, default=0, help="bootstrap and scenario seed")
    cb.add_argument("--mapping", help="column-mapping YAML (default: the folder's mapping.yaml)")
    cb.add_argument("--drop-bad", action="store_true", help="go on with the good rows only")
    cb.set_defaults(func=cmd_calibrate)

    cr = sub.add_parser("crm", help="CRM history: check an export, write a synthetic one")
    crsub = cr.add_subparsers(dest="crm_command", required=True)
    ck = crsub.add_parser("check", help="check every row of a CRM history folder")
    ck.add_argument("history", help="CRM history folder")
    ck.add_argument("--mapping", help="column-mapping YAML (default: the folder's mapping.yaml)")
    ck.add_argument("--drop-bad", action="store_true",
                    help="exit 0 when the good rows can be used on their own")
    ck.set_defaults(func=cmd_crm_check)
    cs = crsub.add_parser("synthetic", help="write history generated from known parameters")
    cs.add_argument("--out", required=True, help="folder to write")
    cs.add_argument("--reps", type=int, default=40)
    cs.add_argument("--months", type=int, default=24)
    cs.add_argument("--seed", type=int, default=2025)
    cs.set_defaults(func=cmd_crm_synthetic)

    s = sub.add_parser("schema", help="print the JSON Schema of plan or scenario files")
    s.add_argument("kind", nargs="?", choices=["plan", "scenario"], default="plan")
    s.set_defaults(func=cmd_schema)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except SpmsimError as e:
        print(f"error: {e}" if "\n" not in str(e) else f"error:\n{e}", file=sys.stderr)
        return 2
    except (KeyError, ValueError) as e:
        print(f"error: {e.args[0] if e.args else e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
