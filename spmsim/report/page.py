"""The frame of every report page: its title, a header linking to the reports index, and
one stylesheet for a laptop, a phone and paper.

nbconvert writes the notebook's cells; `frame` gives the page a `<title>`, a header with
a link back to `index.html` and the run's facts, and the stylesheet:

* screen: a readable column (at most 64 rem), tables that wrap rather than overflow,
  charts (inline SVG) scaled down to the width they are given, never up;
* phone (below 700 px): every wide table shown as cards, one per row, each cell with its
  column's name (the `data-label` that `tables.html_table` writes);
* print (A4, 14 mm margins): no header link, the memo on page 1, each section kept
  together where it fits, tables at 8.5 pt within the page.
"""

from __future__ import annotations

import html
import re

from spmsim.format import label
from spmsim.versions import versions_text

CSS = """
:root{--ink:#1d2430;--muted:#5b6675;--rule:#d9dee5;--accent:#1f5fa8;--warn:#8a4b00;
--warn-bg:#fff4e0}
html{-webkit-text-size-adjust:100%}
body.jp-Notebook{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,
sans-serif;color:var(--ink);margin:0;padding:0;line-height:1.45;overflow-x:hidden}
body.jp-Notebook main{max-width:64rem;margin:0 auto;padding:0 1.25rem 3rem;
box-sizing:border-box}
.spmsim-nav{max-width:64rem;margin:0 auto;padding:.6rem 1.25rem;box-sizing:border-box;
display:flex;flex-wrap:wrap;gap:.3rem 1.2rem;align-items:baseline;font-size:.9rem;
color:var(--muted);border-bottom:1px solid var(--rule)}
.spmsim-nav a{color:var(--accent);font-weight:600;text-decoration:none}
.spmsim-nav a:hover{text-decoration:underline}
.jp-Cell,.jp-OutputArea,.jp-OutputArea-child,.jp-OutputArea-output,.jp-RenderedHTMLCommon,
.jp-MarkdownOutput,.jp-Cell-outputWrapper,.jp-Cell-inputWrapper{max-width:100%;
min-width:0;box-sizing:border-box}
.jp-Cell{padding:0!important;margin:0!important}
.jp-OutputArea-output,.jp-RenderedHTMLCommon{padding:0!important;overflow:visible!important}
.jp-OutputPrompt,.jp-InputPrompt,.jp-Collapser{display:none!important}
.jp-RenderedHTMLCommon{font-size:1rem!important;color:var(--ink)}
.jp-RenderedHTMLCommon h1,.spmsim-memo h1{font-size:1.75rem;margin:1.2rem 0 .2rem;
line-height:1.2}
.jp-RenderedHTMLCommon h2{font-size:1.3rem;margin:2rem 0 .5rem;padding-top:.4rem;
border-top:1px solid var(--rule)}
.spmsim-memo h2{border-top:none;margin-top:1.1rem}
.jp-RenderedHTMLCommon p,.jp-RenderedHTMLCommon li{max-width:48rem}
.jp-RenderedHTMLCommon a.anchor-link{display:none}
.spmsim-facts{color:var(--muted);margin:.1rem 0 .8rem}
.spmsim-rec{color:var(--accent)}
.spmsim-warning{background:var(--warn-bg);border-left:4px solid #e07b00;color:#3b2a10;
padding:.6rem .9rem;margin:.8rem 0;max-width:48rem}
.spmsim-sure{border-left:4px solid #2a9d4a;padding:.2rem .9rem}
.spmsim-note{color:var(--muted);font-size:.9rem}
.spmsim-table-wrap{max-width:100%;margin:.6rem 0 1rem}
table.spmsim-table,.jp-RenderedHTMLCommon table{border-collapse:collapse;
width:auto;max-width:100%;font-size:.92rem;table-layout:auto}
table.spmsim-table caption{text-align:left;font-weight:600;padding:.3rem 0}
table.spmsim-table th,table.spmsim-table td,.jp-RenderedHTMLCommon th,
.jp-RenderedHTMLCommon td{padding:.35rem .6rem;border-bottom:1px solid var(--rule);
text-align:left;vertical-align:top;white-space:normal;overflow-wrap:anywhere;
word-break:normal}
table.spmsim-table thead th{background:#f1f4f8;font-weight:600;vertical-align:bottom}
table.spmsim-table tbody th{font-weight:500;color:var(--ink);text-align:left!important}
table.spmsim-table td{text-align:right!important}
table.spmsim-table thead th{text-align:right!important}
table.spmsim-table thead th:first-child{text-align:left!important}
table.spmsim-table td{font-variant-numeric:tabular-nums}
.spmsim-chart{max-width:100%;margin:.4rem 0 1rem}
.spmsim-chart svg{max-width:100%;height:auto;display:block}
.jp-RenderedHTMLCommon pre,pre{white-space:pre-wrap;overflow-wrap:anywhere;max-width:100%}
img,svg{max-width:100%}
@media (max-width:700px){
body.jp-Notebook main,.spmsim-nav{padding-left:.75rem;padding-right:.75rem}
.jp-RenderedHTMLCommon h1,.spmsim-memo h1{font-size:1.4rem}
table.spmsim-table:not(.compact),table.spmsim-table:not(.compact) tbody,
table.spmsim-table:not(.compact) tr,table.spmsim-table:not(.compact) td,
table.spmsim-table:not(.compact) tbody th{display:block;width:auto}
table.spmsim-table:not(.compact) thead{display:none}
table.spmsim-table:not(.compact) caption{display:block}
table.spmsim-table:not(.compact) tr{border:1px solid var(--rule);border-radius:6px;
margin:0 0 .6rem;padding:.3rem .5rem}
table.spmsim-table:not(.compact) tbody th{border:none;font-weight:600;padding:.25rem 0}
table.spmsim-table:not(.compact) td{border:none;padding:.15rem 0;display:flex;gap:.8rem;
justify-content:space-between}
table.spmsim-table:not(.compact) td::before{content:attr(data-label);color:var(--muted);
flex:0 1 55%;text-align:left}
}
@page{size:A4;margin:14mm 13mm}
@media print{
.spmsim-nav a{display:none}
.spmsim-nav{border:none;padding:0 0 .3rem}
body.jp-Notebook main{max-width:none;padding:0}
body.jp-Notebook{font-size:10pt}
.jp-RenderedHTMLCommon{font-size:10pt!important}
.jp-RenderedHTMLCommon h1,.spmsim-memo h1{font-size:16pt;margin-top:0}
.jp-RenderedHTMLCommon h2{font-size:12.5pt;margin-top:1rem;break-after:avoid}
.spmsim-memo h2{font-size:12pt;margin-top:.6rem}
.spmsim-memo{break-after:page}
.spmsim-memo p{margin:.35rem 0}
table.spmsim-table,.jp-RenderedHTMLCommon table{font-size:8.5pt}
table.spmsim-table th,table.spmsim-table td{padding:.2rem .35rem}
table.spmsim-table tr,.spmsim-chart,.spmsim-warning{break-inside:avoid}
.spmsim-chart svg{max-height:120mm;width:auto}
}
"""


