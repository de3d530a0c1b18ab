"""A real public CRM export (Maven Analytics "CRM Sales Opportunities", public domain; see
tests/data/crm_exports/*/PROVENANCE.md) read as it is downloaded: only a mapping file is
ours. Each test pins a failure the export showed before the mapping could derive fields
and accept what real exports leave blank."""

from __future__ import annotations

import hashlib
import re
import shutil

import pytest

from spmsim.cli import main
from spmsim.data.crm import ColumnMapping, check_history, load_mapping, read_history

from paths import TEST_DATA

MAVEN = TEST_DATA / "crm_exports" / "maven_crm_sales_opportunities"


@pytest.fixture(scope="module")
def maven():
    with pytest.warns(UserWarning, match="assumed"):
        return read_history(MAVEN)


def test_the_csvs_are_the_published_bytes():
    """PROVENANCE.md lists the SHA-256 of each CSV as extracted: no edits, ever."""
    listed = dict((name, digest) for digest, name in re.findall(
        r"^([0-9a-f]{64})  (\S+\.csv)$", (MAVEN / "PROVENANCE.md").read_text(), re.M))
    assert len(listed) == 5
    for name, digest in listed.items():
        assert hashlib.sha256((MAVEN / name).read_bytes()).hexdigest() == digest, name


def test_reads_with_a_mapping_only_and_lists_every_assumption(maven):
    """No IsClosed/IsWon, Type, Role or hire-date columns: flags are derived from the stage
    names, Type and Role come from the mapping's defaults, and each is said."""
    _, report = check_history(MAVEN)
    assert report.ok and sum(report.rows.values()) == 8_800 + 35 + 85
    said = "\n".join(report.assumptions)
    for text in ("no Role column, every row taken as 'Sales Agent'",
                 "no Type column, every row taken as 'New Business'",
                 "no IsClosed/IsWon columns; derived from the stage names",
                 "2,089 open deal(s) without an amount; imputed",
                 "500 open deal(s) without a created date",
                 "35 rep(s) without a hire date"):
        assert text in said
    o = maven.opportunities
    assert (o["IsWon"].sum(), (o["IsClosed"] & ~o["IsWon"]).sum(), (~o["IsClosed"]).sum()) \
        == (4238, 2473, 2089)
    assert report.imputed == {"amounts": 2089, "created_dates": 500, "close_dates": 2089,
                              "hire_dates": 35}
    # products, managers and regions have somewhere to go; unmapped columns are ignored
    assert o["Product"].nunique() == 7
    assert set(maven.roster["Region"]) == {"Central", "East", "West"}
    assert maven.roster["Manager"].nunique() == 6
    assert list(maven.accounts.columns) == ["Id", "Name", "Segment", "BillingState",
                                            "AnnualRevenue"]


def test_blank_cells_are_not_bad_dates_and_malformed_ones_are(tmp_path):
    """Before: thousands of blank close dates of open deals were 'not a date'. Now a blank
    is fine where the row may lack the date, reported as blank where it needs one, and a
    malformed date is still named with its line."""
    folder = tmp_path / "maven"
    shutil.copytree(MAVEN, folder)
    path = folder / "sales_pipeline.csv"
    lines = path.read_text().splitlines(keepends=True)
    won = next(i for i, x in enumerate(lines) if ",Won," in x)
    lost = next(i for i, x in enumerate(lines) if ",Lost," in x)
    lines[won] = re.sub(r",(\d{4}-\d\d-\d\d),(\d+)\s*$", r",,\2\n", lines[won])  # no close
    cells = lines[lost].split(",")
    cells[5] = "17/" + cells[5]  # a malformed engage date
    lines[lost] = ",".join(cells)
    path.write_text("".join(lines))
    _, report = check_history(folder)
    kinds = report.kinds["sales_pipeline.csv"]
    assert kinds == {"missing dates": 1, "bad dates": 1}
    text = report.text()
    assert f"line {won + 1}, CloseDate='': blank: this row needs the date" in text
    assert f"line {lost + 1}, CreatedDate='17/" in text and "not a date: write it as " \
        "YYYY-MM-DD (or set date_formats.CreatedDate in the mapping)" in text


def test_drop_bad_keeps_the_open_deals(tmp_path):
    """Before: --drop-bad dropped every open deal (their blank dates were 'bad')."""
    folder = tmp_path / "maven"
    shutil.copytree(MAVEN, folder)
    path = folder / "sales_pipeline.csv"
    lines = path.read_text().splitlines(keepends=True)
    i = next(i for i, x in enumerate(lines) if ",Engaging," in x)
    cells = lines[i].split(",")
    cells[5] = "17/" + cells[5]  # one open deal's engage date malformed
    lines[i] = ",".join(cells)
    path.write_text("".join(lines))
    with pytest.warns(UserWarning, match="assumed"):
        history = read_history(folder, drop_bad=True)
    assert (~history.opportunities["IsClosed"]).sum() == 2089 - 1


def test_cli_check_prints_the_assumptions(capsys):
    assert main(["crm", "check", str(MAVEN)]) == 0
    out = capsys.readouterr().out
    assert "sales_pipeline.csv: 8,800 rows, all good" in out and "assumed: " in out


def test_mapping_options_are_checked(tmp_path):
    bad = tmp_path / "mapping.yaml"
    bad.write_text("derive: {opportunities: {Type: {column: product, values: {x: Nope}}}}\n"
                   "date_formats: {Amount: '%Y'}\n")
    with pytest.raises(Exception, match="date_formats.Amount: not a date column"):
        load_mapping(bad)
    m = ColumnMapping(derive={"opportunities": {"Type": {
        "column": "product", "values": {"GTK 500": "Existing Business"},
        "otherwise": "New Business"}}}, **load_mapping(MAVEN / "mapping.yaml").model_dump(
        exclude={"derive"}))
    with pytest.warns(UserWarning, match="Type derived from 'product'"):
        history = read_history(MAVEN, m)
    kinds = history.opportunities.groupby("Type")["Product"].unique()
    assert list(kinds["Existing Business"]) == ["GTK 500"]


def test_unmapped_columns_are_refused_unless_the_mapping_ignores_them(tmp_path):
    """accounts.csv carries year_established, employees, ...: without `extra_columns:
    ignore` each is named with its column number; a misspelt mapped name would be too."""
    folder = tmp_path / "maven"
    shutil.copytree(MAVEN, folder)
    text = (folder / "mapping.yaml").read_text()
    (folder / "mapping.yaml").write_text(text.replace("extra_columns: ignore", ""))
    with pytest.raises(Exception, match=r"line 1, column 3: unknown column 'year_established'"
                                        r".*extra_columns: ignore"):
        read_history(folder)
