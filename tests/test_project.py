"""`spmsim init`: a comp team's own project, and the review gate of its CI (`spmsim study
--check` against the outcome recorded with `--record`)."""

from __future__ import annotations

import shlex
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from spmsim.cli import build_parser, main
from spmsim.errors import SpmsimError
from spmsim.project import init_project, scaffold_files
from spmsim.report.build import notebook_defaults
from spmsim.report.outcome import changes, outcome, outcome_path
from spmsim.shipped import package_folder
from spmsim.studies.study import load_study
from spmsim.versions import versions

from paths import NOTEBOOKS, SCENARIOS

SCAFFOLD = package_folder("scaffold")




def test_init_writes_a_whole_project(tmp_path):
    written = init_project(tmp_path / "acme")
    names = {p.relative_to(tmp_path / "acme").as_posix() for p in written}
    assert {"README.md", "requirements.txt", ".gitignore", ".github/workflows/studies.yml",
            "acme_baseline.yaml", "acme_territories.yaml", "plans/enterprise_ae.yaml",
            "studies/default.yaml", "studies/outcomes/default.yaml", "data/fy27/deals.csv",
            "data/fy27/quotas.csv", "data/fy27/roster.csv",
            "data/territories/smb_accounts.csv", "notebooks/executive_summary.ipynb"} <= names
    assert {n for n in names if n.startswith("notebooks/")} == {
        f"notebooks/{p.name}" for p in NOTEBOOKS.glob("*.ipynb")}
    readme = (tmp_path / "acme" / "README.md").read_text()
    assert readme.startswith("# Acme: sales compensation plans")
    assert "spmsim report studies/default.yaml" in readme
    pins = (tmp_path / "acme" / "requirements.txt").read_text().splitlines()
    assert pins[-2:] == [f"spmsim=={versions()['spmsim_version']}",
                         f"numpy=={versions()['numpy_version']}"]
    assert "reports/" in (tmp_path / "acme" / ".gitignore").read_text().split()


def test_init_never_overwrites_and_writes_nothing_when_it_refuses(tmp_path):
    project = tmp_path / "acme"
    project.mkdir()
    (project / "README.md").write_text("ours")
    with pytest.raises(SpmsimError, match=r"already has README.md; spmsim init never "
                                          r"overwrites a file.*nothing was written"):
        init_project(project)
    assert [p.name for p in project.rglob("*")] == ["README.md"]
    assert (project / "README.md").read_text() == "ours"
    (tmp_path / "file").write_text("")
    with pytest.raises(SpmsimError, match="a file, not a folder"):
        init_project(tmp_path / "file")


def test_spmsim_init_from_the_command_line(in_folder, capsys):
    assert main(["init", "acme"]) == 0
    assert "cd acme" in capsys.readouterr().out
    assert main(["init", "acme"]) == 2
    assert "never overwrites" in capsys.readouterr().err


# defaults that name files a project does not hold: CRM history comes from the team's CRM
NOT_IN_A_PROJECT = {("forecast_study", "history"), ("calibration_study", "history")}


def test_the_project_notebooks_default_to_the_projects_files(tmp_path):
    init_project(tmp_path)
    checked = 0
    for path in sorted((tmp_path / "notebooks").glob("*.ipynb")):
        for key, value in notebook_defaults(path).items():
            names_a_file = isinstance(value, str) and ("/" in value or value.endswith(
                (".yaml", ".csv")))
            if names_a_file and (path.stem, key) not in NOT_IN_A_PROJECT and \
                    not value.startswith("reports/"):
                assert (tmp_path / value).exists(), f"{path.name}: {key} = {value!r}"
                checked += 1
    assert checked >= 6  # quota, territory, capacity; the designer's plan, scenario, study
    shipped = notebook_defaults(NOTEBOOKS / "quota_study.ipynb")["scenario"]
    assert shipped == "scenarios/acme_territories.yaml"  # the repository's copy unchanged


@pytest.mark.parametrize("name", sorted(n for n in scaffold_files()
                                        if n.endswith((".yaml", ".csv")) and
                                        not n.startswith(".github")))
def test_the_scaffold_examples_are_the_repository_examples(name):
    """The scaffold holds the example files of `scenarios/` (same layout, so the relative
    paths inside them hold in both): one changed without the other fails here."""
    assert scaffold_files()[name].read_bytes() == (SCENARIOS / name).read_bytes(), \
        f"spmsim/scaffold/{name} differs from scenarios/{name}: copy the one you changed"


def _run_lines(workflow: dict) -> list[str]:
    """The `spmsim ...` commands of a workflow's run steps, continuation lines joined."""
    lines = []
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            text = step.get("run", "").replace("\\\n", " ")
            lines += [line.strip() for line in text.splitlines()
                      if line.strip().startswith("spmsim ")]
    return lines


