"""Compare every number two runs of `make report` wrote: CSV, Parquet and DuckDB tables,
and the numbers in JSON files, folder against folder.

    python .ci/compare_outputs.py BEFORE/reports AFTER/reports

Used to prove a refactoring changed no behaviour. Text that names paths, dates or run
times (absolute paths, timestamps, elapsed seconds) is reported apart and not compared.
Exit 0 when every table and number is identical, 1 otherwise.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb
import pandas as pd

# JSON keys whose values are where or when a run happened, not what it computed
VOLATILE = {"date", "created", "elapsed_s", "seconds", "out", "path", "source", "file",
            "plan_file", "base", "study_file", "written", "started", "finished", "version",
            "spmsim_version", "numpy_version"}

# files of timings measured by the tests, not numbers a study computes
SKIPPED = {"designer_latency.json"}


def _tables(path: Path) -> dict[str, pd.DataFrame]:
    if path.suffix == ".csv":
        return {"": pd.read_csv(path)}
    if path.suffix == ".parquet":
        return {"": pd.read_parquet(path)}
    with duckdb.connect(str(path), read_only=True) as con:
        names = [r[0] for r in con.execute("select table_name from information_schema.tables "
                                           "order by table_name").fetchall()]
        return {n: con.execute(f'select * from "{n}"').df() for n in names}


def _numbers(obj, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k not in VOLATILE:
                out.update(_numbers(v, f"{prefix}.{k}"))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out.update(_numbers(v, f"{prefix}[{i}]"))
    elif isinstance(obj, int | float | bool) or obj is None:
        out[prefix] = obj
    return out


def compare(before: Path, after: Path) -> list[str]:
    """Differences between the two folders, one line each (empty: identical)."""
    problems, checked = [], 0
    kinds = {".csv", ".parquet", ".duckdb", ".json"}
    files = sorted(p.relative_to(before) for p in before.rglob("*")
                   if p.suffix in kinds and p.name not in SKIPPED)
    for rel in files:
        a, b = before / rel, after / rel
        if not b.exists():
            problems.append(f"{rel}: missing after")
            continue
        if rel.suffix == ".json":
            x, y = _numbers(json.loads(a.read_text())), _numbers(json.loads(b.read_text()))
            diff = [k for k in x.keys() | y.keys() if x.get(k) != y.get(k)]
            problems += [f"{rel}{k}: {x.get(k)!r} != {y.get(k)!r}" for k in sorted(diff)[:5]]
            checked += len(x)
            continue
        ta, tb = _tables(a), _tables(b)
        for name in ta.keys() | tb.keys():
            if name not in ta or name not in tb:
                problems.append(f"{rel}:{name}: table in one run only")
                continue
            try:
                pd.testing.assert_frame_equal(ta[name], tb[name], check_exact=True)
            except AssertionError as e:
                problems.append(f"{rel}:{name}: {str(e).splitlines()[0]}")
            checked += ta[name].size
    print(f"compared {len(files)} files, {checked:,} values")
    return problems


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    problems = compare(Path(argv[0]), Path(argv[1]))
    for line in problems:
        print(line)
    print("identical" if not problems else f"{len(problems)} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
