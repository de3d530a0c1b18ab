"""Shared fixtures: Debian's headless Chromium for the browser tests; a folder of its own
as the working directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


@pytest.fixture
def chromium() -> Iterator[Browser]:
    """Debian's chromium, headless, driven by Playwright (never a downloaded browser);
    closed after the test."""
    assert CHROMIUM.exists(), "make test installs Debian's chromium: run it, or apt-get it"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def in_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`tmp_path` as the working directory for the test (a project's folder)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path
