"""A report page printed to an A4 PDF by headless Chromium.

Why Chromium and not WeasyPrint: the page is laid out by the same engine the browser
test checks at 1440 px, 390 px and in print, so the PDF is what the test saw (the print
stylesheet, inline SVG charts, the memo on page 1); WeasyPrint has its own CSS and SVG
support and would need its own checks and system libraries. Chromium is called on the
command line (`--print-to-pdf`), so printing needs no Python package: only a Chromium
or Chrome binary, found on the PATH or named by the `SPMSIM_CHROMIUM` variable. The page
sets its size (`@page {size: A4}`); header and footer lines are off.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from spmsim.errors import SpmsimError
from spmsim.io import atomic_write

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
FLAGS = ["--headless", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-extensions",
         "--no-pdf-header-footer", "--run-all-compositor-stages-before-draw"]


def find_chromium() -> str:
    """The Chromium (or Chrome) to print with: `SPMSIM_CHROMIUM`, else the first on PATH."""
    named = os.environ.get("SPMSIM_CHROMIUM")
    if named:
        if not Path(named).is_file():
            raise SpmsimError(f"SPMSIM_CHROMIUM={named}: no such file; name a Chromium or "
                              "Chrome binary, or unset it")
        return named
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise SpmsimError("--pdf: no Chromium or Chrome found to print with; install one "
                      "(Debian: apt-get install chromium) or set SPMSIM_CHROMIUM to its path")


def write_pdf(page: str | Path, target: str | Path | None = None, *,
              timeout: float = 120) -> Path:
    """Print the HTML file `page` to `target` (default: beside it, .pdf), A4, written
    atomically; returns the PDF's path."""
    page = Path(page).resolve()
    target = Path(target) if target else page.with_suffix(".pdf")
    browser = find_chromium()
    args = [*FLAGS] + (["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0
                       else [])

    def run(tmp: Path) -> None:
        with tempfile.TemporaryDirectory() as profile:
            done = subprocess.run([browser, *args, f"--user-data-dir={profile}",
                                   f"--print-to-pdf={tmp}", page.as_uri()],
                                  capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0 or not tmp.exists() or tmp.stat().st_size == 0:
            tail = (done.stderr or "").strip().splitlines()[-3:]
            raise SpmsimError(f"{page.name}: Chromium could not print it to PDF "
                              f"(exit {done.returncode}): {' '.join(tail)}")
    return atomic_write(target, run)
