"""Errors that users see: each names the file, the field path or row, and the fix."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

MAX_LISTED = 20


class SpmsimError(Exception):
    """Base of every error spmsim raises on bad input; the CLI turns it into exit code 2."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where (field path or row) and what to do about it."""

    where: str
    message: str

    def __str__(self) -> str:
        where, message = printable(self.where), printable(self.message)
        return f"{where}: {message}" if where else message


def printable(text: str) -> str:
    """`text` with control and invisible characters escaped (`\\r`, `\\u202e`), so a
    message stays one line and shows what is really in the file."""
    text = str(text)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class InputError(SpmsimError):
    """A file (plan YAML or CSV) that cannot be used as it stands."""

    def __init__(self, file: str | Path, problems: Sequence[Problem] | str):
        if isinstance(problems, str):
            problems = [Problem("", problems)]
        self.file = str(file)
        self.problems = list(problems)
        super().__init__(self.render())

    def render(self) -> str:
        shown = self.problems[:MAX_LISTED]
        file = printable(self.file)
        lines = [f"{file}: {p}" for p in shown]
        hidden = len(self.problems) - len(shown)
        if hidden:
            lines.append(f"{file}: ... and {hidden} more problems of the same kind")
        return "\n".join(lines)


class InputErrors(SpmsimError):
    """Several files with problems, reported together."""

    def __init__(self, errors: Sequence[InputError]):
        self.errors = list(errors)
        super().__init__("\n".join(e.render() for e in self.errors))


def loc_to_path(loc: Iterable[str | int], skip: frozenset[str] = frozenset()) -> str:
    """Turn a pydantic location tuple into `components[1].tiers[2].upto`.

    `skip` holds the tags of discriminated unions, which pydantic puts in the location
    after a list index but which are not keys of the user's file.
    """
    path = ""
    previous_was_index = False
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
            previous_was_index = True
            continue
        if previous_was_index and part in skip and path.endswith("]") and \
                path.rsplit(".", 1)[-1].startswith("components["):
            previous_was_index = False
            continue
        path += f".{part}" if path else str(part)
        previous_was_index = False
    return path


_FIXES = {
    "extra_forbidden": "unknown key: remove it or correct its spelling",
    "missing": "required: add this field",
}


def problems_from_validation(err: ValidationError, skip: frozenset[str],
                             vocabulary: frozenset[str] = frozenset(),
                             clean_loc: Callable[[tuple], tuple] | None = None) -> list[Problem]:
    """Pydantic's errors as Problems with user-facing paths and fixes.

    `vocabulary` holds the valid key names, to suggest one for a misspelt key;
    `clean_loc` drops parts of a location that are not keys of the user's file.
    """
    problems = []
    for e in err.errors():
        loc = clean_loc(tuple(e["loc"])) if clean_loc else e["loc"]
        where = loc_to_path(loc, skip)
        message = _FIXES.get(e["type"]) or e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden" and e["loc"]:
            close = difflib.get_close_matches(str(e["loc"][-1]), vocabulary, n=1)
            message += f" (did you mean `{close[0]}`?)" if close else ""
        if e["type"] not in _FIXES and "input" in e and not isinstance(e["input"], dict | list):
            message = f"{message} (got {e['input']!r})"
        problems.append(Problem(where, message))
    return problems