def nav(title: str, facts: str = "") -> str:
    """The header: a link to the reports index, the report's title and its facts."""
    extra = f"<span>{html.escape(facts)}</span>" if facts else ""
    return (f"<nav class=\"spmsim-nav\" aria-label=\"reports\"><a href=\"index.html\">"
            f"← All reports</a><span>{html.escape(title)}</span>{extra}</nav>")


def frame(page: str, title: str, facts: str = "") -> str:
    """`page` (nbconvert's HTML) with `title` as its <title>, the stylesheet and the header."""
    safe = html.escape(title)
    page = re.sub(r"<title>.*?</title>", lambda _: f"<title>{safe}</title>", page, count=1,
                  flags=re.S)
    page = page.replace("</head>", f"<style>{CSS}</style></head>", 1)
    return re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + nav(title, facts), page, count=1)


def facts(date: str, seed: int | None, trials: int | None) -> str:
    """A report's run in a line: 'run 2026-12-02 07:30 UTC · seed 2027 · 1,000 trials ·
    spmsim 0.1.0, numpy 2.1.3' (the versions: the same seed gives the same numbers only
    with the same spmsim and numpy)."""
    parts = [f"run {date}"]
    if seed is not None:
        parts.append(f"seed {seed}")
    if isinstance(trials, int):
        parts.append(f"{trials:,} trials")
    return " · ".join([*parts, versions_text()])


