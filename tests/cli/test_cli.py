"""The command line on the shipped example: validate, replay, --explain, compare, curve, schema.

Most runs are in-process through `spmsim.cli.main`; a few run `python -m spmsim` as a real
subprocess to check the exit code a shell sees. Also: `atomic_write_text` never leaves a
half-written file or a temp file behind.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pandas as pd
import pytest

import spmsim.io
from spmsim.cli import main
from spmsim.io import atomic_write_text

from paths import FY27, PLANS, ROOT

PLAN_FILES = sorted(PLANS.glob("*.yaml"))
INPUTS = ["--deals", str(FY27 / "deals.csv"), "--quotas", str(FY27 / "quotas.csv"),
          "--roster", str(FY27 / "roster.csv")]
REPLAY_FILES = {"payouts_by_component.csv", "payouts_by_period.csv", "payouts_by_rep.csv",
                "plan_summary.csv", "summary.txt"}
COMPARE_FILES = {"compare_by_rep.csv", "compare_summary.csv", "comparison.txt"}
MONEY = r"-?[\d,]+\.\d\d"


def cli(*args: str | Path) -> tuple[int, str, str]:
    """Run `spmsim args` in-process: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def run_cli(capsys, *args: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def subprocess_cli(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "spmsim", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)


def money(text: str) -> float:
    return float(text.replace(",", ""))


@pytest.fixture(scope="module")
def replayed(tmp_path_factory) -> tuple[Path, str]:
    """The shipped example replayed once: output folder and stdout."""
    out = tmp_path_factory.mktemp("replay") / "out"
    code, stdout, stderr = cli("replay", "--plan", PLANS, *INPUTS, "--out", out)
    assert code == 0, stderr
    return out, stdout


@pytest.fixture(scope="module")
def compared(tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("compare") / "out"
    code, stdout, stderr = cli("compare", PLANS / "enterprise_ae.yaml",
                               PLANS / "enterprise_ae_proposed.yaml", "--plan", PLANS,
                               *INPUTS, "--out", out)
    assert code == 0, stderr
    return out, stdout


def bad_deals(tmp_path: Path) -> tuple[Path, list[int]]:
    """A copy of the shipped deals with unparseable dates on two lines."""
    lines = (FY27 / "deals.csv").read_text().splitlines()
    bad = [3, 10]  # 1-based line numbers; line 1 is the header
    for n in bad:
        cells = lines[n - 1].split(",")
        cells[2] = "2027-02-31"
        lines[n - 1] = ",".join(cells)
    path = tmp_path / "bad_deals.csv"
    path.write_text("\n".join(lines) + "\n")
    return path, bad


# --- validate ------------------------------------------------------------------------------


def test_validate_the_shipped_plans(capsys):
    code, out, err = run_cli(capsys, "validate", PLANS)
    assert code == 0
    assert err == ""
    lines = out.splitlines()
    assert len(lines) == len(PLAN_FILES) >= 5  # every shipped plan, one line each
    for line, path in zip(lines, PLAN_FILES, strict=True):
        assert line.startswith(f"ok  {path}: "), line
        assert "weights 100% of TI" in line


PLAN_HEAD = "plan: Broken\note: 100000\nbase_share: 0.5\nyear_start: 2027-01-01\ncomponents:\n"
BROKEN = {  # field path reported -> the plan's components
    "components[0].tiers": """
        - name: New ARR
          type: commission
          measure: new_arr
          weight: 1.0
          tiers:
            - {upto: 1.0, rate: 1.0}
            - {upto: 0.5, rate: 2.0}
    """,
    "components[0].tiers[0].rate": """
        - name: New ARR
          type: commission
          measure: new_arr
          weight: 1.0
          tiers:
            - {upto: 1.0, rate: -1.0}
            - {rate: 2.0}
    """,
    "components[1].wieght": """
        - {name: New ARR, type: commission, measure: new_arr, weight: 0.8}
        - {name: Renewals, type: bonus, measure: renewals, wieght: 0.2, curve: [[1.0, 1.0]]}
    """,
}


@pytest.mark.parametrize("field", list(BROKEN))
def test_validate_a_broken_plan_names_the_file_and_field(capsys, tmp_path, field):
    broken = tmp_path / "broken.yaml"
    broken.write_text(PLAN_HEAD + textwrap.indent(textwrap.dedent(BROKEN[field]), "  "))
    good = PLANS / "smb_ae.yaml"
    code, out, err = run_cli(capsys, "validate", broken, good)
    assert code == 2
    assert f"{broken}: {field}" in err, err
    assert "smb_ae.yaml" not in err
    assert out.startswith(f"ok  {good}: ")  # the good file is still checked


def test_validate_a_broken_plan_exits_2_in_a_real_process(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(PLAN_HEAD + "  - {name: X, type: commission, measure: m, weight: 1.0,\n"
                      "     tiers: [{upto: 1.0, rate: 1.0}, {upto: 0.5, rate: 2.0}]}\n")
    proc = subprocess_cli("validate", broken)
    assert proc.returncode == 2
    assert f"{broken}: components[0].tiers" in proc.stderr
    ok = subprocess_cli("validate", PLANS)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.count("ok  ") == len(PLAN_FILES)


# --- replay --------------------------------------------------------------------------------


def test_replay_writes_the_five_outputs_and_nothing_else(replayed):
    out, stdout = replayed
    assert {p.name for p in out.iterdir()} == REPLAY_FILES
    assert not list(out.glob(".*.tmp"))
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    assert f"wrote {out}/payouts_by_component.csv" in stdout
    summary = (out / "summary.txt").read_text()
    # stdout starts with the summary table that summary.txt holds
    assert stdout.startswith(summary.rstrip("\n"))
    plans = pd.read_csv(out / "plan_summary.csv")
    assert sorted(plans["plan"]) == ["account_manager", "enterprise_ae", "sales_manager",
                                     "smb_ae", "strategic_ae"]
    roster = pd.read_csv(FY27 / "roster.csv")
    by_rep = pd.read_csv(out / "payouts_by_rep.csv")
    # one row per rep and plan (a promoted rep has two), in the roster's order of reps
    assert list(dict.fromkeys(by_rep["rep_id"])) == list(dict.fromkeys(roster["rep_id"]))
    pairs = roster.drop_duplicates(["rep_id", "plan"])
    assert sorted(zip(by_rep["rep_id"], by_rep["plan"], strict=True)) == \
        sorted(zip(pairs["rep_id"], pairs["plan"], strict=True))
    assert plans["reps"].sum() == len(pairs)
    assert plans["net_paid"].sum() == pytest.approx(by_rep["net_paid"].sum(), abs=0.05)


def test_replay_twice_gives_byte_identical_files(replayed, tmp_path):
    first, _ = replayed
    second = tmp_path / "again"
    code, _, err = cli("replay", "--plan", PLANS, *INPUTS, "--out", second)
    assert code == 0, err
    assert {p.name for p in second.iterdir()} == REPLAY_FILES
    for name in sorted(REPLAY_FILES):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_replay_over_an_earlier_run_replaces_files_and_leaves_no_temp_files(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.txt").write_text("stale\n")
    code, _, err = cli("replay", "--plan", PLANS, *INPUTS, "--out", out)
    assert code == 0, err
    assert {p.name for p in out.iterdir()} == REPLAY_FILES
    assert (out / "summary.txt").read_text() != "stale\n"


def test_replay_with_a_bad_csv_exits_2_names_it_and_writes_nothing(tmp_path):
    deals, bad = bad_deals(tmp_path)
    out = tmp_path / "out"
    proc = subprocess_cli("replay", "--plan", PLANS, "--deals", deals,
                          "--quotas", FY27 / "quotas.csv", "--roster",
                          FY27 / "roster.csv", "--out", out)
    assert proc.returncode == 2
    assert proc.stdout == ""
    for n in bad:
        assert f"{deals}: line {n}, date='2027-02-31'" in proc.stderr, proc.stderr
    assert not out.exists()


# a bad copy of one shipped CSV: (file, text to replace on line 2, replacement)
CORRUPT = {
    "quotas": ("ENT01,new_arr,1200000.0", "ENT01,new_arr,-1"),
    "roster": ("ENT01,enterprise_ae,", "ENT01,no_such_plan,"),
}


@pytest.mark.parametrize("which", ["deals", "quotas", "roster"])
def test_replay_with_a_bad_csv_leaves_an_existing_out_folder_empty(tmp_path, which):
    paths = {name: FY27 / f"{name}.csv" for name in ("deals", "quotas", "roster")}
    if which == "deals":
        paths["deals"], bad = bad_deals(tmp_path)
    else:
        old, new = CORRUPT[which]
        lines = paths[which].read_text().splitlines()
        assert lines[1].startswith(old)
        lines[1] = lines[1].replace(old, new)
        paths[which], bad = tmp_path / f"bad_{which}.csv", [2]
        paths[which].write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    out.mkdir()
    code, stdout, err = cli("replay", "--plan", PLANS, "--deals", paths["deals"],
                            "--quotas", paths["quotas"], "--roster", paths["roster"],
                            "--out", out)
    assert code == 2
    assert err.startswith("error")
    for n in bad:
        assert f"{paths[which]}: line {n}, " in err, err
    assert list(out.iterdir()) == []
    assert "wrote" not in stdout


def test_replay_with_a_broken_plan_exits_2_and_writes_nothing(tmp_path):
    plans = tmp_path / "plans"
    shutil.copytree(PLANS, plans)
    sm = plans / "sales_manager.yaml"
    sm.write_text(sm.read_text().replace("ote:", "otee:"))
    out = tmp_path / "out"
    code, _, err = cli("replay", "--plan", plans, *INPUTS, "--out", out)
    assert code == 2
    assert str(sm) in err
    assert "otee" in err
    assert not out.exists()


# --- --explain -----------------------------------------------------------------------------


def test_explain_prints_a_statement_whose_net_paid_lines_add_up(capsys, replayed):
    # AM06 starts on 15 July, paid on the quota due over their own days: their earnings
    # fall short of the new-hire draw in their first quarter, so a draw is advanced
    out, _ = replayed
    code, text, err = run_cli(capsys, "replay", "--plan", PLANS, *INPUTS, "--explain",
                              "AM06")
    assert code == 0, err
    assert text.startswith("Statement for AM06 on Account Manager FY27 (USD)")
    assert "draw" in text
    labels = [f"2027-Q{q} (period {q})" for q in range(1, 5)]
    positions = [text.index(label) for label in labels]
    assert positions == sorted(positions)
    net = [money(m) for m in re.findall(rf"^  net paid: .* = ({MONEY})", text, re.M)]
    assert len(net) == 4
    by_rep = pd.read_csv(out / "payouts_by_rep.csv").set_index("rep_id")
    assert sum(net) == pytest.approx(by_rep.loc["AM06", "net_paid"], abs=0.02)
    year = re.search(rf"^Year: earned {MONEY}, net paid ({MONEY})", text, re.M)
    assert year and money(year[1]) == pytest.approx(by_rep.loc["AM06", "net_paid"], abs=0.01)
    by_period = pd.read_csv(out / "payouts_by_period.csv")
    periods = by_period[by_period["rep_id"] == "AM06"]
    assert list(periods["period_label"]) == [f"2027-Q{q}" for q in range(1, 5)]
    assert net == pytest.approx(list(periods["net_paid"]), abs=0.01)
    # an advance shows up as a draw line in the period it was paid
    assert periods["draw"].sum() > 0
    assert "advanced" in text


def test_explain_an_unknown_rep_exits_2(capsys, tmp_path):
    code, out, err = run_cli(capsys, "replay", "--plan", PLANS, *INPUTS, "--explain",
                             "NOBODY", "--out", tmp_path / "out")
    assert code == 2
    assert "NOBODY" in err and "not in the roster" in err
    assert out == ""
    assert not (tmp_path / "out").exists()


# --- compare -------------------------------------------------------------------------------


def test_compare_writes_its_three_files(compared):
    out, stdout = compared
    assert {p.name for p in out.iterdir()} == COMPARE_FILES
    assert (out / "comparison.txt").read_text() == stdout.split("\n\nwrote ")[0] + "\n"
    summary = pd.read_csv(out / "compare_summary.csv")
    assert list(summary["version"]) == ["old", "new"]
    assert list(summary["plan"]) == ["Enterprise AE FY27", "Enterprise AE FY27 (proposed)"]


def test_compare_prints_in_words(compared):
    _, stdout = compared
    shown = stdout.split("\nwrote ")[0]
    assert re.search(r"^Current plan\s+\$[\d,]+\s+\$[\d,]+\s+[\d.]+%", shown, re.M)
    assert re.search(r"^Change\s+[-+]?\$[\d,]+ .* pts", shown, re.M)
    assert "Biggest winners:" in shown and "Pay on the new plan" in shown
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", shown)  # no column names
    # the totals add up: the change is new minus current
    current, new, change = (money(m.replace("$", "").replace("+", "")) for m in re.findall(
        r"^(?:Current plan|New plan|Change)\s+(-?\+?\$[\d,]+)", shown, re.M))
    assert change == pytest.approx(new - current, abs=1)


def test_compare_counts_every_enterprise_rep_once(compared):
    out, stdout = compared
    roster = pd.read_csv(FY27 / "roster.csv")
    ent = set(roster.loc[roster["plan"] == "enterprise_ae", "rep_id"])
    by_rep = pd.read_csv(out / "compare_by_rep.csv")
    assert set(by_rep["rep_id"]) == ent and by_rep["rep_id"].is_unique
    counts = re.search(r"^reps: (\d+); wins (\d+), loses (\d+), unchanged (\d+)$", stdout, re.M)
    assert counts, stdout
    reps, wins, loses, unchanged = map(int, counts.groups())
    assert reps == wins + loses + unchanged == len(ent)
    assert by_rep["outcome"].value_counts().to_dict() == {
        k: v for k, v in {"wins": wins, "loses": loses, "unchanged": unchanged}.items() if v}


def test_compare_old_pay_is_the_plain_replay_pay(compared, replayed):
    out, _ = compared
    by_rep = pd.read_csv(out / "compare_by_rep.csv").set_index("rep_id")
    replay_out, _ = replayed
    paid = pd.read_csv(replay_out / "payouts_by_rep.csv").query(
        "plan == 'enterprise_ae'").set_index("rep_id")["net_paid"]
    for rep, row in by_rep.iterrows():
        assert row["old_pay"] == pytest.approx(paid[rep], abs=0.005), rep
    assert (by_rep["change"] - (by_rep["new_pay"] - by_rep["old_pay"])).abs().max() < 0.02
    old_total = pd.read_csv(out / "compare_summary.csv").set_index("version").loc[
        "old", "variable_pay"]
    assert old_total == pytest.approx(by_rep["old_pay"].sum(), abs=0.1)


# --- curve and schema ----------------------------------------------------------------------


def test_curve_pays_all_of_ti_at_quota(capsys, tmp_path):
    csv = tmp_path / "curve.csv"
    code, out, err = run_cli(capsys, "curve", PLANS / "enterprise_ae.yaml", "--out", csv)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("Enterprise AE FY27: payout as % of TI (150,000 USD)")
    assert "MBO scores at 1.0" in lines[1] and "SPIFs left out" in lines[1]  # assumptions said
    assert lines[2].split() == ["component", "MBO", "New", "ARR", "Total"]
    row = next(line.split() for line in lines if line.split()[0] == "1.0")
    at_quota = dict(zip(["MBO", "New ARR", "Total"], row[1:], strict=True))
    # 0.9 weight of commission at 1.0x plus MBO 0.1 at score 1.0; the SPIF is left out
    assert at_quota == {"MBO": "10.0%", "New ARR": "90.0%", "Total": "100.0%"}
    assert [line.split()[0] for line in lines[4:]] == [f"{i / 10:.1f}" for i in range(21)]
    curve = pd.read_csv(csv)
    one = curve[curve["attainment"].round(6) == 1.0].set_index("component")
    assert one.loc["Total", "pct_of_ti"] == pytest.approx(1.0)
    assert one.loc["Total", "payout"] == pytest.approx(150_000)
    assert one.loc["New ARR", "pct_of_ti"] == pytest.approx(0.9)
    assert one.loc["MBO", "pct_of_ti"] == pytest.approx(0.1)


def test_schema_prints_json_with_components(capsys):
    code, out, _ = run_cli(capsys, "schema")
    assert code == 0
    schema = json.loads(out)
    assert "components" in schema["properties"]
    assert "components" in schema["required"]


# --- atomic writes -------------------------------------------------------------------------


def test_atomic_write_replaces_the_file(tmp_path):
    target = tmp_path / "sub" / "report.txt"
    assert atomic_write_text(target, "one\n") == target
    atomic_write_text(target, "two\n")
    assert target.read_text() == "two\n"
    assert [p.name for p in target.parent.iterdir()] == ["report.txt"]


def test_a_failed_rename_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch):
    target = tmp_path / "report.txt"
    target.write_text("old contents\n")

    def refuse(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(spmsim.io.os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(target, "new contents\n")
    assert target.read_text() == "old contents\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path):
    target = tmp_path / "report.txt"
    target.write_text("old contents\n")
    with pytest.raises(TypeError):
        atomic_write_text(target, b"bytes are not text")  # type: ignore[arg-type]
    assert target.read_text() == "old contents\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_written_files_get_the_usual_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        target = atomic_write_text(tmp_path / "report.txt", "x\n")
    finally:
        os.umask(old)
    assert target.stat().st_mode & 0o777 == 0o644


def test_two_plan_files_with_the_same_stem_are_refused(tmp_path, capsys):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "smb_ae.yaml").write_text(
            (PLANS / "smb_ae.yaml").read_text())
    code, _, err = run_cli(capsys, "replay", "--plan", tmp_path / "a", "--plan", tmp_path / "b",
                           "--deals", "x.csv", "--quotas", "y.csv", "--roster", "z.csv",
                           "--out", tmp_path / "out")
    assert code == 2
    assert "smb_ae" in err and "rename one of them" in err
    assert not (tmp_path / "out").exists()


def _commands(parser) -> list[list[str]]:
    """Every command path of the CLI: ['validate'], ['territory', 'optimise'], ..."""
    found = []
    for action in parser._actions:
        if action.__class__.__name__ == "_SubParsersAction":
            for name, sub in action.choices.items():
                found.append([name])
                found += [[name, *rest] for rest in _commands(sub)]
    return found


def test_every_help_page_prints(capsys):
    from spmsim.cli import build_parser
    commands = _commands(build_parser())
    assert ["sweep"] in commands and ["territory", "optimise"] in commands
    for command in [[], *commands]:
        with pytest.raises(SystemExit) as e:
            main([*command, "--help"])
        assert e.value.code == 0, command
        assert "usage: spmsim" in capsys.readouterr().out, command


def test_quota_methods_print_in_words(tmp_path):
    from paths import ACME_TERRITORIES

    code, out, _ = cli("quota", ACME_TERRITORIES, "--role", "smb_ae", "--method", "potential",
                       "--method", "equal", "--trials", "16", "--out", tmp_path / "quota")
    assert code == 0
    assert out.startswith("Quota methods for SMB AE, 16 simulated years each")
    assert "Territory potential" in out and "Fairness (higher is better)" in out
    assert re.search(r"Variable pay, typical year \(P50\)\s+\$\d", out)
    assert "fairest: " in out
    shown = out.split("wrote")[0]
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", shown) and not re.search(r"\d\.\d{4,}", shown)
