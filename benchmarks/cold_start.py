"""Cold start of the command line: `spmsim validate scenarios/plans` and `spmsim --help`,
this checkout against a baseline revision, in the same run.

    .venv/bin/python benchmarks/cold_start.py [--baseline 2e03c54] [--repeats 7]

The baseline revision (default: the last commit before the CLI became a package, whose
cli.py imported altair, papermill and dask before any command ran) is exported with
`git archive` into a temporary folder and run from there with this environment's Python,
alternating with this checkout so that load on the machine falls on both alike. Each run
is a fresh interpreter (`python -c` calling `spmsim.cli.main`); the figure is the median
wall time, and the ratio is baseline / this checkout.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

from machine import machine_info  # benchmarks/machine.py

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "2e03c54"
COMMANDS = {"validate": ["validate", "scenarios/plans"], "help": ["--help"]}


def export(revision: str, into: Path) -> Path:
    """The package at `revision` (git archive of spmsim/) under `into`."""
    data = subprocess.run(["git", "archive", revision, "spmsim"], cwd=ROOT, check=True,
                          capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into


def run_once(source: Path, argv: list[str]) -> float:
    """Seconds for a fresh interpreter to run `spmsim argv` from the package in `source`."""
    code = (f"import sys; sys.path.insert(0, {str(source)!r}); from spmsim.cli import main; "
            f"sys.exit(main({argv!r}))")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", default=BASELINE, help="git revision to compare with")
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    out = {"machine": machine_info(), "baseline": args.baseline, "repeats": args.repeats}
    with tempfile.TemporaryDirectory() as tmp:
        old = export(args.baseline, Path(tmp))
        for name, argv in COMMANDS.items():
            times: dict[str, list[float]] = {"baseline": [], "current": []}
            for _ in range(args.repeats):
                times["baseline"].append(run_once(old, argv))
                times["current"].append(run_once(ROOT, argv))
            med = {k: statistics.median(v) for k, v in times.items()}
            out[name] = {"baseline_s": round(med["baseline"], 3),
                         "current_s": round(med["current"], 3),
                         "speedup": round(med["baseline"] / med["current"], 1)}
            print(f"spmsim {' '.join(argv)}: baseline {med['baseline']:.2f} s, this checkout "
                  f"{med['current']:.2f} s: {med['baseline'] / med['current']:.1f}x faster")
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
