"""The plan designer as a Voila page in a real browser: Debian's headless Chromium driven by
Playwright (never a downloaded browser).

The test serves `notebooks/plan_designer.ipynb` (its parameters pointed at temporary save
and study files) with Voila on 127.0.0.1 behind a token, changes a tier rate and the cap ten
times, checks that the payout chart and the cost table change each time, and measures each
change -> redrawn chart in the page (from the input's `change` event to the animation frame
after the chart's new `data-version` lands). The median goes to reports/designer_latency.json
(reported, not asserted: CI machines are noisy). It then saves an invalid plan (overlapping
tiers: the error is shown, nothing written), saves a valid one as a study variant, runs the
full count, and saves a screenshot. The server is always stopped.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import papermill
import pytest
from playwright.sync_api import Page

from spmsim.plans import load_plan
from spmsim.studies.study import load_study

from paths import ACME, NOTEBOOKS, PLANS, REPORTS

pytestmark = pytest.mark.browser

VOILA = Path(sys.executable).with_name("voila")
STUDY = """# A study written by the browser test: the designer adds a variant below.
study: Designer browser test
base: {base}
seed: 7
trials: 64
variants:
  baseline:
    description: the FY27 plans  # a comment the designer must keep
constraints:
  - {{metric: cost_of_sales, max: 0.2}}
