"""The manual and the README stay true to the code.

* The manual builds with `mkdocs build --strict` (a broken link or #anchor, a missing page or
  a stale API reference fails), opens from the file system with no network, and its
  generated parts (field tables from the JSON Schema, command help) are there.
* Every `spmsim ...` command shown in a shell block of the README or the manual parses with
  today's command line, and every repository file it names exists.
* Every Python block of the README and the manual compiles and imports only names that
  exist; the README's examples import from `spmsim` only, and run.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import io
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from spmsim.cli import build_parser

from paths import ROOT

REMOTE = re.compile(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=[\"']https?://", re.I)
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.M | re.S)
PAGES = sorted((ROOT / "docs").rglob("*.md"))
DOCUMENTS = [ROOT / "README.md", *PAGES]
# folders of the repository whose files a documented command may name as inputs
REPO_FOLDERS = ("scenarios/", "notebooks/", "docs/")


def blocks(path: Path, *languages: str) -> list[str]:
    """The fenced code blocks of a Markdown file in the given languages."""
    return [body for lang, body in FENCE.findall(path.read_text()) if lang in languages]


def commands(path: Path) -> list[str]:
    """The `spmsim` command lines of a file's shell blocks, continuation lines joined."""
    found = []
    for body in blocks(path, "bash", "sh", "console"):
        for line in body.replace("\\\n", " ").splitlines():
            line = line.strip().removeprefix("$ ")
            for prefix in (".venv/bin/spmsim ", "spmsim "):
                if line.startswith(prefix):
                    found.append(line.removeprefix(prefix))
    return found


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


ALL_COMMANDS = [(_rel(p), c) for p in DOCUMENTS for c in commands(p)]
ALL_PYTHON = [(_rel(p), i, b) for p in DOCUMENTS for i, b in enumerate(blocks(p, "python"))]


def test_the_manual_shows_commands_and_code():
    assert len(ALL_COMMANDS) > 50 and len(ALL_PYTHON) > 15


@pytest.mark.parametrize(("doc", "line"), ALL_COMMANDS, ids=[f"{d}:{c[:40]}" for d, c in
                                                             ALL_COMMANDS])
def test_documented_command_parses_and_names_files_that_exist(doc, line):
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    argv = []
    for token in lexer:  # the command itself: up to a redirection, a pipe or the next command
        if token in {">", ">>", "|", "&&", ";", "<", "&"}:
            break
        argv.append(token)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            build_parser().parse_args(argv)
        except SystemExit as e:
            assert e.code == 0, f"{doc}: `spmsim {line}` does not parse: {err.getvalue()}"
    inputs = [a for i, a in enumerate(argv) if a.startswith(REPO_FOLDERS)
              and (i == 0 or argv[i - 1] != "--out")]
    for value in inputs:
        path = value.split("=", 1)[-1]
        assert (ROOT / path).exists(), f"{doc}: `spmsim {line}` names {path}, which is missing"


SERVERS = re.compile(r"^[\s\"`]*(?:\S*/)?(?:voila|jupyter[ -]lab)\b.*$", re.M)


def test_every_documented_server_binds_localhost_and_asks_for_a_token():
    """The designer runs code as its user: every Voila or JupyterLab command shown listens
    on 127.0.0.1 only and requires a token."""
    shown = []
    for path in [*DOCUMENTS, ROOT / "Makefile", *sorted((ROOT / "notebooks").glob("*.ipynb"))]:
        text = path.read_text().replace("\\\n", " ")
        for line in SERVERS.findall(text):
            shown.append(line)
            assert "127.0.0.1" in line, f"{_rel(path)}: `{line.strip()}` must bind 127.0.0.1"
            assert "token=" in line or "token " in line.replace("--Voila.", "--"), \
                f"{_rel(path)}: `{line.strip()}` must require a token"
    assert len(shown) >= 4


def _imports(tree: ast.AST) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, None) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            out += [(node.module or "", a.name) for a in node.names]
    return out


