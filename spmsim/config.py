"""What every configuration file shares: the frozen base model, the one YAML reader, the
pattern of measure names, safe file names, the bounds on money and rates, and the
tolerance at an edge.

Plans, scenarios, studies, sweeps, capacity files and CRM mappings are all pydantic models
read from YAML; they meet here, below every layer that defines them.

The YAML reader refuses, before building anything: files over `MAX_YAML_BYTES`, text that
is not UTF-8 (naming the byte), duplicate keys (naming both lines), documents nested
deeper than `MAX_YAML_DEPTH` or larger than `MAX_YAML_NODES` once aliases are expanded
(an "alias bomb"), and any tag that is not plain data (`!!python/...`).
"""

from __future__ import annotations

import codecs
import errno
import re
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field

from spmsim.errors import InputError, Problem

MEASURE_PATTERN = r"^[a-z][a-z0-9_]*$"
# Credit within a billionth (of quota, or of a currency unit) below an edge counts as
# reaching it: sums of floats such as 12 x (0.4 / 12) land a hair short of 0.4.
EDGE_TOLERANCE = 1e-9

# ---- bounds on numbers in files: finite, and within what any real plan could need ----
# An amount of money (OTE, a cap, a draw, a SPIF, a quota, a budget, a deal) is at most a
# trillion in the plan's currency: sums over 10^4 reps x 10^6 trials stay finite.
MAX_MONEY = 1e12
# A rate or a multiple (tier rates, weights, caps as multiples of the target, attainment
# edges and curve points as fractions of quota) is at most 1,000.
MAX_RATE = 1e3
# A spread on the log scale (a lognormal's sigma, a coefficient of variation) is at most
# 10; reps and hires are at most a million a role, trials at most ten million a run.
MAX_SPREAD = 10.0
MAX_COUNT = 1_000_000
MAX_TRIALS = 10_000_000
Money = Annotated[float, Field(le=MAX_MONEY)]
Rate = Annotated[float, Field(le=MAX_RATE)]
Spread = Annotated[float, Field(le=MAX_SPREAD)]
Count = Annotated[int, Field(le=MAX_COUNT)]
Trials = Annotated[int, Field(le=MAX_TRIALS)]

# ---- names that become file or folder names -----------------------------------------
SAFE_NAME = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}"
SAFE_NAME_RULE = "letters, digits and `_.-` (not first), at most 100 characters"


def is_safe_name(name: object) -> bool:
    """True for a name that is safe as one file or folder name on any system: letters,
    digits and `_.-` (no separator, no leading dot, no trailing dot, no newline)."""
    return isinstance(name, str) and re.fullmatch(SAFE_NAME, name) is not None \
        and not name.endswith(".")


def safe_name(text: str) -> str:
    """`text` (a file's stem) made a safe name: other characters become `_`."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", text)[:100].rstrip(".")
    return name if is_safe_name(name) else f"_{name}"[:100].rstrip(".") or "_"


class Frozen(BaseModel):
    """Base of every model in a YAML file: unknown keys are errors, objects are immutable,
    numbers are finite (`.inf` and `.nan` are refused)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


# ---- the YAML reader -----------------------------------------------------------------
MAX_YAML_BYTES = 2 * 1024 * 1024  # the shipped files are a few kilobytes
MAX_YAML_NODES = 200_000  # values in the document once every alias is expanded
MAX_YAML_DEPTH = 64  # levels of nesting
_MERGE = "tag:yaml.org,2002:merge"


class _Refused(Exception):
    """A document refused before it is built: where (a line) and why."""

    def __init__(self, where: str, message: str):
        super().__init__(message)
        self.where, self.message = where, message


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _check_keys(node: yaml.MappingNode) -> None:
    """A key written twice in one mapping: the later one would silently win."""
    seen: dict[tuple[str, str], yaml.Node] = {}
    for key, _ in node.value:
        if not isinstance(key, yaml.ScalarNode) or key.tag == _MERGE:
            continue
        first = seen.setdefault((key.tag, key.value), key)
        if first is not key:
            raise _Refused(f"line {_line(key)}", f"duplicate key {key.value!r} (first on line "
                           f"{_line(first)}): keep one of them")


