"""The build check: the wheel and sdist build (`python -m build`), and the wheel, installed
into a fresh virtual environment outside the repository (the pinned set of
requirements.lock, from the pip cache), starts a project of its own and runs it:
`spmsim init acme && cd acme && spmsim report studies/default.yaml` writes the report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

from paths import ROOT

pytestmark = pytest.mark.slow

SCAFFOLD_FILES = ("spmsim/scaffold/.github/workflows/studies.yml",
                  "spmsim/scaffold/.gitignore", "spmsim/scaffold/studies/default.yaml",
                  "spmsim/notebooks/executive_summary.ipynb")


def run(*args: str | Path, cwd: Path, env: dict | None = None) -> str:
    """A command's output; its stderr in the failure message when it fails."""
    proc = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600, check=False)
    assert proc.returncode == 0, f"{' '.join(map(str, args))}: exit {proc.returncode}\n" \
                                 f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    return proc.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "build", "--outdir", out, ROOT, cwd=ROOT)
    return out


@pytest.fixture(scope="module")
def venv(dist, tmp_path_factory) -> tuple[Path, dict]:
    """A fresh venv outside the repository with the wheel installed; the environment to
    run it in (its bin first on PATH, nothing pointing into the repository)."""
    folder = tmp_path_factory.mktemp("venv") / "env"
    run(sys.executable, "-m", "venv", folder, cwd=folder.parent)
    wheel = next(dist.glob("spmsim-*.whl"))
    run(folder / "bin" / "python", "-m", "pip", "install", "--quiet", "--no-compile", "-c",
        ROOT / "requirements.lock", wheel, cwd=folder.parent)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = f"{folder / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return folder, env


def test_the_wheel_and_the_sdist_carry_the_notebooks_and_the_scaffold(dist):
    wheel = zipfile.ZipFile(next(dist.glob("spmsim-*.whl"))).namelist()
    sdist = [n.split("/", 1)[1] for n in tarfile.open(next(dist.glob("spmsim-*.tar.gz")))
             .getnames() if "/" in n]
    for name in SCAFFOLD_FILES:
        assert name in wheel and name in sdist, name
    assert not any(n.startswith(("tests/", "scenarios/", "docs/")) for n in wheel)


def test_a_project_of_ones_own_from_the_installed_wheel(venv, tmp_path):
    folder, env = venv
    where = run(folder / "bin" / "python", "-c", "import spmsim; print(spmsim.__file__)",
                cwd=tmp_path, env=env)
    assert Path(where.strip()).is_relative_to(folder), "the wheel's spmsim, not the repo's"
    assert run("spmsim", "--version", cwd=tmp_path, env=env) == f"spmsim {version('spmsim')}\n"
    assert "wrote" in run("spmsim", "init", "acme", cwd=tmp_path, env=env)
    acme = tmp_path / "acme"
    assert "ok  plans/smb_ae.yaml" in run("spmsim", "validate", "plans", cwd=acme, env=env)
    run("spmsim", "simulate", "acme_baseline.yaml", "--trials", "50", "--out",
        "results/baseline", "--no-progress", cwd=acme, env=env)
    meta = json.loads((acme / "results" / "baseline" / "meta.json").read_text())
    assert meta["spmsim_version"] == version("spmsim") and meta["numpy_version"]
    checked = run("spmsim", "study", "studies/default.yaml", "--out", "results/default",
                  "--check", "--no-progress", cwd=acme, env=env)
    assert "recommendation and constraints unchanged" in checked
    run("spmsim", "report", "studies/default.yaml", "--trials", "32", "--no-progress",
        cwd=acme, env=env)
    page = (acme / "reports" / "default.html").read_text()
    assert "Acme FY27 plan and quota options" in page and page.count("<svg") == 5
    assert f"spmsim {version('spmsim')}, numpy {meta['numpy_version']}" in page
