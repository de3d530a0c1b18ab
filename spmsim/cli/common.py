"""What every command group shares: the options defined once, argument parsing helpers."""

from __future__ import annotations

import argparse
import contextlib
import math
import warnings
from collections.abc import Callable, Iterator

from spmsim.config import MAX_COUNT, MAX_MONEY, MAX_TRIALS
from spmsim.errors import SpmsimError

MAX_SEED = 2 ** 63 - 1


@contextlib.contextmanager
def notes() -> Iterator[None]:
    """What the library warns of (assumptions made reading an export, approximations, a
    memory budget it cannot keep) as plain `note:` lines, not Python warnings with a file
    and line."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        try:
            yield
        finally:
            for w in caught:
                print(f"note: {w.message}")


def whole(low: int = 1, high: int = MAX_COUNT) -> Callable[[str], int]:
    """An argparse type: a whole number within [low, high]."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is outside {low:,} to {high:,}")
        return value
    parse.__name__ = "whole number"
    return parse


def number(low: float, high: float, *, above: bool = False) -> Callable[[str], float]:
    """An argparse type: a finite number within [low, high] (above `low` if `above`)."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(value) or value > high or value < low or (above and value == low):
            span = f"above {low:g} and at most {high:g}" if above else f"from {low:g} to {high:g}"
            raise argparse.ArgumentTypeError(f"{text} is not a number {span}")
        return value
    parse.__name__ = "number"
    return parse


def add_out(p: argparse.ArgumentParser, help: str = "output folder", **kwargs) -> None:
    """`--out`: where a command writes (required unless a default is given)."""
    kwargs.setdefault("required", "default" not in kwargs)
    p.add_argument("--out", help=help, **kwargs)


def add_seed(p: argparse.ArgumentParser, help: str = "random seed (default: the file's)",
             **kwargs) -> None:
    """`--seed`: the root of every random stream."""
    p.add_argument("--seed", type=whole(0, MAX_SEED), help=help, **kwargs)


def add_trials(p: argparse.ArgumentParser,
               help: str = "simulated plan years (default: the file's)") -> None:
    """`--trials`: how many plan years (or periods) are simulated."""
    p.add_argument("--trials", type=whole(1, MAX_TRIALS), help=help)


def add_set(p: argparse.ArgumentParser) -> None:
    """`--set PATH=VALUE`: overrides of a scenario's fields by dotted path."""
    p.add_argument("--set", action="append", metavar="PATH=VALUE",
                   help="override a field by dotted path, e.g. "
                        "org.roles.ent_ae.plan.components[0].tiers[1].rate=2.5 (repeatable)")


def add_dask(p: argparse.ArgumentParser, what: str,
             threads: bool = False) -> None:
    """--workers N (a Dask LocalCluster) or --scheduler ADDRESS (a running cluster) for
    `what`; with `threads`, also --threads N for this process instead (one of the three)."""
    where = p.add_mutually_exclusive_group()
    if threads:
        where.add_argument("--threads", type=whole(1, 1024),
                           help="threads in this process (default: the usable cores, up to 8)")
    where.add_argument("--workers", type=whole(1, 1024),
                       help=f"run {what} on a Dask LocalCluster of N processes")
    where.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help=f"run {what} on an existing Dask cluster")


def add_progress(p: argparse.ArgumentParser) -> None:
    """`--no-progress`: no progress bar (for logs and CI)."""
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def add_reports(p: argparse.ArgumentParser) -> None:
    """`--reports`: the folder of HTML reports and their index."""
    p.add_argument("--reports", default="reports", help="reports folder (default reports/)")


def add_history_inputs(p: argparse.ArgumentParser) -> None:
    """The CRM history options of calibrate and forecast."""
    p.add_argument("--mapping", help="column-mapping YAML (default: the folder's mapping.yaml)")
    p.add_argument("--drop-bad", action="store_true", help="go on with the good rows only")


def overrides(args: argparse.Namespace) -> list:
    """The `--set` assignments as (path, value) pairs."""
    from spmsim.overrides import parse_assignment

    try:
        return [parse_assignment(text) for text in args.set or []]
    except ValueError as e:
        raise SpmsimError(str(e)) from None


def pair(text: str, option: str = "--quota") -> tuple[str, float]:
    """`MEASURE=AMOUNT` as (measure, amount)."""
    name, _, value = text.partition("=")
    try:
        amount = float(value)
    except ValueError:
        raise SpmsimError(f"{option} {text!r}: write MEASURE=AMOUNT, e.g. new_arr=1200000") \
            from None
    if not 0 < amount <= MAX_MONEY:
        raise SpmsimError(f"{option} {text!r}: an amount above 0 and at most {MAX_MONEY:,.0f}")
    return name.strip(), amount
