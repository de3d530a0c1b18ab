"""Every notebook runs top to bottom as JupyterLab runs it (the kernel started in
`notebooks/`, relative paths found from there) with the example parameters the manual uses
(docs/notebooks.yaml), and stays thin: package calls and a sentence of markdown per step.

Each executed notebook is written as a report page, and the browser tests open every page
in Debian's headless Chromium (offline) at 1440x900 and 390x844 and as printed on A4:
nothing wider than the viewport or the page, no snake_case identifier and no raw float in
the text a reader sees, a title, a link to the index, every chart drawn; screenshots go to
reports/browser/.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from spmsim.format import label
from spmsim.report import examples as ex
from spmsim.report.build import execute_notebook, write_report

from paths import NOTEBOOKS, REPORTS, ROOT

NOTEBOOK_FILES = sorted(NOTEBOOKS.glob("*.ipynb"))
EXAMPLES = ex.read_examples(ROOT / "docs" / "notebooks.yaml")
# the pages `make report` writes for readers: not the designer (a widget) nor the calibration
# report (an analyst's check of a CRM export, in the export's own field names)
REPORTED = [p for p in NOTEBOOK_FILES if p.stem not in {"plan_designer", "calibration_study"}]
SHOTS = REPORTS / "browser"


@pytest.fixture(scope="module")
def study_out(tmp_path_factory) -> Path:
    return ex.run_example_study(EXAMPLES, ROOT, tmp_path_factory.mktemp("nb") / "study")


@pytest.fixture(scope="module")
def sweep_out(tmp_path_factory) -> Path:
    return ex.run_example_sweep(EXAMPLES, ROOT, tmp_path_factory.mktemp("sweep"))


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("reports")


@pytest.fixture(scope="module")
def executed() -> dict:
    """Notebook name -> executed notebook (run once, on first use)."""
    return {}


def _title(notebook: Path) -> str:
    return f"{label(notebook.stem)}: the example"


def _run(notebook: Path, executed: dict, study_out: Path, request) -> nbformat.NotebookNode:
    if notebook.stem not in executed:
        paths = {"study": str(study_out)}
        if notebook.stem == "sweep_study":
            paths["sweep"] = str(request.getfixturevalue("sweep_out"))
        params = ex.example_parameters(EXAMPLES, notebook.stem, paths)
        executed[notebook.stem] = execute_notebook(notebook, params, cwd=NOTEBOOKS)
    return executed[notebook.stem]


def test_every_notebook_has_example_parameters():
    assert {p.stem for p in NOTEBOOK_FILES} == set(EXAMPLES["notebooks"])


@pytest.mark.parametrize("notebook", NOTEBOOK_FILES, ids=lambda p: p.stem)
def test_notebooks_are_thin_narratives(notebook):
    """No definitions or loops; a markdown sentence before every step after the
    parameters (a step: a code cell that does not follow another code cell's chart)."""
    nb = nbformat.read(notebook, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    for c in code:
        assert not re.search(r"^\s*(def|class|for|while)\b", c.source, re.M), c.source
    kinds = [c.cell_type for c in nb.cells]
    assert kinds[0] == "markdown" and nb.cells[0].source.startswith("# ")
    first = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    assert kinds[first + 1] == "markdown", f"{notebook.stem}: say what the first step does"
    markdown = sum(k == "markdown" for k in kinds)
    assert markdown >= max(2, len(code) // 2), f"{notebook.stem}: too little explanation"


@pytest.mark.notebook
@pytest.mark.parametrize("notebook", NOTEBOOK_FILES, ids=lambda p: p.stem)
def test_notebook_runs_from_the_notebooks_folder(notebook, executed, study_out, reports,
                                                 request):
    nb = _run(notebook, executed, study_out, request)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    charts = [h for h in html if "spmsim-chart" in h and "<svg" in h]
    assert charts, f"{notebook.stem}: no chart drawn"
    if notebook in REPORTED:
        write_report(nb, name=notebook.stem, title=_title(notebook),
                     notebook=notebook.stem, reports=reports, seed=2027, trials=32)


# ---- the pages in a browser ------------------------------------------------------------

# every element's box, SVG content excepted (the SVG's own box is checked; what is inside
# is drawn within it), and the text a reader sees, SVG labels included
PAGE_FACTS = """() => {
  const vw = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('svg') && el.tagName.toLowerCase() !== 'svg') continue;
    const st = getComputedStyle(el);
    if (st.display === 'none' || st.visibility === 'hidden') continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.right > vw + 1 || r.left < -1)
      wide.push(`${el.tagName}.${el.className} ${Math.round(r.left)}..${Math.round(r.right)}`);
  }
  const svgText = [...document.querySelectorAll('svg text')].map(t => t.textContent);
  const charts = [...document.querySelectorAll('div.spmsim-chart > svg')].map(s => {
    const r = s.getBoundingClientRect();
    const scale = r.width / (s.viewBox.baseVal.width || r.width);
    const sizes = [...s.querySelectorAll('text')].filter(t => t.textContent.trim())
      .map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
    return {w: r.width, h: r.height, font: sizes.length ? Math.min(...sizes) : 99,
            marks: s.querySelectorAll('path, rect, line, circle, text').length};
  });
  const index = [...document.querySelectorAll('a[href="index.html"]')]
    .filter(a => a.getBoundingClientRect().width > 0).length;
  return {vw, wide, text: document.body.innerText + '\\n' + svgText.join('\\n'), charts,
          index, title: document.title};
}"""
SNAKE = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")
RAW_FLOAT = re.compile(r"\d\.\d{4,}")
SIZES = [("laptop", 1440, 900), ("phone", 390, 844)]
PHONE_FONT = 9  # px: the smallest chart label on a phone, after the SVG is scaled down
# the territory charts (map, balance bars) are being redrawn by the territory issue;
# remove this when they follow charts.WIDTH like the others
FONT_EXEMPT = {"territory_study"}
A4_WIDTH = round((210 - 26) / 25.4 * 96)  # A4 less the print stylesheet's margins, in px


def _check(facts: dict, where: str) -> None:
    assert facts["wide"] == [], f"{where}: wider than {facts['vw']} px: {facts['wide'][:5]}"
    assert not SNAKE.findall(facts["text"]), f"{where}: {sorted(set(SNAKE.findall(facts['text'])))}"
    assert not RAW_FLOAT.findall(facts["text"]), f"{where}: {RAW_FLOAT.findall(facts['text'])}"
    for i, c in enumerate(facts["charts"]):
        assert c["w"] > 150 and c["h"] > 80 and c["marks"] > 15, f"{where}: chart {i}: {c}"


@pytest.mark.browser
@pytest.mark.notebook
@pytest.mark.parametrize("notebook", REPORTED, ids=lambda p: p.stem)
def test_report_reads_on_a_laptop_a_phone_and_paper(notebook, executed, study_out, reports,
                                                    request, chromium):
    page_path = reports / f"{notebook.stem}.html"
    if not page_path.exists():
        nb = _run(notebook, executed, study_out, request)
        write_report(nb, name=notebook.stem, title=_title(notebook),
                     notebook=notebook.stem, reports=reports, seed=2027, trials=32)
    SHOTS.mkdir(parents=True, exist_ok=True)
    requested: list[str] = []
    context = chromium.new_context(offline=True)
    for size, width, height in SIZES:
        page = context.new_page()
        page.on("request", lambda r: requested.append(r.url))
        page.set_viewport_size({"width": width, "height": height})
        page.goto(page_path.as_uri())
        page.wait_for_load_state("load")
        facts = page.evaluate(PAGE_FACTS)
        where = f"{notebook.stem} at {width}x{height}"
        _check(facts, where)
        assert facts["title"] == _title(notebook), where
        assert facts["index"] == 1, f"{where}: no link to the reports index"
        assert facts["charts"], f"{where}: no chart"
        if size == "phone" and notebook.stem not in FONT_EXEMPT:
            small = [round(c["font"], 1) for c in facts["charts"] if c["font"] < PHONE_FONT]
            assert not small, f"{where}: chart labels of {small} px"
        page.screenshot(path=str(SHOTS / f"{notebook.stem}_{size}.png"), full_page=True)
        if size == "laptop":  # as printed: the print stylesheet at A4's printable width
            page.emulate_media(media="print")
            page.set_viewport_size({"width": A4_WIDTH, "height": 1100})
            _check(page.evaluate(PAGE_FACTS), f"{notebook.stem} printed on A4")
        page.close()
    context.close()
    assert [u for u in requested if not u.startswith("file:")] == []
