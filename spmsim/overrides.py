"""Dotted-path overrides (`org.roles.ae.plan.components[0].tiers[1].rate=2.5`) on raw trees.

Overrides edit the parsed YAML (dicts and lists) before validation, so the result is
checked exactly like a file; the caller's tree is never mutated.
"""

from __future__ import annotations

import copy
import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

_PART = re.compile(r"([^.\[\]]+)|\[(-?\d+)\]")


def parse_path(path: str) -> list[str | int]:
    """`a.b[2].c` -> ['a', 'b', 2, 'c']; raises ValueError on a malformed path."""
    parts: list[str | int] = []
    pos = 0
    while pos < len(path):
        if path[pos] == "." and parts:
            pos += 1
        m = _PART.match(path, pos)
        if not m:
            raise ValueError(f"malformed path {path!r} at character {pos + 1}")
        parts.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
        pos = m.end()
    if not parts or not isinstance(parts[0], str):
        raise ValueError(f"malformed path {path!r}: start with a key")
    return parts


class _ValueLoader(yaml.SafeLoader):
    """Plain data without aliases: a value on a command line has no use for `*name`, and
    refusing them rules out a small text that expands to an enormous value."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed "
                                              "here", self.peek_event().start_mark)
        return super().compose_node(parent, index)


def parse_assignment(text: str) -> tuple[str, Any]:
    """`PATH=VALUE` with VALUE read as YAML (`2.5`, `true`, `[1, 2]`, `{a: 1}`, `text`)."""
    path, sep, value = text.partition("=")
    if not sep or not path.strip():
        raise ValueError(f"--set {text!r}: write PATH=VALUE, e.g. org.roles.ae.headcount=40")
    try:
        return path.strip(), yaml.load(value, Loader=_ValueLoader)
    except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError) as e:
        what = " ".join(str(getattr(e, "problem", None) or e or type(e).__name__).split())
        shown = repr(text) if len(text) <= 80 else repr(text[:77]) + "..."
        raise ValueError(f"--set {shown}: the value is not valid YAML ({what})") from e


def _show(parts: list[str | int]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


def set_path(tree: Any, path: str, value: Any) -> Any:
    """A copy of `tree` with `path` set to `value`. A missing last key is added to its
    mapping; every other step must exist."""
    parts = parse_path(path)
    root = copy.deepcopy(tree)
    node = root
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        here = _show(parts[:i]) or "the top level"
        if isinstance(part, int):
            if not isinstance(node, list):
                raise ValueError(f"{path}: {here} is not a list, so [{part}] does not apply")
            if not -len(node) <= part < len(node):
                raise ValueError(f"{path}: {here} has {len(node)} items, no [{part}]")
        else:
            if not isinstance(node, dict):
                raise ValueError(f"{path}: {here} is not a mapping, so .{part} does not apply")
            if part not in node and not last:
                close = difflib.get_close_matches(part, [str(k) for k in node], n=1)
                hint = f" (did you mean `{close[0]}`?)" if close else \
                    f" (keys: {', '.join(map(str, node)) or 'none'})"
                raise ValueError(f"{path}: {here} has no key {part!r}{hint}")
        if last:
            node[part] = copy.deepcopy(value)
        else:
            node = node[part]
    return root


def apply_overrides(tree: Any, overrides: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> Any:
    """Apply (path, value) pairs in order; returns a new tree."""
    items = overrides.items() if isinstance(overrides, Mapping) else overrides
    for path, value in items:
        tree = set_path(tree, path, value)
    return tree