# the order of the index: the main report (a study's executive summary) first
ORDER = ["executive_summary", "incentive_study", "sweep_study", "quota_study",
         "territory_study", "capacity_study", "forecast_study", "years_study"]
KIND = {"executive_summary": "Study: decision memo", "incentive_study": "Study: incentives",
        "sweep_study": "Plan search (sweep)", "quota_study": "Quota methods",
        "territory_study": "Territories", "capacity_study": "Hiring capacity",
        "forecast_study": "Pipeline forecast", "years_study": "Plan years in a row",
        "calibration_study": "Calibration check", "plan_designer": "Plan designer"}

INDEX_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
color:#1d2430;margin:0 auto;padding:1rem 1.25rem;max-width:64rem;line-height:1.45}
h1{font-size:1.6rem}a{color:#1f5fa8;font-weight:600}
table{border-collapse:collapse;width:100%}th,td{padding:.45rem .7rem;text-align:left;
border-bottom:1px solid #d9dee5;vertical-align:top;overflow-wrap:anywhere}
th{background:#f1f4f8}tr.main td{background:#f4f8fd}
@media (max-width:700px){thead{display:none}table,tbody,tr,td{display:block}
tr{border:1px solid #d9dee5;border-radius:6px;margin:0 0 .6rem;padding:.3rem .5rem}
td{border:none;padding:.15rem 0;display:flex;gap:.8rem;justify-content:space-between}
td::before{content:attr(data-label);color:#5b6675}}
"""


def _rank(entry: dict) -> int:
    nb = entry.get("notebook") or ""
    return ORDER.index(nb) if nb in ORDER else len(ORDER)


def index(entries: list[dict]) -> str:
    """The reports index: the main report first, then each kind of report, newest first;
    each with its study, kind, date, seed and trials."""
    def cell(value, name) -> str:
        text = "-" if value is None else (f"{value:,}" if isinstance(value, int) and
                                          name == "Trials" else str(value))
        return f"<td data-label=\"{name}\">{html.escape(text)}</td>"
    rows = []
    newest = sorted(entries, key=lambda e: e.get("date") or "", reverse=True)
    for i, e in enumerate(sorted(newest, key=_rank)):
        main = " class=\"main\"" if i == 0 and e.get("notebook") == "executive_summary" else ""
        notebook = e.get("notebook") or ""
        kind = KIND.get(notebook, label(notebook) if notebook else "-")
        rows.append(f"<tr{main}><td data-label=\"Report\"><a href=\"{html.escape(e['file'])}\">"
                    f"{html.escape(e['study'])}</a></td>{cell(kind, 'Kind')}"
                    f"{cell(e.get('date'), 'Date')}{cell(e.get('seed'), 'Seed')}"
                    f"{cell(e.get('trials'), 'Trials')}</tr>")
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta "
            "name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>spmsim reports</title><style>{INDEX_CSS}</style></head><body>"
            "<h1>spmsim reports</h1><p>Each report is one self-contained page that opens "
            "offline and prints on A4. The study's decision memo comes first.</p>"
            "<table><thead><tr><th>Report</th><th>Kind</th><th>Date</th><th>Seed</th>"
            f"<th>Trials</th></tr></thead><tbody>{''.join(rows)}</tbody></table></body>"
            "</html>\n")