def test_the_ci_workflow_checks_each_study_and_keeps_the_reports():
    workflow = yaml.safe_load((SCAFFOLD / ".github/workflows/studies.yml").read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    for event in ("push", "pull_request"):
        assert {"**.yaml", "**.csv", "notebooks/**"} <= set(triggers[event]["paths"])
    commands = _run_lines(workflow)
    assert any("--check" in c and c.startswith("spmsim study") for c in commands)
    assert any(c.startswith("spmsim report") for c in commands)
    parser = build_parser()
    for command in commands:  # every command parses with today's command line
        parser.parse_args(shlex.split(command.replace('"$study"', "studies/default.yaml")
                                      .replace("$(basename \"$study\" .yaml)", "default")
                                      .split(" || ")[0])[1:])
    upload = [s for s in workflow["jobs"]["studies"]["steps"]
              if s.get("uses", "").startswith("actions/upload-artifact")]
    assert upload and upload[0]["with"]["path"] == "reports/" and upload[0]["if"] == "always()"


# ---- the outcome and --check -----------------------------------------------------------

def _summary(recommended: str | None, cost_ok: dict[str, bool]) -> pd.DataFrame:
    """A study summary as `summarise` writes it, for the default study's four variants."""
    study = load_study(SCENARIOS / "studies" / "default.yaml")
    labels = [c.label() for c in study.constraints]
    rows = [{"variant": v, "status": "ok", labels[0]: cost_ok[v], labels[1]: True,
             "recommended": v == recommended} for v in study.variants]
    return pd.DataFrame(rows)


def test_outcome_in_readers_words():
    study = load_study(SCENARIOS / "studies" / "default.yaml")
    ok = dict.fromkeys(study.variants, True) | {"steeper_accelerator": False}
    found = outcome(study, _summary("baseline", ok))
    assert found["recommended"] == "baseline"
    assert found["constraints"]["steeper_accelerator"] == {
        "cost of sales at most 9%": "not met",
        "reps at or above quota between 40% and 70%": "met"}
    assert outcome_path("studies/default.yaml") == Path("studies/outcomes/default.yaml")


def test_changes_name_each_difference():
    study = load_study(SCENARIOS / "studies" / "default.yaml")
    ok = dict.fromkeys(study.variants, True)
    before = outcome(study, _summary("baseline", ok))
    after = outcome(study, _summary(None, ok | {"proposed_enterprise": False}))
    assert changes(before, before) == []
    assert changes(before, after) == [
        "The recommendation changed: Baseline before, none (no variant meets every "
        "constraint) now.",
        "Proposed enterprise: cost of sales at most 9%: met before, not met now."]
    del after["constraints"]["flat_growth_quotas"]
    assert changes(before, after)[-1] == ("Flat growth quotas: in the recorded outcome, no "
                                          "longer in the study.")


def test_check_without_a_recorded_outcome_stops_before_running(in_folder, capsys):
    init_project(in_folder / "p")
    (in_folder / "p" / "studies" / "outcomes" / "default.yaml").unlink()
    assert main(["study", "p/studies/default.yaml", "--out", "r", "--check"]) == 2
    assert "no recorded outcome to check against: run `spmsim study p/studies/default.yaml " \
           "--out DIR --record`" in capsys.readouterr().err
    assert not (in_folder / "r").exists()


@pytest.mark.slow
def test_record_then_check_then_a_changed_outcome_exits_3(in_folder, capsys):
    init_project(in_folder)
    args = ["study", "studies/default.yaml", "--out", "results", "--trials", "16",
            "--no-progress"]
    assert main([*args, "--record"]) == 0
    assert main([*args, "--check"]) == 0
    assert "recommendation and constraints unchanged" in capsys.readouterr().out
    recorded = in_folder / "studies" / "outcomes" / "default.yaml"
    tree = yaml.safe_load(recorded.read_text())
    was = tree["recommended"]
    tree["recommended"] = next(v for v in tree["constraints"] if v != was)
    tree["constraints"][was]["cost of sales at most 9%"] = "not met"
    recorded.write_text(yaml.safe_dump(tree, sort_keys=False))
    assert main([*args, "--check"]) == 3
    err = capsys.readouterr().err
    assert "error: the study's outcome changed from studies/outcomes/default.yaml:" in err
    assert "The recommendation changed:" in err
    assert "cost of sales at most 9%: not met before, met now." in err
    assert "--record` and commit studies/outcomes/default.yaml" in err


@pytest.mark.notebook
def test_a_new_project_writes_its_report(in_folder, monkeypatch):
    """`spmsim init acme && cd acme && spmsim report studies/default.yaml` (fewer trials)."""
    assert main(["init", "acme"]) == 0
    monkeypatch.chdir(in_folder / "acme")
    assert main(["report", "studies/default.yaml", "--trials", "32", "--no-progress"]) == 0
    page = (in_folder / "acme" / "reports" / "default.html").read_text()
    assert "Acme FY27 plan and quota options" in page and page.count("<svg") == 5
    assert f"numpy {np.__version__}" in page


@pytest.mark.notebook
def test_a_notebook_runs_on_its_defaults_in_a_project(in_folder):
    """`spmsim notebook quota_study` in a new project: its scenario found in the project."""
    init_project(in_folder)
    assert main(["notebook", "quota_study", "-p", "trials=16", "-p", "methods=[equal]"]) == 0
    assert "SMB AE" in (in_folder / "reports" / "quota_study.html").read_text()


def test_a_run_with_a_failed_variant_is_not_recorded(tmp_path, capsys):
    study = tmp_path / "study.yaml"
    study.write_text(yaml.safe_dump({
        "study": "One broken variant", "base": str(SCENARIOS / "acme_baseline.yaml"),
        "seed": 1, "trials": 8, "constraints": [{"metric": "cost_of_sales", "max": 0.2}],
        "variants": {"current": {}, "broken": {"set": {"org.roles.nobody.headcount": 3}}}}))
    assert main(["study", str(study), "--out", str(tmp_path / "r"), "--record",
                 "--no-progress"]) == 1
    assert "not written: a run with a failed variant is not an outcome to expect" in \
        capsys.readouterr().err
    assert not (tmp_path / "outcomes").exists()