def _check_document(root: yaml.Node) -> None:
    """Refuse duplicate keys, deep nesting, recursive aliases and documents that grow past
    MAX_YAML_NODES values as their aliases expand; without building anything."""
    size: dict[int, int] = {}  # expanded size of each node seen
    checked: set[int] = set()

    def walk(node: yaml.Node, depth: int, path: tuple[int, ...]) -> int:
        if id(node) in size:
            return size[id(node)]
        if id(node) in path:
            raise _Refused(f"line {_line(node)}", "an alias refers to the value that contains "
                           "it: write the value out")
        if depth > MAX_YAML_DEPTH:
            raise _Refused(f"line {_line(node)}", f"nested more than {MAX_YAML_DEPTH} levels "
                           "deep")
        if isinstance(node, yaml.MappingNode) and id(node) not in checked:
            checked.add(id(node))
            _check_keys(node)
        children: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        total = 1
        for child in children:
            total += walk(child, depth + 1, (*path, id(node)))
            if total > MAX_YAML_NODES:
                raise _Refused(f"line {_line(node)}", f"more than {MAX_YAML_NODES:,} values "
                               "once its aliases (*name) are expanded: write the file out "
                               "plainly")
        size[id(node)] = total
        return total

    walk(root, 0, ())


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader (plain data only) that checks the whole document before
    building it, and names the line of a value that cannot be built (`2027-13-01`)."""

    def get_single_node(self) -> yaml.Node | None:
        node = super().get_single_node()
        if node is not None:
            _check_document(node)
        return node

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, OverflowError) as e:
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {node.value!r} ({e})"
                if isinstance(node, yaml.ScalarNode) else str(e), node.start_mark) from e


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, refusing a folder, a missing file and one over MAX_YAML_BYTES."""
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_YAML_BYTES + 1)
    except IsADirectoryError as e:
        raise InputError(path, "cannot read the file: it is a folder, not a file") from e
    except (FileNotFoundError, NotADirectoryError) as e:
        raise InputError(path, "cannot read the file: no such file") from e
    except OSError as e:
        if e.errno in (errno.ENAMETOOLONG, errno.ELOOP):
            raise InputError(path, f"cannot open the file ({e.strerror})") from e
        raise
    if len(data) > MAX_YAML_BYTES:
        raise InputError(path, f"larger than {MAX_YAML_BYTES // 1024 ** 2} MB: a plan, "
                               "scenario or study file is a few kilobytes; is this the right file?")
    return data


def decode_utf8(path: str | Path, data: bytes) -> str:
    """Bytes as UTF-8 text (a leading byte-order mark dropped), or InputError naming the
    byte offset and line of the first byte that is not UTF-8."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        start = data.rfind(b"\n", 0, e.start) + 1
        column = len(data[start:e.start].decode("utf-8", "replace")) + 1
        raise InputError(path, [Problem(f"line {line}, column {column} (byte offset {e.start})",
                                        f"byte 0x{data[e.start]:02x} is not UTF-8 text: save "
                                        "the file as UTF-8")]) from None


def _yaml_problem(e: yaml.YAMLError, text: str) -> Problem:
    if isinstance(e, yaml.reader.ReaderError):
        line = text[:e.position].count("\n") + 1
        char = e.character if isinstance(e.character, str) else chr(e.character)
        return Problem(f"line {line}", f"character U+{ord(char):04X} is not allowed in YAML: "
                                       "remove it")
    mark = getattr(e, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    what = " ".join(str(getattr(e, "problem", None) or e).split())
    return Problem(where, f"not valid YAML: {what}")


def parse_yaml(text: str, source: str | Path = "<text>") -> object:
    """Parse YAML text with the checks of `read_yaml`; errors name `source`."""
    try:
        return yaml.load(text, Loader=_Loader)  # _Loader is a SafeLoader: plain data only
    except _Refused as e:
        raise InputError(source, [Problem(e.where, e.message)]) from None
    except yaml.YAMLError as e:
        raise InputError(source, [_yaml_problem(e, text)]) from None
    except RecursionError:
        raise InputError(source, f"nested more than {MAX_YAML_DEPTH} levels deep") from None


def read_yaml(path: str | Path) -> object:
    """Parse a YAML file of plain data, or raise InputError naming the file and the line
    (or byte) of what is wrong."""
    path = Path(path)
    return parse_yaml(decode_utf8(path, _read_bytes(path)), path)
