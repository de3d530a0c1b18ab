"""`spmsim validate` and `spmsim --help` start without the heavy libraries: the command
line imports what a command needs inside that command."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from paths import PLANS, ROOT

HEAVY = {"altair", "vl_convert", "papermill", "nbconvert", "nbformat", "dask", "distributed",
         "jupyter_core", "jupyter_client", "jupyterlab", "jupyter_server", "ipywidgets",
         "IPython", "voila", "duckdb", "simpy", "scipy"}


def _loaded(argv: list[str]) -> tuple[int, set[str]]:
    """Exit code and top-level modules loaded by `spmsim argv` in a fresh interpreter."""
    code = "\n".join([
        "import json, sys", "from spmsim.cli import main",
        f"try:\n    rc = main({argv!r})\nexcept SystemExit as e:\n    rc = e.code",
        "loaded = sorted({m.split('.')[0] for m in sys.modules})",
        "print(json.dumps([rc, loaded]), file=sys.stderr)"])
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=False)
    rc, modules = json.loads(done.stderr.strip().splitlines()[-1])
    return rc, set(modules)


@pytest.mark.parametrize("argv", [["validate", str(PLANS)], ["--help"], ["validate", "--help"],
                                  ["simulate", "--help"], ["report", "--help"]],
                         ids=lambda a: " ".join(a).replace(str(PLANS), "PLANS"))
def test_no_heavy_library_is_imported(argv):
    rc, modules = _loaded(argv)
    assert rc == 0
    assert not modules & HEAVY, sorted(modules & HEAVY)


def test_a_command_still_gets_what_it_needs():
    """The lazy imports are real: `spmsim schema scenario` loads the model and prints a
    schema (SciPy waits until a pipeline's creation rates are solved)."""
    rc, modules = _loaded(["schema", "scenario"])
    assert rc == 0 and {"numpy", "pydantic"} <= modules and "scipy" not in modules
