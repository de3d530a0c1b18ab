"""Fuzzing the command line with hypothesis: plan and scenario documents and CSV rows,
valid and broken, never produce a traceback. Each run ends in a result (exit 0, and a
results folder that loads) or in exit 2 with every message naming the file.

Documents are the shipped plans and the Acme scenario with mutations drawn by hypothesis
at any place of their tree (a value replaced by hostile data: infinities, huge numbers,
formula text, control characters, nested containers; a key dropped or added; a list
emptied), then written as YAML and sometimes damaged as text (bytes inserted, the text
cut, a line repeated, so duplicate keys and bad encodings come up too). CSV rows are the
example deals with cells replaced by hostile text.

`hypothesis-jsonschema` could draw documents from `spmsim schema plan|scenario`, but its
release does not work with the hypothesis we use; mutating real documents reaches the
deep validators more often anyway. The settings are fixed (`derandomize`, a fixed number
of examples) so CI runs the same cases every time.
"""

from __future__ import annotations

import copy
import io
import math
import os
import shutil
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from spmsim.cli import main
from spmsim.engines.results import Results

from paths import ACME, FY27, PLANS


def fuzz(examples: int) -> settings:
    """Fixed cases for CI: derandomized, no example database, no deadline
    (SPMSIM_FUZZ=N: N times the examples, drawn at random, to hunt for new cases)."""
    scale = int(os.environ.get("SPMSIM_FUZZ", "0"))
    return settings(max_examples=examples * max(scale, 1), derandomize=not scale,
                    deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


PLAN_TREES = [yaml.safe_load(p.read_text()) for p in sorted(PLANS.glob("*.yaml"))]


def _scenario_tree() -> dict:
    tree = yaml.safe_load(ACME.read_text())
    for role in tree["org"]["roles"].values():  # plans inline: mutations reach them too
        role["plan"] = yaml.safe_load((ACME.parent / role["plan"]).read_text())
    return tree


SCENARIO_TREE = _scenario_tree()

# ---- hostile values ----------------------------------------------------------------------

HOSTILE_TEXT = st.sampled_from([
    "", " ", "=HYPERLINK(\"http://x\")", "@SUM(1)", "+cmd|' /C calc'!A0", "-1", "\t", "\r\n",
    "a\x00b", "\u202e", "ünï", "../../etc/passwd", "all", "month", "2027-13-01", "1e999",
    "nan", "null", "x" * 300, "new_arr", "ent_ae", "{{7*7}}", "<script>x</script>"])
NUMBERS = st.one_of(
    st.sampled_from([0, -1, 1, 2, 12, 13, 10 ** 30, -(10 ** 30), 2 ** 63, 0.5, 1.5, -0.0,
                     1e-300, 1e12, 1e13, 1e308, math.inf, -math.inf, math.nan]),
    st.integers(-5, 50), st.floats(allow_nan=True, allow_infinity=True))
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, HOSTILE_TEXT,
                    st.text(max_size=12), st.dates().map(str))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.one_of(HOSTILE_TEXT, st.text(max_size=6)),
                                                 inner, max_size=3)), max_leaves=8)


def _paths(tree: Any, here: tuple = ()) -> list[tuple]:
    out = [here]
    if isinstance(tree, dict):
        for k, v in tree.items():
            out += _paths(v, (*here, k))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            out += _paths(v, (*here, i))
    return out


@st.composite
def mutated(draw, base: dict) -> dict:
    """`base` with 1-3 mutations at places hypothesis picks."""
    tree = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(tree)
        where = draw(st.sampled_from(paths[1:] or paths))
        parent = tree
        for part in where[:-1]:
            parent = parent[part]
        key = where[-1] if where else None
        action = draw(st.sampled_from(["replace", "replace", "replace", "drop", "add", "empty"]))
        if action == "replace" and where:
            parent[key] = draw(VALUES)
        elif action == "drop" and isinstance(parent, dict) and where:
            del parent[key]
        elif action == "add":
            target = parent[key] if where else tree
            if isinstance(target, dict):
                target[draw(st.one_of(HOSTILE_TEXT, st.sampled_from(
                    ["treshold", "cap", "rate", "ote", "type", "weight"])))] = draw(VALUES)
            elif isinstance(target, list):
                target.append(draw(VALUES))
        elif action == "empty" and where and isinstance(parent[key], list | dict):
            parent[key] = type(parent[key])()
    return tree


