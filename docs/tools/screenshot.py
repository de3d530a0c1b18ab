"""The manual's screenshot of a report: `reports/default.html` (written by `make report`)
in Debian's headless Chromium, driven by Playwright, saved as docs/assets/report.png.

    make report && .venv/bin/python docs/tools/screenshot.py

The page is opened from disk with every request beyond it refused, as the browser tests do.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--page", default=str(ROOT / "reports" / "default.html"))
    ap.add_argument("--out", default=str(ROOT / "docs" / "assets" / "report.png"))
    ap.add_argument("--width", type=int, default=1500)
    ap.add_argument("--height", type=int, default=1050)
    args = ap.parse_args()
    page_path = Path(args.page).resolve()
    if not page_path.is_file():
        raise SystemExit(f"{page_path}: no report; run `make report` first")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                    args=ARGS)
        try:
            page = browser.new_page(viewport={"width": args.width, "height": args.height})
            page.route("http*://**", lambda route: route.abort())
            page.goto(page_path.as_uri())
            page.wait_for_selector("svg")
            page.screenshot(path=args.out)
        finally:
            browser.close()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
