"""Studies and reports: `spmsim study`, `report`, `notebook` and `sweep`."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from spmsim.cli.common import add_dask, add_out, add_progress, add_reports, add_trials, whole
from spmsim.config import safe_name
from spmsim.errors import SpmsimError

# `spmsim study --check`: the run differs from the recorded outcome
CHANGED = 3


def cmd_study(args) -> int:
    from spmsim.report.outcome import outcome_path, read_outcome
    from spmsim.studies.study import run_study
    from spmsim.studies.sweep.backends import open_backend

    recorded = args.outcome or outcome_path(args.study)
    expected = read_outcome(recorded, args.study) if args.check else None
    dask = args.workers is not None or args.scheduler is not None
    with open_backend(args.workers, args.scheduler) as backend:
        if dask:
            print(f"running on {backend.description}")
            if backend.note:
                print(f"note: {backend.note}")
        summary = run_study(args.study, args.out, trials=args.trials,
                            progress=not args.no_progress, backend=backend if dask else None)
    print(_readable(summary).to_string(index=False))
    sure = _how_sure(Path(args.out) / "study.json")
    if sure:
        print("\n" + sure)
    print(f"\nwrote {args.out}/variants/*/ (Parquet), summary.csv, results.duckdb, study.json")
    failed = (summary["status"] != "ok").sum()
    if failed:
        print(f"error: {failed} variant(s) failed (see status above)", file=sys.stderr)
    changed = _outcome(args, summary, recorded, expected)
    return 1 if failed else CHANGED if changed else 0


# the table `spmsim study` prints: column -> (heading, how a value reads)
SHOWN = {"cost_of_sales": ("Cost of sales", "share"), "share_at_quota": ("At quota", "share"),
         "variable_pay_p50": ("Variable pay P50", "money"),
         "variable_pay_p90": ("Variable pay P90", "money"),
         "profit_after_comp": ("Profit after comp", "money")}


def _readable(summary):
    """The summary as a reader sees it: labels, per cent, compact money, ticks."""
    import pandas as pd

    from spmsim.format import compact_money, label, percent, tick

    def cell(kind: str, v) -> str:
        if v is None or v != v:  # missing or NaN
            return "-"
        return percent(v) if kind == "share" else compact_money(v, None)

    out = pd.DataFrame({"Design": [label(v) for v in summary["variant"]],
                        "Status": summary["status"]})
    for col, (head, kind) in SHOWN.items():
        if col in summary:
            out[head] = [cell(kind, v) for v in summary[col]]
    out["Meets all"] = [tick(None if m != m else bool(m)) for m in summary["meets_all"]]
    out["Recommended"] = ["★" if r is True or r == 1 else "" for r in summary["recommended"]]
    return out


def _outcome(args, summary, recorded: Path, expected: dict | None) -> bool:
    """--record: write the run's outcome; --check: compare it with the recorded one and
    say what changed (True when something did)."""
    from spmsim.report.outcome import changes, outcome, write_outcome
    from spmsim.studies.study import load_study

    if not (args.check or args.record):
        return False
    found = outcome(load_study(args.study), summary)
    if args.record and (summary["status"] != "ok").any():
        print(f"error: {recorded} not written: a run with a failed variant is not an outcome "
              "to expect; fix the variant and record again", file=sys.stderr)
        return False
    if args.record:
        print(f"wrote {write_outcome(recorded, found, args.study)} (the outcome --check expects)")
        return False
    assert expected is not None
    diff = changes(expected, found)
    if not diff:
        print(f"outcome as recorded in {recorded}: recommendation and constraints unchanged")
        return False
    print(f"error: the study's outcome changed from {recorded}:\n" +
          "\n".join(f"  {line}" for line in diff) +
          f"\nReview the change; if it is intended, run `spmsim study {args.study} --out "
          f"{args.out} --record` and commit {recorded}.", file=sys.stderr)
    return True


def _how_sure(meta_path: Path) -> str:
    """The recommended variant against the runner-up, in two lines (from study.json)."""
    import json

    from spmsim.format import label, percent

    meta = json.loads(meta_path.read_text())
    d = meta.get("comparison")
    if not d:
        return ""
    metric = meta["study_spec"]["objective"]["metric"]
    f = (lambda v: f"{v:+.2%}") if metric in ("p_over_budget", "cost_of_sales",
                                               "share_at_quota", "top20_revenue_share",
                                               "attainment_p50") else (lambda v: f"{v:+,.0f}")
    pairing = f"on the same {d['n']:,} trials" if d["paired"] else "on independent draws"
    said = SHOWN.get(metric, (label(metric), ""))[0].lower()
    line = (f"how sure: {label(d['better'])} against {label(d['other'])} {pairing}: "
            f"{said} {f(d['mean'])} "
            f"(95% interval {f(d['low'])} to {f(d['high'])})")
    if d["paired"]:
        line += (f"; P10-P90 of a year {f(d['p10'])} to {f(d['p90'])}; ahead in "
                 f"{percent(d['prob_better'], 0)} of trials")
    if d["too_close"]:
        more = f"about {d['trials_needed']:,} trials would separate them" \
            if d["trials_needed"] else "no number of trials would separate them"
        line += f"\nTOO CLOSE TO CALL at {d['n']:,} trials: {more}"
    return line


def cmd_report(args) -> int:
    from spmsim.report.build import build_report

    path = build_report(args.study, reports=args.reports, trials=args.trials, role=args.role,
                        notebook=args.notebook, progress=not args.no_progress)
    print(f"wrote {path} and {Path(args.reports) / 'index.html'}")
    _pdf(args, path)
    return 0


def _pdf(args, path: Path) -> None:
    """With --pdf: the report printed to A4 beside it (headless Chromium)."""
    if getattr(args, "pdf", False):
        from spmsim.report.pdf import write_pdf

        print(f"wrote {write_pdf(path)}")


def _add_pdf(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pdf", action="store_true",
                        help="also print the report to an A4 PDF beside it (needs Chromium)")


def cmd_notebook(args) -> int:
    """Any shipped notebook as a report; `-p key=value` values are YAML, and a value that
    names an existing file or folder is made absolute (the notebook runs in the working
    directory; the project's own notebooks/ copy is preferred to the shipped one)."""
    from spmsim.overrides import parse_assignment
    from spmsim.report.build import render_notebook

    params = {}
    for text in args.param:
        try:
            key, value = parse_assignment(text)
        except ValueError as e:
            raise SpmsimError(f"-p {text!r}: write KEY=VALUE, e.g. -p trials=500 "
                              f"({str(e).split(': ', 1)[-1]})") from None
        if isinstance(value, date):  # YAML reads 2026-06-30 as a date; notebooks take text
            value = value.isoformat()
        if isinstance(value, str) and "\0" not in value and Path(value).exists():
            value = str(Path(value).resolve())
        params[key] = value
    stem = safe_name(Path(args.notebook).stem)
    path = render_notebook(args.notebook, params, name=args.name or stem,
                           title=args.title or stem.replace("_", " "), reports=args.reports,
                           seed=params.get("seed"), trials=params.get("trials"))
    print(f"wrote {path} and {Path(args.reports) / 'index.html'}")
    _pdf(args, path)
    return 0


def cmd_sweep(args) -> int:
    from spmsim.report.build import render_notebook
    from spmsim.report.sweepview import candidates_table, choice_sentence
    from spmsim.studies.sweep.runner import run_sweep
    from spmsim.studies.sweep.view import open_sweep

    table = run_sweep(args.study, args.out, trials=args.trials, workers=args.workers,
                      scheduler=args.scheduler, resume=not args.no_resume,
                      progress=not args.no_progress)
    view = open_sweep(args.out)
    print(candidates_table(view, rows=args.show).to_string())
    print("\n" + choice_sentence(view))
    print(f"\nwrote {args.out}/candidates/*.json, candidates.parquet, summary.csv, "
          "results.duckdb, sweep.json")
    if args.report:
        path = render_notebook("sweep_study", {"out": str(Path(args.out).resolve()),
                                               "role": args.role or view.meta["role"]},
                               name=safe_name(f"{Path(args.study).stem}_sweep"),
                               title=view.meta["study"], reports=args.reports,
                               seed=view.meta["seed"], trials=view.meta["trials"])
        print(f"wrote {path} and {Path(args.reports) / 'index.html'}")
        _pdf(args, path)
    failed = int((table["status"] != "ok").sum())
    if failed:
        print(f"error: {failed} candidate(s) failed (status in summary.csv)", file=sys.stderr)
    return 1 if failed else 0


def register(sub: argparse._SubParsersAction) -> None:
    y = sub.add_parser("study", help="run a study's variants; Parquet + DuckDB results")
    y.add_argument("study", help="study YAML file")
    add_out(y)
    add_trials(y, help="trials per variant (default: the study's)")
    add_dask(y, what="each variant's trials")
    expect = y.add_mutually_exclusive_group()
    expect.add_argument("--check", action="store_true",
                        help="exit 3 when the recommendation or a constraint's verdict differs "
                             "from the recorded outcome (for CI)")
    expect.add_argument("--record", action="store_true",
                        help="record this run's outcome for --check")
    y.add_argument("--outcome", type=Path, help="the recorded outcome file (default: "
                                                "outcomes/<study file> beside the study)")
    add_progress(y)
    y.set_defaults(func=cmd_study)

    o = sub.add_parser("report", help="run a study and write its HTML report")
    o.add_argument("study", help="study YAML file")
    add_reports(o)
    add_trials(o, help="trials per variant (default: the study's)")
    o.add_argument("--role", help="whose payout curves to draw (default: the first role)")
    o.add_argument("--notebook", choices=["executive_summary", "incentive_study"],
                   default="executive_summary", help="the report's notebook")
    _add_pdf(o)
    add_progress(o)
    o.set_defaults(func=cmd_report)

    n = sub.add_parser("notebook", help="run any notebook with parameters into an HTML report")
    n.add_argument("notebook", help="a notebook's name (quota_study: the project's "
                                  "notebooks/ copy, else the shipped one) or a path")
    n.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE",
                   help="a parameter (VALUE read as YAML); repeat")
    n.add_argument("--name", help="report file name without .html (default: the notebook's)")
    n.add_argument("--title", help="the report's title in the index")
    add_reports(n)
    _add_pdf(n)
    n.set_defaults(func=cmd_notebook)

    w = sub.add_parser("sweep", help="sweep a study's parameters; Pareto front, chosen plan")
    w.add_argument("study", help="sweep study YAML file (with `sweep:`)")
    add_out(w, help="output folder (finished candidates are kept)")
    add_dask(w, what="the candidates")
    add_trials(w, help="trials per candidate (default: the study's)")
    w.add_argument("--no-resume", action="store_true",
                   help="run every candidate again, even those finished in --out")
    w.add_argument("--show", type=whole(0), default=15, help="candidates printed (best first)")
    w.add_argument("--report", action="store_true",
                   help="also write reports/<study>_sweep.html (notebooks/sweep_study.ipynb)")
    add_reports(w)
    w.add_argument("--role", help="report: whose payout curve to draw (default: the role "
                                  "the sweep changes)")
    _add_pdf(w)
    add_progress(w)
    w.set_defaults(func=cmd_sweep)