@pytest.mark.slow  # imports the heavy modules (SciPy, Altair, widgets) the blocks name
@pytest.mark.parametrize(("doc", "index", "code"), ALL_PYTHON,
                         ids=[f"{d}#{i}" for d, i, _ in ALL_PYTHON])
def test_python_block_compiles_and_imports_names_that_exist(doc, index, code):
    tree = ast.parse(code, filename=f"{doc} block {index}")
    for module, name in _imports(tree):
        if not module.startswith("spmsim"):
            continue
        imported = importlib.import_module(module)
        assert name is None or hasattr(imported, name), \
            f"{doc}: `from {module} import {name}`: no such name"
    for node in ast.walk(tree):  # spmsim.<name> used as an attribute of the package
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and \
                node.value.id == "spmsim":
            import spmsim

            assert node.attr in spmsim.__all__, f"{doc}: spmsim.{node.attr} is not public"


README_PYTHON = blocks(ROOT / "README.md", "python")


def test_readme_examples_import_from_spmsim_only():
    assert README_PYTHON
    for code in README_PYTHON:
        for module, _ in _imports(ast.parse(code)):
            assert module == "spmsim", f"the README imports from {module}: use `spmsim` names"


def test_readme_starts_with_the_two_commands():
    first = (ROOT / "README.md").read_text().split("\n## ", 1)[0]
    assert "make report" in first and "make test" in first
    assert len((ROOT / "README.md").read_text().splitlines()) <= 200


def test_readme_links_into_the_manual_resolve():
    text = (ROOT / "README.md").read_text()
    links = re.findall(r"\]\(([^)#\s]+)", text)
    local = [link for link in links if not link.startswith("http")]
    assert any(link.startswith("docs/") for link in local)
    for link in local:
        assert (ROOT / link).exists(), f"README links to {link}, which is missing"


@pytest.mark.slow
def test_readme_python_runs(monkeypatch):
    monkeypatch.chdir(ROOT)
    for code in README_PYTHON:
        with contextlib.redirect_stdout(io.StringIO()) as out:
            exec(compile(code, "README.md", "exec"), {})  # noqa: S102 - our own README
        assert "revenue" in out.getvalue()


# ---- the built manual ------------------------------------------------------------------

@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("manual") / "site"
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return out


@pytest.mark.slow
def test_every_page_is_offline(site):
    pages = list(site.rglob("*.html"))
    assert len(pages) > 40
    loaded_remotely = [str(p.relative_to(site)) for p in pages if REMOTE.search(p.read_text())]
    assert not loaded_remotely


@pytest.mark.slow
def test_generated_parts_are_there(site):
    plan = (site / "reference" / "plan-language.html").read_text()
    assert "tier_basis" in plan and "fields:" not in plan
    scenario = (site / "reference" / "scenario.html").read_text()
    assert "skill_sigma" in scenario and "fields:" not in scenario
    cli = (site / "reference" / "cli.html").read_text()
    for command in ("validate", "simulate", "sweep", "territory optimise", "crm check"):
        assert f"usage: spmsim {command}" in cli
    api = (site / "reference" / "api.html").read_text()
    assert 'id="spmsim.engines.montecarlo.simulate"' in api
    assert (site / "notebooks" / "executive_summary.html").exists()
    assert (site / "assets" / "report.png").exists()


@pytest.mark.slow
@pytest.mark.browser
def test_the_manual_opens_from_the_file_system(site, chromium):
    page = chromium.new_page()
    remote, errors = [], []
    page.on("request", lambda r: remote.append(r.url) if r.url.startswith("http") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    for name in ("index.html", "tutorial/first-plan.html", "reference/cli.html",
                 "reference/api.html", "notebooks/executive_summary.html"):
        page.goto((site / name).as_uri())
        assert "spmsim" in page.title()
    links = page.eval_on_selector_all("nav a[href]", "as => as.map(a => a.href)")
    assert links and all(link.startswith("file://") for link in links)
    page.goto((site / "index.html").as_uri())
    shot = page.eval_on_selector("img[src$='report.png']", "img => img.naturalWidth")
    assert shot > 1000, "the report screenshot did not load"
    assert not remote, remote
    assert not errors, errors
    page.close()
