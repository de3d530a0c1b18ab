"""The frame of a report page and the reports index: titles, the link back, the order."""

from __future__ import annotations

import pytest

from spmsim.errors import SpmsimError
from spmsim.report import page
from spmsim.report.pdf import find_chromium

NB_HTML = ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>Notebook</title></head>"
           "<body class=\"jp-Notebook\"><main><p>cells</p></main></body></html>")


def test_a_page_gets_its_title_header_and_stylesheet():
    framed = page.frame(NB_HTML, 'Acme <b>"FY27"</b>', "run 2027-01-01 · seed 7")
    assert "<title>Acme &lt;b&gt;&quot;FY27&quot;&lt;/b&gt;</title>" in framed
    assert "<title>Notebook" not in framed
    body = framed[framed.index("<body"):]
    assert body.index('href="index.html"') < body.index("<main>")  # the header comes first
    assert "@media print" in framed and "@page{size:A4" in framed
    assert "max-width:700px" in framed  # the phone layout


def test_the_index_puts_the_main_report_first():
    entries = [
        {"file": "q.html", "study": "Quotas", "notebook": "quota_study", "seed": None,
         "trials": 500, "date": "2027-01-03 10:00 UTC"},
        {"file": "default.html", "study": "Plan options <x>", "notebook": "executive_summary",
         "seed": 2027, "trials": 1000, "date": "2027-01-01 10:00 UTC"},
        {"file": "old_q.html", "study": "Older quotas", "notebook": "quota_study", "seed": 1,
         "trials": 10, "date": "2027-01-02 10:00 UTC"},
    ]
    html = page.index(entries)
    order = [html.index(f) for f in ('href="default.html"', 'href="q.html"', 'href="old_q.html"')]
    assert order == sorted(order)  # the memo first, then each kind newest first
    assert "Plan options &lt;x&gt;" in html and "1,000" in html
    assert 'data-label="Seed">-</td>' in html  # no seed stated
    assert "Study: decision memo" in html and "Quota methods" in html


def test_pdf_needs_a_chromium_and_says_where_to_get_one(monkeypatch, tmp_path):
    monkeypatch.setenv("SPMSIM_CHROMIUM", str(tmp_path / "no-such-browser"))
    with pytest.raises(SpmsimError, match="SPMSIM_CHROMIUM=.*no such file"):
        find_chromium()
    monkeypatch.delenv("SPMSIM_CHROMIUM")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SpmsimError, match="apt-get install chromium"):
        find_chromium()


def test_a_notebook_without_study_results_says_what_to_run(tmp_path, monkeypatch):
    from spmsim.errors import InputError
    from spmsim.report.studyview import open_study

    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")  # where JupyterLab starts a kernel
    with pytest.raises(InputError, match="run `spmsim report STUDY.yaml`"):
        open_study("reports/default_study")


def test_every_shipped_notebook_has_a_kind_in_words_and_others_a_label():
    from spmsim.report.page import KIND, index

    from paths import NOTEBOOKS

    assert {p.stem for p in NOTEBOOKS.glob("*.ipynb")} <= set(KIND)
    page = index([{"file": "b.html", "study": "Board pack", "notebook": "board_pack",
                        "seed": 1, "trials": 10, "date": "2026-12-02"}])
    assert ">Board pack</td>" in page  # a project's own notebook: its name as a label
