"""CRM history and what is built on it: `spmsim crm`, `calibrate`, `forecast`, `capacity`."""

from __future__ import annotations

import argparse

from spmsim.cli.common import (
    add_history_inputs,
    add_out,
    add_progress,
    add_seed,
    add_trials,
    notes,
    number,
    pair,
    whole,
)


def cmd_capacity(args) -> int:
    from spmsim.capacity import confirm_text, load_capacity, plan_for

    capacity = load_capacity(args.capacity, probability=args.probability, trials=args.trials,
                             seed=args.seed)
    plan = plan_for(capacity, progress=not args.no_progress)
    written = plan.save(args.out)
    print(plan.summary_text())
    if args.confirm:
        print(confirm_text(plan, args.confirm))
    print(f"\nwrote {', '.join(str(p) for p in written)}")
    return 0


def cmd_forecast(args) -> int:
    from spmsim.data.crm import read_history
    from spmsim.forecast import backtest, forecast, resolve_period

    with notes():
        history = read_history(args.history, args.mapping, drop_bad=args.drop_bad)
        types = args.type or None
        if args.backtest:
            result = backtest(history, freq=args.freq, start=args.start, end=args.end,
                              trials=args.trials or 2_000, seed=args.seed,
                              windows=args.windows, types=types,
                              progress=not args.no_progress)
        else:
            as_of, period_end = resolve_period(history, args.as_of, args.period_end,
                                               args.freq)
            result = forecast(history, as_of, period_end, trials=args.trials or 10_000,
                              seed=args.seed, windows=args.windows, types=types,
                              progress=not args.no_progress)
    written = result.save(args.out)
    print(result.text())
    print(f"\nwrote {', '.join(str(p) for p in written)}")
    return 0


def cmd_calibrate(args) -> int:
    from spmsim.calibration.calibrate import (
        calibrate_scenario,
        measure_arguments,
        plan_arguments,
        write_calibration,
    )
    from spmsim.data.crm import read_history

    with notes():
        history = read_history(args.history, args.mapping, drop_bad=args.drop_bad)
    cal = calibrate_scenario(history, plan_arguments(args.plan),
                             quota=dict(map(pair, args.quota or [])),
                             measures=measure_arguments(args.measure), since=args.since,
                             as_of=args.as_of, bootstrap=args.bootstrap, seed=args.seed,
                             size_rule=args.size)
    scenario, report = write_calibration(cal, args.out)
    print(cal.summary())
    print(f"\nwrote {scenario} and {report}")
    return 0


def cmd_crm_check(args) -> int:
    from spmsim.data.crm import check_history

    _, report = check_history(args.history, args.mapping)
    print(report.text())
    if not report.ok:
        print("bad rows are " + ("dropped (--drop-bad)" if args.drop_bad else
                                 "refused: fix them, or go on with the good rows (--drop-bad)"))
    return 0 if report.ok or args.drop_bad else 2


def cmd_crm_synthetic(args) -> int:
    from spmsim.synthetic.history import (
        LIKE_AN_EXPORT,
        HistoryParams,
        synthetic_history,
        write_history,
    )

    params = HistoryParams(reps=args.reps, months=args.months, seed=args.seed,
                           **(LIKE_AN_EXPORT if args.like_an_export else {}))
    written = write_history(synthetic_history(params), args.out)
    print(f"wrote {', '.join(str(p) for p in written)}: {args.months} months of "
          f"{args.reps} reps' history from known parameters (seed {args.seed})")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    cp = sub.add_parser("capacity", help="the hiring plan that meets a bookings target "
                        "with a chosen probability")
    cp.add_argument("capacity", help="capacity YAML file (scenario, role, target, hiring; or "
                    "several `roles:` against one target)")
    add_out(cp)
    cp.add_argument("--probability", type=number(0, 1, above=True),
                    help="chance of meeting the target (default: the file's)")
    add_trials(cp)
    add_seed(cp)
    cp.add_argument("--confirm", type=whole(0, 10 ** 7), default=0, metavar="TRIALS",
                    help="re-estimate the plan's probability with the Monte Carlo engine on "
                    "TRIALS independent plan years")
    add_progress(cp)
    cp.set_defaults(func=cmd_capacity)

    fc = sub.add_parser("forecast", help="the period's bookings from the open pipeline "
                        "(P10/P50/P90), or a backtest over past periods")
    fc.add_argument("history", help="CRM history folder (opportunities.csv, stage_history.csv, "
                    "roster.csv)")
    add_out(fc)
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
    add_trials(fc, help="simulated periods (default 10,000; backtest 2,000 per period)")
    add_seed(fc, help="random seed (default 0)", default=0)
    fc.add_argument("--windows", type=whole(1, 1000), default=12,
                    help="past periods to calibrate on (default 12)")
    fc.add_argument("--type", action="append", metavar="TYPE", help="only opportunities of "
                    "this Type, e.g. \"New Business\" (repeatable)")
    add_history_inputs(fc)
    add_progress(fc)
    fc.set_defaults(func=cmd_forecast)

    cb = sub.add_parser("calibrate", help="fit a scenario (pipeline, skill, ramp, attrition) "
                        "from CRM history")
    cb.add_argument("history", help="CRM history folder (opportunities.csv, roster.csv"
                    "[, stage_history.csv, accounts.csv])")
    add_out(cb, help="scenario YAML to write (estimates go to <name>.calibration.json "
            "beside it)")
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
    cb.add_argument("--bootstrap", type=whole(0, 10 ** 6), default=200,
                    help="rep resamples for standard errors (default 200)")
    cb.add_argument("--size", choices=["auto", "lognormal", "mixture", "empirical"],
                    default="auto", help="deal-size model (default auto: the lognormal if it "
                    "fits, else a mixture of two, else the won amounts resampled)")
    add_seed(cb, help="bootstrap and scenario seed", default=0)
    add_history_inputs(cb)
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
    add_out(cs, help="folder to write")
    cs.add_argument("--reps", type=whole(1, 10 ** 5), default=40)
    cs.add_argument("--months", type=whole(1, 1200), default=24)
    add_seed(cs, help="random seed (default 2025)", default=2025)
    cs.add_argument("--like-an-export", action="store_true",
                    help="with what real exports show: quarter-end peaks, months that move "
                    "together, a skewed price list, no stage history, blank open amounts, "
                    "undated open deals")
    cs.set_defaults(func=cmd_crm_synthetic)
