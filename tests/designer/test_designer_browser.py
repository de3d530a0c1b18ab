"""The plan designer in a real browser: Debian's headless Chromium driven by Playwright
(never a downloaded browser), as a Voila page and inside JupyterLab, each served on
127.0.0.1 behind a token.

In Voila the test opens the page and times the first chart; makes ten changes (tier 2's
rate and the cap) and times each change -> every chart redrawn (from the input's `change`
event to the animation frame after the chart's new `data-version` lands); types an invalid
edge (a message in words beside the box, the charts greyed with "showing the last valid
plan", saving refused, nothing written) and letters (explained); adds a tier and removes it
(the exact original curve comes back); resets to the file's plan; saves the plan as a study
variant described in words; switches the role; runs the full count and takes a screenshot.
Figures go to reports/designer_latency.json (reported, not asserted: the machine is shared).
In JupyterLab it runs the notebook, waits for the kernel and the designer, and checks a
change, an invalid edit and reset the same way. Servers are always stopped.
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
from contextlib import contextmanager
from pathlib import Path

import papermill
import pytest
from playwright.sync_api import Page

from spmsim.plans import load_plan
from spmsim.plans.describe import describe_plan
from spmsim.studies.study import load_study

from paths import ACME, NOTEBOOKS, PLANS, REPORTS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BIN = Path(sys.executable).parent
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
  - {{metric: share_at_quota, min: 0.4, max: 0.7}}
"""
CHANGES = 10
TRIALS_FAST = 256  # the notebook's default
SANITY_S = 15.0  # a change drawn later than this is broken, not slow
CHARTS = ("curve", "table", "cost", "payout")
RATE, CAP = "components-0-tiers-1-rate", "cap"
EDGE = "components-0-tiers-1-upto"


# the documented way to serve the page: the notebook runs before anyone opens it
PREHEAT = ["--preheat_kernel=True", "--pool_size=1"]


def _cpu_ticks(pid: int) -> int:
    """CPU ticks used by a process and its children (from /proc)."""
    total = 0
    for child in [pid, *_children(pid)]:
        try:
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids = (task / "children").read_text().split()
        except OSError:
            continue
        for k in map(int, kids):
            out += [k, *_children(k)]
    return out


def _wait_preheated(proc: subprocess.Popen, log: Path, times: int = 1,
                    timeout: float = 240) -> None:
    """Until Voila has said `times` times that its kernel pool is filled and the server
    and its kernels have been idle (no CPU used) for two seconds: the notebook has run."""
    deadline = time.monotonic() + timeout
    while log.read_text().count("is filled") < times:
        if time.monotonic() > deadline or proc.poll() is not None:
            raise RuntimeError(f"voila did not preheat a kernel:\n{log.read_text()}")
        time.sleep(0.5)
    last, quiet = _cpu_ticks(proc.pid), 0.0
    while quiet < 2.0 and time.monotonic() < deadline:
        time.sleep(0.5)
        now = _cpu_ticks(proc.pid)
        quiet = quiet + 0.5 if now - last <= 2 else 0.0
        last = now


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_listening(port: int, proc: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited ({proc.returncode}):\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listened on {port} within {timeout} s:\n{log.read_text()}")


@contextmanager
def _server(args: list[str], cwd: Path, log: Path, port: int, env: dict | None = None):
    """A server in its own process group, stopped (the whole group) when done."""
    with log.open("w") as out:
        proc = subprocess.Popen(args, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, env={**os.environ, **(env or {})})
    try:
        _wait_listening(port, proc, log)
        yield proc
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:  # it had exited (the log says why)
            return
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)