@st.composite
def document(draw, base: dict) -> bytes:
    """A mutated tree as YAML bytes, sometimes damaged as text."""
    text = yaml.safe_dump(draw(mutated(base)), allow_unicode=True, sort_keys=False).encode()
    damage = draw(st.sampled_from(["none", "none", "bytes", "cut", "repeat"]))
    if damage == "bytes":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.binary(min_size=1, max_size=4)) + text[at:]
    elif damage == "cut":
        text = text[:draw(st.integers(0, len(text)))]
    elif damage == "repeat":
        lines = text.splitlines(keepends=True)
        i = draw(st.integers(0, max(len(lines) - 1, 0)))
        text = b"".join(lines[:i + 1] + lines[i:i + 1] + lines[i + 1:])
    return text


# ---- the invariant -----------------------------------------------------------------------


def run(*args: str | Path) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, err.getvalue()


def assert_clean(code: int, err: str, file: Path) -> None:
    """Exit 0, or exit 2 with each message naming the file; never a traceback or a bug."""
    assert "Traceback" not in err and "internal error" not in err, err
    assert code in (0, 2), err
    if code == 2:
        lines = [ln for ln in err.splitlines() if ln not in ("error:",)]
        assert lines, "exit 2 without a message"
        for line in lines:
            assert str(file) in line or file.name in line, line


@pytest.fixture
def scratch():
    folder = Path(tempfile.mkdtemp(prefix="spmsim-fuzz-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.slow
@fuzz(100)
@given(data=st.data())
def test_plan_documents_validate_or_are_refused_by_file(data):
    base = data.draw(st.sampled_from(PLAN_TREES))
    text = data.draw(document(base))
    with tempfile.TemporaryDirectory(prefix="spmsim-fuzz-") as tmp:
        path = Path(tmp) / "plan.yaml"
        path.write_bytes(text)
        code, err = run("validate", path)
        assert_clean(code, err, path)
        if code == 0:
            code, err = run("curve", path)
            assert_clean(code, err, path)


def _small(tree: Any) -> bool:
    """Few enough reps that one simulated year is quick."""
    try:
        roles = tree["org"]["roles"].values()
        seats = sum(int(r.get("headcount", 0) or 0) +
                    sum(int(h.get("count", 0) or 0) for h in r.get("hires") or [])
                    for r in roles)
    except (AttributeError, KeyError, TypeError, ValueError, OverflowError):
        return True  # invalid: refused before any simulation
    return seats <= 400


@pytest.mark.slow
@fuzz(25)
@given(data=st.data())
def test_scenario_documents_simulate_or_are_refused_by_file(data):
    tree = data.draw(mutated(SCENARIO_TREE))
    assume(_small(tree))
    text = yaml.safe_dump(tree, allow_unicode=True, sort_keys=False).encode()
    if data.draw(st.booleans()):
        text = data.draw(document(tree))
    with tempfile.TemporaryDirectory(prefix="spmsim-fuzz-") as tmp:
        path, out = Path(tmp) / "scenario.yaml", Path(tmp) / "out"
        path.write_bytes(text)
        code, err = run("simulate", path, "--trials", "2", "--no-progress", "--out", out,
                        "--memory-mb", "64", "--threads", "1")
        assert_clean(code, err, path)
        if code == 0:
            assert Results.load(out).n_trials == 2


DEALS = (FY27 / "deals.csv").read_text().splitlines()
COLUMNS = DEALS[0].split(",")


@st.composite
def deals_csv(draw) -> bytes:
    """The example deals with a few cells, or the header, made hostile."""
    rows = [line.split(",") for line in DEALS[:40]]
    for _ in range(draw(st.integers(1, 4))):
        r = draw(st.integers(0, len(rows) - 1))
        c = draw(st.integers(0, len(COLUMNS) - 1))
        cell = draw(st.one_of(HOSTILE_TEXT, NUMBERS.map(str), st.text(max_size=8)))
        rows[r][c] = '"' + cell.replace('"', '""') + '"' if draw(st.booleans()) else cell
    text = "\n".join(",".join(row) for row in rows) + "\n"
    data = text.encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=3)) + data[at:]
    return data


@pytest.mark.slow
@fuzz(40)
@given(data=deals_csv())
def test_deals_rows_replay_or_are_refused_by_file(data):
    with tempfile.TemporaryDirectory(prefix="spmsim-fuzz-") as tmp:
        deals = Path(tmp) / "deals.csv"
        deals.write_bytes(data)
        code, err = run("replay", "--plan", PLANS, "--deals", deals, "--quotas",
                        FY27 / "quotas.csv", "--roster", FY27 / "roster.csv", "--out",
                        Path(tmp) / "out")
        assert_clean(code, err, deals)
