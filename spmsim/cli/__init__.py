"""The `spmsim` command line: plans, replay, simulation, territories, studies, reports, CRM.

Each command group registers its own parser (`spmsim.cli.<group>.register`); the
libraries a command needs are imported inside the command, so `spmsim validate` and
`spmsim --help` start without loading charts, notebooks, Dask, DuckDB, SimPy or SciPy.
"""

from __future__ import annotations

import argparse
import errno
import os
import signal
import sys
import threading
from collections.abc import Sequence

from spmsim.cli import crm, history, plans, project, simulate, studies, territory
from spmsim.errors import SpmsimError

GROUPS = (project, plans, history, simulate, territory, studies, crm)


def _version() -> str:
    from spmsim import __version__

    return __version__


class _Parser(argparse.ArgumentParser):
    """argparse with its errors on one line (`error: spmsim simulate: argument --trials:
    0 is outside 1 to 10,000,000 (see spmsim simulate --help)`), exit code 2."""

    def error(self, message: str):
        self.exit(2, f"error: {self.prog}: {_one_line(message)} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command, group by group."""
    parser = _Parser(
        prog="spmsim", description="Design sales compensation, quota and territory plans by "
        "simulation: init, validate, replay, compare, curve, simulate, territory, quota, "
        "study, report, notebook, sweep, capacity, forecast, calibrate, crm, schema.")
    parser.add_argument("--version", action="version", version=f"spmsim {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.register(sub)
    return parser


_FULL = "; nothing was half written: free some space and run again"
_DENIED = "; nothing was half written: fix the permission (or choose another folder) and run again"
_ADVICE = {errno.ENOSPC: _FULL, errno.EDQUOT: _FULL, errno.EACCES: _DENIED,
           errno.EPERM: _DENIED, errno.EROFS: _DENIED}


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _os_error(e: OSError) -> str:
    """An environment error in one line naming the path: `out/reps.parquet: No space left
    on device (errno ENOSPC)`."""
    where = ": ".join(str(f) for f in (e.filename, e.filename2) if f is not None)
    code = errno.errorcode.get(e.errno or 0)
    what = e.strerror or _one_line(e) or type(e).__name__
    return f"{where + ': ' if where else ''}{what}{f' (errno {code})' if code else ''}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. Bad input: the problems on stderr (one line each, naming the file)
    and exit code 2. The environment (a full disk, a permission, memory): one line naming
    the path, exit code 1. Never a traceback (SPMSIM_TRACEBACK=1 shows one for a bug)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:  # a bad option (one line already printed): exit code 2
        if e.code in (0, None):  # --help, --version
            raise
        return 2
    previous = _on_sigterm()
    try:
        return args.func(args)
    except SpmsimError as e:
        print(f"error: {e}" if "\n" not in str(e) else f"error:\n{e}", file=sys.stderr)
        return 2
    except (KeyError, ValueError) as e:
        print(f"error: {_one_line(e.args[0] if e.args else e)}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `spmsim ... | head`: the reader left
        sys.stderr.close()
        return 1
    except OSError as e:
        print(f"error: {_os_error(e)}{_ADVICE.get(e.errno, '')}", file=sys.stderr)
        return 1
    except MemoryError:
        print("error: out of memory: lower --trials or --memory-mb, or keep fewer per-rep "
              "figures (--no-rep-detail)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted: nothing was half written", file=sys.stderr)
        return 130
    except Exception as e:  # a bug in spmsim: still one line, and how to see more
        if os.environ.get("SPMSIM_TRACEBACK"):
            raise
        print(f"error: internal error {type(e).__name__}: {_one_line(e)} (a bug in spmsim: "
              "please report it with the command; SPMSIM_TRACEBACK=1 shows the traceback)",
              file=sys.stderr)
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _terminated(signum, frame):
    raise SystemExit(128 + signum)


def _on_sigterm():
    """On SIGTERM (`kill`, a CI timeout) stop as on Ctrl-C, so temporaries are removed on
    the way out; returns the handler to restore (None off the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _terminated)


if __name__ == "__main__":
    sys.exit(main())