def _notebook(tmp: Path) -> dict:
    """The designer notebook with its parameters pointed at a temporary study and folder."""
    (tmp / "studies").mkdir()
    study = tmp / "studies" / "study.yaml"
    study.write_text(STUDY.format(base=ACME))
    notebook = tmp / "nb" / "plan_designer.ipynb"
    notebook.parent.mkdir()
    papermill.execute_notebook(
        str(NOTEBOOKS / "plan_designer.ipynb"), str(notebook), prepare_only=True,
        parameters={"plan": str(PLANS / "enterprise_ae.yaml"), "scenario": str(ACME),
                    "trials_fast": TRIALS_FAST, "trials_full": 512,
                    "save_dir": str(tmp / "plans"), "study": str(study)},
        progress_bar=False)
    return {"notebook": notebook, "study": study, "plans": tmp / "plans"}


@pytest.fixture(scope="module")
def voila(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("voila")
    site = _notebook(tmp)
    port, token = _free_port(), secrets.token_hex(16)
    log = tmp / "voila.log"
    args = [str(BIN / "voila"), site["notebook"].name, "--no-browser", f"--port={port}",
            "--Voila.ip=127.0.0.1", f"--token={token}", *PREHEAT]
    with _server(args, site["notebook"].parent, log, port) as proc:
        _wait_preheated(proc, log)
        yield {**site, "url": f"http://127.0.0.1:{port}/", "token": token, "log": log,
               "proc": proc}


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lab")
    site = _notebook(tmp)
    settings = tmp / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)  # every cell in the page: no windowing away of outputs
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    port, token = _free_port(), secrets.token_hex(16)
    log = tmp / "lab.log"
    args = [str(BIN / "jupyter-lab"), "--no-browser", f"--port={port}",
            "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={site['notebook'].parent}",
            "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
            *(["--allow-root"] if os.geteuid() == 0 else [])]
    env = {"JUPYTERLAB_SETTINGS_DIR": str(tmp / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces")}
    with _server(args, site["notebook"].parent, log, port, env):
        yield {**site, "url": f"http://127.0.0.1:{port}/", "token": token, "log": log}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.mark.parametrize("server", ["voila", "lab"])
def test_the_page_needs_the_token(server, request):
    site = request.getfixturevalue(server)
    opener = urllib.request.build_opener(_NoRedirect)
    path = "" if server == "voila" else "lab"
    with pytest.raises(urllib.error.HTTPError) as e:
        opener.open(site["url"] + path, timeout=30)
    assert e.value.code in (302, 403)
    if e.value.code == 302:
        assert "/login" in e.value.headers["Location"]


WATCH = """(charts) => {
  window.__lat = [];
  const start = () => { window.__t0 = performance.now(); };
  document.addEventListener('change', start, true);
  document.addEventListener('click', e => {
    if (e.target.closest('button')) start(); }, true);
  for (const name of charts) {
    const box = document.querySelector('.spmsim-designer-' + name);
    let seen = (box.querySelector('[data-version]') || {dataset: {}}).dataset.version;
    new MutationObserver(() => {
      const el = box.querySelector('[data-version]');
      const v = el && el.dataset.version;
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


def _version(page: Page) -> int:
    return int(page.locator(".spmsim-designer-curve .spmsim-chart").get_attribute(
        "data-version"))


def _drawn(page: Page, version: int) -> dict[str, float]:
    """Wait until every chart and the table show `version`; their times from the change."""
    page.wait_for_function(
        "([v, charts]) => charts.every(c => window.__lat.some("
        "e => e.chart === c && e.version === v))", arg=[version, list(CHARTS)],
        timeout=SANITY_S * 1000)
    page.locator(f'.spmsim-designer-status [data-version="{version}"]').wait_for()
    marks = page.evaluate("v => window.__lat.filter(e => e.version === v)", version)
    return {m["chart"]: m["ms"] for m in marks}


def _type(page: Page, path_slug: str, value: str) -> None:
    box = _field(page, path_slug)
    box.fill(value)
    box.press("Enter")


def _change(page: Page, path_slug: str, value: str) -> dict[str, float]:
    """Type `value` into a box and wait until everything shows the next version."""
    version = _version(page) + 1
    _type(page, path_slug, value)
    return _drawn(page, version)


def _click(page: Page, css: str) -> dict[str, float]:
    version = _version(page) + 1
    page.locator(css).click()
    return _drawn(page, version)


def _curve(page: Page) -> str:
    return page.locator(".spmsim-designer-curve svg").inner_html()


def _greyed(page: Page) -> float:
    """The opacity the page gives the payout chart (1: not greyed)."""
    return float(page.evaluate("() => getComputedStyle(document.querySelector("
                               "'.spmsim-designer-curve .spmsim-chart')).opacity"))


def _invalid_edit_is_explained_and_greys_the_charts(page: Page) -> None:
    curve = _curve(page)
    _type(page, EDGE, "80")
    error = page.locator(f".spmsim-error-{EDGE}")
    error.get_by_text("Tier 2 must end above 100 % (where it starts: the end of tier 1)"
                      ).wait_for()
    page.locator(".spmsim-designer-banner").get_by_text("Showing the last valid plan"
                                                        ).wait_for()
    page.wait_for_function("() => getComputedStyle(document.querySelector("
                           "'.spmsim-designer-curve .spmsim-chart')).opacity < 0.5")
    assert _curve(page) == curve  # the last valid plan, greyed
    assert "components[" not in error.inner_text()


def test_designer_in_voila(voila, chromium):
    requested: list = []
    page = chromium.new_page(viewport={"width": 1500, "height": 1100})
    page.route(re.compile(r"^(?!http://127\.0\.0\.1[:/])"), _outside)
    page.on("request", lambda r: requested.append(r))
    load = os.getloadavg()
    opened = time.perf_counter()
    page.goto(f"{voila['url']}?token={voila['token']}", timeout=90_000)
    page.wait_for_selector(".spmsim-designer-curve .spmsim-chart svg", timeout=120_000)
    first_chart_s = time.perf_counter() - opened
    page.wait_for_selector(".spmsim-designer-payout .spmsim-chart svg", timeout=60_000)
    first_all_s = time.perf_counter() - opened
    kernel = _opening(page)
    # Voila now preheats the next visitor's kernel: measure changes once that is done
    _wait_preheated(voila["proc"], voila["log"], times=2)
    shown = page.locator("body").inner_text()
    assert "trials_fast" not in shown and "voila " not in shown.lower()  # the user's words
    original = _curve(page)
    page.evaluate(WATCH, list(CHARTS))

    timings, kernel_ms = [], []
    rates = ["2.5", "2.6", "2.7", "2.8", "2.9"]
    caps = ["2", "2.25", "2.5", "2.75", "3.25"]
    for i in range(CHANGES):
        before = (_curve(page), _text(page, ".spmsim-designer-table"),
                  page.locator(".spmsim-designer-cost svg").inner_html())
        slug, value = (RATE, rates[i // 2]) if i % 2 == 0 else (CAP, caps[i // 2])
        timings.append(_change(page, slug, value))
        after = (_curve(page), _text(page, ".spmsim-designer-table"),
                 page.locator(".spmsim-designer-cost svg").inner_html())
        assert after[0] != before[0], f"change {i}: the payout curve did not change"
        assert after[1] != before[1], f"change {i}: the cost table did not change"
        assert after[2] != before[2], f"change {i}: the cost chart did not change"
        status = _text(page, ".spmsim-designer-status")
        assert status.startswith("Updated in"), status
        kernel_ms.append(float(status.split()[2]))
    assert "2.9x above quota up to 150%" in _text(page, ".spmsim-designer-summary")
    page.screenshot(path=str(REPORTS / "plan_designer_top.png"))  # the manual's picture
    assert "at most 20.0%" in _text(page, ".spmsim-designer-table")  # the study's limit

    # an invalid edge: said beside the box, charts greyed, saving refused and writes nothing
    study_before = voila["study"].read_bytes()
    _invalid_edit_is_explained_and_greys_the_charts(page)
    page.locator(".spmsim-designer-to-study input").check()
    page.locator(".spmsim-designer-save").click()
    page.locator(".spmsim-designer-saved").get_by_text("Not saved").wait_for()
    assert not voila["plans"].exists() or not any(voila["plans"].iterdir())
    assert voila["study"].read_bytes() == study_before
    _type(page, RATE, "fast")  # letters: explained, and what was typed stays
    page.locator(f".spmsim-error-{RATE}").get_by_text("“fast” is not a number").wait_for()
    assert _field(page, RATE).input_value() == "fast"
    _type(page, RATE, "2.9")
    _change(page, EDGE, "150")  # fixed: drawn again, no longer greyed
    assert _greyed(page) > 0.99
    assert _text(page, f".spmsim-error-{EDGE}").strip() == ""

    # a tier added and removed: the exact curve comes back
    edited = _curve(page)
    _click(page, ".spmsim-add-components-0-tiers")
    _field(page, "components-0-tiers-3-rate").wait_for()
    _click(page, ".spmsim-remove-components-0-tiers-2")
    assert _curve(page) == edited
    assert _field(page, "components-0-tiers-3-rate").count() == 0

    # undo, then reset to the file's plan
    _click(page, ".spmsim-designer-undo")
    assert _field(page, "components-0-tiers-3-rate").count() == 1
    reset = _click(page, ".spmsim-designer-reset")
    assert _curve(page) == original
    assert _field(page, RATE).input_value() == "2"
    timings_reset = max(reset.values())

    # saved as a study variant, described in words
    _change(page, RATE, "2.5")
    page.locator(".spmsim-designer-save").click()
    page.locator(".spmsim-designer-saved").get_by_text(re.compile("^Saved: ")).wait_for()
    saved = voila["plans"] / "enterprise_ae_designed.yaml"
    plan = load_plan(saved)
    assert plan.components[0].tiers[1].rate == 2.5
    variant = load_study(voila["study"]).variants["enterprise_ae_designed"]
    assert variant.set == {"org.roles.ent_ae.plan": "../plans/enterprise_ae_designed.yaml"}
    assert variant.description == describe_plan(plan)
    assert "# a comment the designer must keep" in voila["study"].read_text()

    # another role: everything redraws for it
    version = _version(page) + 1
    page.locator(".spmsim-pick-role select").select_option("smb_ae")
    switched = _drawn(page, version)
    assert "SMB AE FY27" in _text(page, ".spmsim-designer-summary")
    assert "smb_ae" in _text(page, ".spmsim-designer-table")
    assert _curve(page) != original
    page.locator(".spmsim-pick-role select").select_option("ent_ae")
    page.locator(".spmsim-designer-summary").get_by_text("Enterprise AE FY27").wait_for()

    page.locator(".spmsim-designer-full").click()
    page.locator(".spmsim-designer-status").get_by_text("(full run)").wait_for(timeout=120_000)
    assert "512 simulated plan years" in _text(page, ".spmsim-designer-table")
    page.set_viewport_size({"width": 1500, "height": 2600})  # Voila scrolls inside
    shot = REPORTS / "plan_designer.png"
    shot.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    outside = [r for r in requested if not r.url.startswith(voila["url"])]
    # Voila's lab template links Font Awesome from a CDN (blocked here, icons unused)
    assert all(r.resource_type == "stylesheet" and "fontawesome" in r.url for r in outside), \
        [r.url for r in outside]
    _write_latency("voila", {
        "first_chart_s": round(first_chart_s, 2), "first_all_charts_s": round(first_all_s, 2),
        **kernel,
        **_changes(timings, kernel_ms), "role_switch_ms": round(max(switched.values()), 1),
        "reset_ms": round(timings_reset, 1), "loadavg_at_start": list(load)})


def test_designer_in_jupyterlab(lab, chromium):
    page = chromium.new_page(viewport={"width": 1500, "height": 1400})
    page.route(re.compile(r"^(?!http://127\.0\.0\.1[:/])"), _outside)
    load = os.getloadavg()
    page.goto(f"{lab['url']}lab/tree/plan_designer.ipynb?token={lab['token']}",
              timeout=90_000)
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                           " && window.jupyterapp.shell.currentWidget.sessionContext",
                           timeout=120_000)
    page.wait_for_function(  # the kernel started and idle
        "() => { const s = window.jupyterapp.shell.currentWidget.sessionContext;"
        " return s.session && s.session.kernel && s.session.kernel.status === 'idle'; }",
        timeout=120_000)
    started = time.perf_counter()
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_selector(".spmsim-designer-curve .spmsim-chart svg", timeout=120_000)
    first_chart_s = time.perf_counter() - started
    page.wait_for_selector(".spmsim-designer-payout .spmsim-chart svg", timeout=60_000)
    kernel = _opening(page)
    page.evaluate(WATCH, list(CHARTS))
    timings, kernel_ms = [], []
    for value in ("2.5", "2.75", "3"):
        before = _curve(page)
        timings.append(_change(page, RATE, value))
        assert _curve(page) != before
        kernel_ms.append(float(_text(page, ".spmsim-designer-status").split()[2]))
    _invalid_edit_is_explained_and_greys_the_charts(page)
    _change(page, EDGE, "150")
    assert _greyed(page) > 0.99
    _click(page, ".spmsim-designer-reset")
    assert _field(page, RATE).input_value() == "2"
    shot = REPORTS / "plan_designer_jupyterlab.png"
    page.screenshot(path=str(shot))
    _write_latency("jupyterlab", {"first_chart_after_run_all_s": round(first_chart_s, 2),
                                  **kernel,
                                  **_changes(timings, kernel_ms),
                                  "loadavg_at_start": list(load)})


def _opening(page: Page) -> dict[str, float]:
    """What the kernel says opening the designer took: wall seconds of `PlanDesigner(...)`
    and the kernel's CPU seconds since it started (imports included) at the first chart."""
    status = page.locator(".spmsim-designer-status span[data-open-s]")
    return {"kernel_open_designer_s": float(status.get_attribute("data-open-s")),
            "kernel_cpu_to_first_chart_s": float(status.get_attribute("data-cpu-s"))}


def _outside(route) -> None:
    """Nothing leaves the machine: requests beyond 127.0.0.1 fail at once."""
    route.abort()


def _stats(xs: list[float]) -> dict[str, float]:
    q = statistics.quantiles(xs, n=10) if len(xs) > 1 else [xs[0], xs[0]]
    return {k: round(v, 1) for k, v in {"median": statistics.median(xs), "p10": q[0],
                                        "p90": q[-1], "min": min(xs), "max": max(xs)}.items()}


def _changes(timings: list[dict[str, float]], kernel: list[float]) -> dict:
    whole = [max(t.values()) for t in timings]
    return {"changes": len(timings), "trials_fast": TRIALS_FAST, "aim_ms": 500,
            "change_to_payout_curve_ms": _stats([t["curve"] for t in timings]),
            "change_to_every_chart_ms": _stats(whole),
            "change_to_chart_ms": {c: _stats([t[c] for t in timings]) for c in CHARTS},
            "kernel_update_ms": _stats(kernel),
            "samples_ms": {"payout_curve": [round(t["curve"], 1) for t in timings],
                           "every_chart": [round(x, 1) for x in whole], "kernel": kernel}}


def _write_latency(where: str, figures: dict) -> None:
    path = REPORTS / "designer_latency.json"
    path.parent.mkdir(exist_ok=True)
    try:
        out = json.loads(path.read_text())
    except (OSError, ValueError):
        out = {}
    out[where] = {**figures, "loadavg_at_end": list(os.getloadavg()),
                  "cpu_count": os.cpu_count()}
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(f"\n{where}: {json.dumps({k: v for k, v in figures.items() if 'samples' not in k})}")
