"""The repo's own promises: environment.yml agrees with pyproject.toml; .ci/run runs `make test`."""

from __future__ import annotations

import re
import tomllib

import yaml

from paths import ROOT


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"]) + list(project["optional-dependencies"]["test"])
    return {_name(r): r.replace(" ", "") for r in reqs}


def _conda() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = [d for d in env["dependencies"] if isinstance(d, str)]
    return {_name(d): d.replace(" ", "") for d in deps if _name(d) not in {"python", "pip"}}


def test_environment_yml_lists_the_same_packages_as_pyproject():
    assert set(_conda()) == set(_pyproject())


def test_environment_yml_pins_the_same_lower_bounds():
    pyproject, conda = _pyproject(), _conda()
    for name, req in pyproject.items():
        assert conda[name] == req, f"{name}: pyproject says {req}, environment.yml {conda[name]}"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme.split("\n## ", 1)[0], "the README opens with `make test`"
    assert "make report" in readme.split("\n## ", 1)[0]
    assert re.search(r"^make test$", (ROOT / ".ci/run").read_text(), re.M)


def test_python_floor_matches():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    floor = project["requires-python"].removeprefix(">=")
    assert f"python>={floor}" in env["dependencies"]
