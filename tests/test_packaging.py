"""The repo's own promises: environment.yml and the lock file agree with pyproject.toml;
`make test` installs from the lock; .ci/run runs `make test`."""

from __future__ import annotations

import re
import tomllib

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from paths import ROOT


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"]) + list(project["optional-dependencies"]["test"])
    return {_name(r): r.replace(" ", "") for r in reqs}


def _conda() -> dict[str, str]:
    """environment.yml's packages: conda's, and those it installs with pip (`build` is
    `python-build` on conda-forge, so it is listed under pip), less the `-e .` line."""
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = [d for d in env["dependencies"] if isinstance(d, str)]
    deps += [d for entry in env["dependencies"] if isinstance(entry, dict)
             for d in entry.get("pip", []) if not d.startswith("-")]
    return {_name(d): d.replace(" ", "") for d in deps if _name(d) not in {"python", "pip"}}


def _lock() -> dict[str, tuple[str, list[str]]]:
    """requirements.lock as name -> (pinned version, what needs it)."""
    pins: dict[str, tuple[str, list[str]]] = {}
    name = None
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if m := re.match(r"^([A-Za-z0-9_.\-]+)==(\S+)$", line):
            name = canonicalize_name(m[1])
            pins[name] = (m[2], [])
        elif name and (m := re.match(r"^\s+#\s+(?:via\s+)?(\S.*)$", line)) and m[1] != "via":
            pins[name][1].append(m[1].strip())
    return pins


def _requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(r) for r in [*project["dependencies"],
                                     *project["optional-dependencies"]["test"]]]


def test_the_lock_pins_every_requirement_within_its_bounds():
    pins = _lock()
    for req in _requirements():
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is in pyproject.toml but not locked: run make lock"
        assert req.specifier.contains(pins[name][0], prereleases=True), \
            f"{req.name}: the lock pins {pins[name][0]}, pyproject.toml asks {req.specifier}: " \
            "run make lock"


def test_the_lock_holds_nothing_pyproject_no_longer_asks_for():
    """Every pin is asked for by pyproject.toml or by another pin (no stale entries)."""
    pins = _lock()
    direct = {canonicalize_name(r.name) for r in _requirements()}
    for name, (_, via) in pins.items():
        assert via, f"{name}: the lock does not say what needs it"
        for who in via:
            if who == "spmsim (pyproject.toml)":
                assert name in direct, f"{name}: locked as a direct requirement that " \
                                       "pyproject.toml no longer has: run make lock"
            else:
                assert canonicalize_name(who) in pins, f"{name}: needed by {who}, not locked"


def test_make_test_installs_from_the_lock():
    makefile = (ROOT / "Makefile").read_text()
    install = re.search(r"^\$\(STAMP\): (.*)\n((?:\t.*\n)+)", makefile, re.M)
    assert install and "$(LOCK)" in install[1], "the venv is rebuilt when the lock changes"
    assert "pip install --quiet -c $(LOCK) -e '.[test]'" in install[2]
    assert re.search(r"^LOCK := requirements.lock$", makefile, re.M)
    assert re.search(r"^test: \$\(STAMP\)", makefile, re.M)
    assert re.search(r"^report: \$\(STAMP\)", makefile, re.M)


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