"""
CHANGES = 10
TRIALS_FAST = 256  # the notebook's default
SANITY_S = 10.0  # a change drawn later than this is broken, not slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_listening(port: int, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"voila exited ({proc.returncode}):\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"voila did not listen on {port} within {timeout} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Voila serving the designer notebook (parameters injected by papermill) with a token;
    yields (url, token, folders) and stops the server's whole process group after."""
    tmp = tmp_path_factory.mktemp("designer")
    (tmp / "studies").mkdir()
    study = tmp / "studies" / "study.yaml"
    study.write_text(STUDY.format(base=ACME))
    notebook = tmp / "nb" / "plan_designer.ipynb"
    notebook.parent.mkdir()
    papermill.execute_notebook(
        str(NOTEBOOKS / "plan_designer.ipynb"), str(notebook), prepare_only=True,
        parameters={"plan": str(PLANS / "enterprise_ae.yaml"),
                    "scenario": str(ACME),
                    "trials_fast": TRIALS_FAST, "trials_full": 512, "save_dir": str(tmp / "plans"),
                    "study": str(study)},
        progress_bar=False)
    port, token = _free_port(), secrets.token_hex(16)
    log = tmp / "voila.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(VOILA), notebook.name, "--no-browser", f"--port={port}",
             "--Voila.ip=127.0.0.1", f"--token={token}"],
            cwd=notebook.parent, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_listening(port, proc, log)
        yield {"url": f"http://127.0.0.1:{port}/", "token": token, "study": study,
               "plans": tmp / "plans", "log": log}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_the_page_needs_the_token(site):
    opener = urllib.request.build_opener(_NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as e:
        opener.open(site["url"], timeout=30)
    assert e.value.code == 302 and "/login" in e.value.headers["Location"]


WATCH = """() => {
  window.__lat = [];
  document.addEventListener('change', () => { window.__t0 = performance.now(); }, true);
  for (const name of ['curve', 'payout']) {
    const box = document.querySelector('.spmsim-designer-' + name);
    let seen = box.querySelector('.spmsim-chart').dataset.version;
    new MutationObserver(() => {
      const chart = box.querySelector('.spmsim-chart');
      const v = chart && chart.dataset.version;
      if (v && v !== seen) {
        seen = v;
        const t0 = window.__t0;
        requestAnimationFrame(() => window.__lat.push(
          {chart: name, version: +v, ms: performance.now() - t0}));
      }
    }).observe(box, {childList: true, subtree: true});
  }
}"""


def _field(page: Page, path_slug: str):
    return page.locator(f".spmsim-field-{path_slug} input")


def _text(page: Page, css: str) -> str:
    return page.locator(css).inner_text()


def _change(page: Page, path_slug: str, value: float, version: int) -> dict[str, float]:
    """Type `value` into a field and wait until both charts show `version`."""
    box = _field(page, path_slug)
    box.fill(str(value))
    box.press("Enter")
    page.wait_for_function(
        "v => ['curve', 'payout'].every(c => window.__lat.some("
        "e => e.chart === c && e.version === v))", arg=version, timeout=SANITY_S * 1000)
    page.locator(f'.spmsim-designer-status [data-version="{version}"]').wait_for()
    marks = page.evaluate("v => window.__lat.filter(e => e.version === v)", version)
    return {m["chart"]: m["ms"] for m in marks}


def test_designer_in_the_browser(site, chromium):
    requested: list[str] = []
    page = chromium.new_page(viewport={"width": 1400, "height": 1100})
    page.route(re.compile(r"^(?!http://127\.0\.0\.1[:/])"), _outside)
    page.on("request", lambda r: requested.append(r))
    page.goto(f"{site['url']}?token={site['token']}", timeout=60_000)
    page.wait_for_selector(".spmsim-designer-payout .spmsim-chart svg", timeout=90_000)
    version = int(page.locator(".spmsim-designer-curve .spmsim-chart")
                  .get_attribute("data-version"))
    page.evaluate(WATCH)
    timings, kernel_ms = [], []
    rates = [2.5, 2.6, 2.7, 2.8, 2.9]
    caps = [2.0, 2.25, 2.5, 2.75, 3.25]
    for i in range(CHANGES):
        before = (page.locator(".spmsim-designer-curve svg").inner_html(),
                  _text(page, ".spmsim-designer-table"))
        slug, value = ("components-0-tiers-1-rate", rates[i // 2]) if i % 2 == 0 \
            else ("components-0-cap", caps[i // 2])
        version += 1
        timings.append(_change(page, slug, value, version))
        after = (page.locator(".spmsim-designer-curve svg").inner_html(),
                 _text(page, ".spmsim-designer-table"))
        assert after[0] != before[0], f"change {i}: the payout chart did not change"
        assert after[1] != before[1], f"change {i}: the cost table did not change"
        status = _text(page, ".spmsim-designer-status")
        assert status.startswith("Updated in"), status
        kernel_ms.append(float(status.split()[2]))
    curve = [t["curve"] for t in timings]
    whole = [max(t.values()) for t in timings]
    assert max(whole) < SANITY_S * 1000
    _write_latency(curve, whole, kernel_ms)

    # an invalid plan: tier 2 starts below tier 1's edge; saving writes nothing
    study_before = site["study"].read_bytes()
    _field(page, "components-0-tiers-1-upto").fill("0.8")
    _field(page, "components-0-tiers-1-upto").press("Enter")
    error = page.locator(".spmsim-error-components-0-tiers-1-upto")
    error.get_by_text("tiers must start where the previous one ends").wait_for()
    page.locator(".spmsim-designer-status").get_by_text("Invalid plan").wait_for()
    page.locator(".spmsim-designer-to-study input").check()
    page.locator(".spmsim-designer-save").click()
    page.locator(".spmsim-designer-saved").get_by_text("Not saved").wait_for()
    assert "tiers must start" in _text(page, ".spmsim-designer-saved")
    assert not site["plans"].exists() or not any(site["plans"].iterdir())
    assert site["study"].read_bytes() == study_before

    # fixed, saved, and added to the study as a variant
    version += 1
    _change(page, "components-0-tiers-1-upto", 1.5, version)
    assert error.inner_text().strip() == ""
    page.locator(".spmsim-designer-save").click()
    page.locator(".spmsim-designer-saved").get_by_text(re.compile("^Saved: ")).wait_for()
    saved = site["plans"] / "enterprise_ae_designed.yaml"
    plan = load_plan(saved)
    assert plan.components[0].tiers[1].rate == rates[-1]
    assert plan.components[0].cap.of_target == caps[-1]
    study = load_study(site["study"])
    assert study.variants["enterprise_ae_designed"].set == {
        "org.roles.ent_ae.plan": "../plans/enterprise_ae_designed.yaml"}
    assert "# a comment the designer must keep" in site["study"].read_text()

    page.locator(".spmsim-designer-full").click()
    page.locator(".spmsim-designer-status").get_by_text("(full run)").wait_for(
        timeout=60_000)
    assert "512 simulated years" in _text(page, ".spmsim-designer-table")
    page.set_viewport_size({"width": 1400, "height": 2000})  # Voila scrolls inside
    shot = REPORTS / "plan_designer.png"
    shot.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    outside = [r for r in requested if not r.url.startswith(site["url"])]
    # Voila's lab template links Font Awesome from a CDN (blocked here, icons unused)
    assert all(r.resource_type == "stylesheet" and "fontawesome" in r.url for r in outside), \
        [r.url for r in outside]


def _outside(route) -> None:
    """Nothing leaves the machine: requests beyond 127.0.0.1 fail at once."""
    route.abort()


def _write_latency(curve: list[float], whole: list[float], kernel: list[float]) -> None:
    def stats(xs: list[float]) -> dict[str, float]:
        q = statistics.quantiles(xs, n=10)
        return {k: round(v, 1) for k, v in {"median": statistics.median(xs), "p10": q[0],
                                            "p90": q[-1], "min": min(xs), "max": max(xs)}.items()}
    out = {"changes": len(curve), "trials_fast": TRIALS_FAST, "aim_ms": 500,
           "change_to_payout_curve_ms": stats(curve), "change_to_all_charts_ms": stats(whole),
           "kernel_update_ms": stats(kernel), "samples_ms": {
               "payout_curve": [round(x, 1) for x in curve],
               "all_charts": [round(x, 1) for x in whole], "kernel": kernel},
           "loadavg": list(os.getloadavg()), "cpu_count": os.cpu_count()}
    path = REPORTS / "designer_latency.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(f"\nchange -> redrawn payout curve, median of {len(curve)}: "
          f"{out['change_to_payout_curve_ms']['median']:.0f} ms; all charts "
          f"{out['change_to_all_charts_ms']['median']:.0f} ms; kernel "
          f"{out['kernel_update_ms']['median']:.0f} ms")
