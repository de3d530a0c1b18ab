"""`spmsim init`: a comp team's own project, with its example files, notebooks and CI."""

from __future__ import annotations

import argparse
from pathlib import Path


def cmd_init(args) -> int:
    from spmsim.project import init_project

    written = init_project(args.folder)
    folder = Path(args.folder)
    print(f"wrote {len(written)} files in {folder}/ (see its README.md). Next:\n"
          f"  cd {folder}\n"
          "  spmsim report studies/default.yaml     # the example study's report: "
          "reports/default.html")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    i = sub.add_parser("init", help="start a project of your own: example plans, scenarios, "
                                    "a study, data, notebooks and a CI workflow")
    i.add_argument("folder", help="the project's folder (new or empty; nothing is overwritten)")
    i.set_defaults(func=cmd_init)
