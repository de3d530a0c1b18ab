"""The manual builds with `mkdocs build --strict` (a broken link, a missing page or a stale
API reference fails), opens from the file system with no network, and its generated parts
(field tables from the JSON Schema, command help) are there."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from paths import ROOT

pytestmark = pytest.mark.slow
REMOTE = re.compile(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=[\"']https?://", re.I)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("manual") / "site"
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def test_every_page_is_offline(site):
    pages = list(site.rglob("*.html"))
    assert len(pages) > 10
    loaded_remotely = [str(p.relative_to(site)) for p in pages if REMOTE.search(p.read_text())]
    assert not loaded_remotely


def test_generated_parts_are_there(site):
    plan = (site / "reference" / "plan-language.html").read_text()
    assert "tier_basis" in plan and "fields:" not in plan
    cli = (site / "reference" / "cli.html").read_text()
    assert "usage: spmsim validate" in cli
    assert (site / "notebooks" / "executive_summary.html").exists()


@pytest.mark.browser
def test_the_manual_opens_from_the_file_system(site, chromium):
    page = chromium.new_page()
    remote, errors = [], []
    page.on("request", lambda r: remote.append(r.url) if r.url.startswith("http") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    for name in ("index.html", "reference/cli.html", "notebooks/executive_summary.html"):
        page.goto((site / name).as_uri())
        assert "spmsim" in page.title()
    links = page.eval_on_selector_all("nav a[href]", "as => as.map(a => a.href)")
    assert links and all(link.startswith("file://") for link in links)
    assert not remote, remote
    assert not errors, errors
    page.close()
