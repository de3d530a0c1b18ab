"""The `spmsim` command line: plans, replay, simulation, territories, studies, reports, CRM.

Each command group registers its own parser (`spmsim.cli.<group>.register`); the
libraries a command needs are imported inside the command, so `spmsim validate` and
`spmsim --help` start without loading charts, notebooks, Dask, DuckDB, SimPy or SciPy.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from spmsim.cli import crm, history, plans, simulate, studies, territory
from spmsim.errors import SpmsimError

GROUPS = (plans, history, simulate, territory, studies, crm)


def _version() -> str:
    from spmsim import __version__

    return __version__


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command, group by group."""
    parser = argparse.ArgumentParser(
        prog="spmsim", description="Design sales compensation, quota and territory plans by "
        "simulation: validate, replay, compare, curve, simulate, territory, quota, study, "
        "report, notebook, sweep, capacity, forecast, calibrate, crm, schema.")
    parser.add_argument("--version", action="version", version=f"spmsim {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; bad input is one line on stderr and exit code 2."""
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
