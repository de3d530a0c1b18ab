"""Every notebook runs through papermill with small parameters (thin: package calls only)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from spmsim.report.build import execute_notebook
from spmsim.studies.study import run_study
from spmsim.studies.sweep.runner import run_sweep

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def study_out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("nb") / "study"
    run_study(ROOT / "scenarios" / "studies" / "default.yaml", out, trials=32, progress=False,
              log=lambda *_: None)
    return out


@pytest.fixture(scope="module")
def sweep_out(tmp_path_factory) -> Path:
    """The example sweep, small: 6 candidates and one refinement of 2, 32 trials each."""
    folder = tmp_path_factory.mktemp("sweep")
    spec = yaml.safe_load((ROOT / "scenarios" / "studies" / "sweep_accelerator.yaml")
                          .read_text())
    spec["base"] = str(ROOT / "scenarios" / "acme_baseline.yaml")
    spec["sweep"]["n"] = 6
    spec["sweep"]["refine"] = {"rounds": 1, "best": 1, "n": 2, "shrink": 0.25}
    path = folder / "sweep.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    run_sweep(path, folder / "out", trials=32, progress=False, log=lambda *_: None)
    return folder / "out"


def _parameters(name: str, study_out: Path, sweep_out: Path | None = None) -> dict:
    return {
        "executive_summary": {"out": str(study_out), "role": "smb_ae"},
        "incentive_study": {"out": str(study_out), "role": "ent_ae"},
        "quota_study": {"scenario": str(ROOT / "scenarios" / "acme_territories.yaml"),
                        "role": "smb_ae", "methods": ["potential", "equal"], "trials": 32},
        "territory_study": {
            "accounts": str(ROOT / "scenarios" / "data" / "territories" / "smb_accounts.csv"),
            "balance": 0.15, "disruption": 0.5, "on": "workload"},
        "capacity_study": {"capacity": str(ROOT / "scenarios" / "capacity" /
                                           "acme_capacity.yaml"),
                           "trials": 200, "confirm_trials": 200},
        "forecast_study": {"history": str(ROOT / "scenarios" / "data" / "crm"),
                           "trials": 1000, "backtest_trials": 200},
        "plan_designer": {"plan": str(ROOT / "scenarios" / "plans" / "enterprise_ae.yaml"),
                          "scenario": str(ROOT / "scenarios" / "acme_baseline.yaml"),
                          "trials_fast": 64, "trials_full": 64},
        "sweep_study": {"out": str(sweep_out), "role": "ent_ae"},
    }[name]


def test_every_notebook_has_parameters_for_this_test():
    assert {p.stem for p in NOTEBOOKS} == {"executive_summary", "incentive_study",
                                           "quota_study", "territory_study", "capacity_study",
                                           "forecast_study", "sweep_study", "plan_designer"}


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(notebook, study_out, request):
    sweep = request.getfixturevalue("sweep_out") if notebook.stem == "sweep_study" else None
    nb = execute_notebook(notebook, _parameters(notebook.stem, study_out, sweep))
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    charts = [h for h in html if "spmsim-chart" in h and "<svg" in h]
    assert charts, f"{notebook.stem}: no chart drawn"
    for c in nb.cells:  # thin: no definitions or loops in the notebook
        if c.cell_type == "code":
            assert "def " not in c.source and "for " not in c.source, c.source
