"""Study reports: papermill runs the notebook, nbconvert writes one offline HTML page."""

from __future__ import annotations

import json
import re

import nbformat
import pytest
import yaml

from spmsim.cli import main

from paths import ACME, DEFAULT_STUDY, NOTEBOOKS, PLANS, SMB_ACCOUNTS

pytestmark = pytest.mark.notebook


def _tables(page: str) -> list[str]:
    return re.findall(r"<table.*?</table>", page, re.S)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    reports = tmp_path_factory.mktemp("reports")
    assert main(["report", str(DEFAULT_STUDY), "--reports", str(reports), "--trials", "64",
                 "--no-progress", "--pdf"]) == 0
    return reports


def test_report_is_one_offline_page_with_every_chart(report):
    page = (report / "default.html").read_text()
    assert page.count("<svg") == 5  # payout curves, cost, attainment, earnings, pay changes
    assert "<title>Acme FY27 plan and quota options</title>" in page
    assert 'href="index.html"' in page  # the header links back to the index
    memo = page.index("Recommendation: Keep the current plans (Baseline)")
    assert memo < page.index("The designs side by side") < page.index("Appendix: assumptions")
    assert "How sure we are" in page[memo:page.index("The designs side by side")]
    assert not re.search(r"<script[^>]+src=", page), "no external scripts"
    assert not re.search(r"<script\b[^>]*>(?:(?!</script>).)*https?://", page, re.S)
    assert "<table" in page  # the side-by-side table
    assert "import" not in re.sub(r"<(script|style).*?</\1>", "", page, flags=re.S), \
        "code cells are hidden"


def test_the_pdf_is_a4_with_the_memo_on_page_one(report):
    from pypdf import PdfReader

    pdf = PdfReader(report / "default.pdf")
    first = pdf.pages[0]
    assert round(float(first.mediabox.width)) == 595 and round(float(first.mediabox.height)) == 842
    text = re.sub(r"\s+", " ", first.extract_text())
    for part in ("The decision", "Recommendation: Keep the current plans", "Risk:",
                 "How sure we are"):
        assert part in text, part
    assert "The designs side by side" not in text  # the memo has page 1 to itself
    assert len(pdf.pages) >= 3


def test_index_lists_the_report(report):
    entries = json.loads((report / "index.json").read_text())
    assert [e["file"] for e in entries] == ["default.html"]
    assert entries[0]["seed"] == 2027 and entries[0]["trials"] == 64
    index = (report / "index.html").read_text()
    assert 'href="default.html"' in index and "Acme FY27 plan and quota options" in index


def test_same_seed_same_numbers(report, tmp_path):
    assert main(["report", str(DEFAULT_STUDY), "--reports", str(tmp_path), "--trials", "64",
                 "--no-progress"]) == 0
    assert _tables((report / "default.html").read_text()) == \
        _tables((tmp_path / "default.html").read_text())


def test_names_with_html_are_escaped(tmp_path):
    spec = yaml.safe_load(DEFAULT_STUDY.read_text())
    spec["study"] = 'Acme <script>alert("x")</script> & "quotes"'
    spec["base"] = str(ACME)
    spec["variants"] = {"baseline": {}, "steep": {"set": {
        "org.roles.ent_ae.plan.components[0].tiers[1].rate": 3.0}}}
    evil_rep = '<script>alert("rep")</script>'
    quoted = '"' + evil_rep.replace('"', '""') + '"'  # one CSV field
    (tmp_path / "deals.csv").write_text(
        f"deal_id,rep_id,date,measure,amount\nD1,{quoted},2027-02-01,new_arr,1500000\n")
    (tmp_path / "quotas.csv").write_text(f"rep_id,measure,quota\n{quoted},new_arr,1200000\n")
    (tmp_path / "roster.csv").write_text(f"rep_id,plan,team\n{quoted},enterprise_ae,<i>t</i>\n")
    spec["history"] = {"deals": "deals.csv", "quotas": "quotas.csv", "roster": "roster.csv",
                       "plans": str(PLANS)}
    path = tmp_path / "evil.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    assert main(["report", str(path), "--reports", str(tmp_path / "r"), "--trials", "32",
                 "--no-progress"]) == 0
    page = (tmp_path / "r" / "evil.html").read_text()
    assert "<script>alert" not in page
    # the rep's name, as text in the table of the largest gains and losses
    assert re.search(r"&lt;script&gt;alert\((&quot;|\")rep(&quot;|\")\)&lt;/script&gt;</td>", page)
    # shown as text: the tag escaped (quotes in a text node need no escaping)
    assert re.search(r"Acme &lt;script&gt;alert\((&quot;|\")x(&quot;|\")\)&lt;/script&gt; &amp; ",
                     page)
    index = (tmp_path / "r" / "index.html").read_text()
    assert "<script>alert" not in index and "&lt;script&gt;" in index


def test_a_failing_cell_fails_the_command_and_leaves_no_report(tmp_path, capsys):
    nb = nbformat.read(NOTEBOOKS / "executive_summary.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("raise RuntimeError('chart data missing')"))
    bad = tmp_path / "bad.ipynb"
    nbformat.write(nb, bad)
    from spmsim.errors import SpmsimError
    from spmsim.report.build import build_report

    with pytest.raises(SpmsimError, match="RuntimeError: chart data missing"):
        build_report(DEFAULT_STUDY, reports=tmp_path / "r", trials=32, notebook=bad, progress=False)
    assert not (tmp_path / "r" / "default.html").exists()
    assert not list((tmp_path / "r").glob(".*.tmp"))


def test_notebooks_are_committed_without_outputs():
    for path in (NOTEBOOKS).glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(not c.outputs and c.execution_count is None for c in code), path
        assert any("parameters" in c.metadata.get("tags", []) for c in code), path


def test_any_notebook_becomes_a_report_with_its_parameters(tmp_path, capsys):
    accounts = SMB_ACCOUNTS
    assert main(["notebook", "territory_study", "-p", f"accounts={accounts}", "-p",
                 "balance=0.15", "--title", "SMB <territories>", "--reports",
                 str(tmp_path)]) == 0
    page = (tmp_path / "territory_study.html").read_text()
    assert page.count("<svg") == 4  # the map, workload and potential balance, travel
    entries = json.loads((tmp_path / "index.json").read_text())
    assert entries == [{**entries[0], "file": "territory_study.html",
                        "study": "SMB <territories>", "notebook": "territory_study"}]
    assert "SMB &lt;territories&gt;" in (tmp_path / "index.html").read_text()
    assert main(["notebook", "no_such", "--reports", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no_such: no such notebook" in err and "territory_study" in err
