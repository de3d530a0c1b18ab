"""Example runs of the shipped notebooks: the parameters each is shown with in the manual
and exercised with by the tests (`docs/notebooks.yaml`), and the example study and sweep
that some of them read.

The file has `prepare` (the study and the sweep to run first, with their trials) and
`notebooks` (name -> parameters). Paths are relative to the repository root; the
placeholders `{study}` and `{sweep}` stand for the folders `prepare` wrote.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from spmsim.studies.study import run_study
from spmsim.studies.sweep.runner import run_sweep


def read_examples(path: str | Path) -> dict:
    """The examples file as data."""
    return yaml.safe_load(Path(path).read_text())


def run_example_study(spec: dict, root: Path, out: Path) -> Path:
    """The example study (`prepare.study`) run into `out`."""
    study = spec["prepare"]["study"]
    run_study(root / study["file"], out, trials=study["trials"], progress=False,
              log=lambda *_: None)
    return out


def run_example_sweep(spec: dict, root: Path, folder: Path) -> Path:
    """The example sweep (`prepare.sweep`: its file, resized) run into `folder/out`."""
    sweep = spec["prepare"]["sweep"]
    tree = yaml.safe_load((root / sweep["file"]).read_text())
    tree["base"] = str((root / sweep["file"]).parent / tree["base"])
    tree["sweep"].update(sweep["sweep"])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "sweep.yaml"
    path.write_text(yaml.safe_dump(tree, sort_keys=False))
    shutil.rmtree(folder / "out", ignore_errors=True)
    run_sweep(path, folder / "out", trials=sweep["trials"], progress=False, log=lambda *_: None)
    return folder / "out"


def example_parameters(spec: dict, name: str, paths: dict[str, str]) -> dict[str, Any]:
    """Notebook `name`'s parameters with `{study}` and `{sweep}` filled in."""
    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return value.format(**paths)
        return [fill(v) for v in value] if isinstance(value, list) else value
    return {key: fill(value) for key, value in spec["notebooks"][name].items()}
