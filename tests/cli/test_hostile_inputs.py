"""The ten failures of issue 20, each reproduced through the command line (in-process,
and through both `python -m spmsim` and the `spmsim` script for a few): every one ends in
a result or one message per problem naming the file, with exit code 2 for bad input and 1
for the environment, never a traceback, never a run of injected code.

Full disks and killed runs are in tests/engines/test_results_storage.py and
tests/studies/test_study_storage.py; the YAML reader's limits in tests/test_config.py.
"""

from __future__ import annotations

import io
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
import yaml

from spmsim.cli import main
from spmsim.designer.save import add_variant, save_plan
from spmsim.errors import InputError
from spmsim.report.build import check_parameters, notebook_path

from paths import CRM_EXAMPLE, FY27, NOTEBOOKS, PLANS, ROOT

ENT = PLANS / "enterprise_ae.yaml"


def cli(*args: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


ENTRY_POINTS = {"python -m spmsim": [sys.executable, "-m", "spmsim"],
                "spmsim": [str(Path(sys.executable).with_name("spmsim"))]}


def shell(entry: str, *args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([*ENTRY_POINTS[entry], *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300, check=False)


def _plan(tmp_path: Path, text: str, name: str = "plan.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# 1. code from a notebook parameter's name --------------------------------------------------

INJECTION = 'import os; os.system("touch pwned"); x=1'


@pytest.mark.slow
@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_notebook_parameter_name_never_runs(entry, tmp_path):
    """The original: `spmsim notebook executive_summary -p 'import os; ...; x=1'` created
    `pwned`. Now: exit 2, the notebook's parameters named, nothing created anywhere."""
    proc = shell(entry, "notebook", "executive_summary", "-p", INJECTION, "--reports",
                 tmp_path / "reports", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == (
        f"error: {NOTEBOOKS / 'executive_summary.ipynb'}: parameter "
        f"'import os; os.system(\"touch pwned\"); x': not a parameter of this notebook: "
        "its parameters are out, role")
    assert list(tmp_path.iterdir()) == [] and not (ROOT / "pwned").exists()


def test_unknown_parameter_is_an_error_with_a_suggestion(tmp_path):
    code, _, err = cli("notebook", "quota_study", "-p", "trails=500", "--reports", tmp_path)
    assert code == 2
    assert "parameter 'trails': not a parameter of this notebook: did you mean 'trials'? " \
           "its parameters are scenario, role, methods, trials" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("value, got", [
    ("!!binary aGVsbG8=", "bytes"), ("!!set {a: null}", "set"), ("{1: a}", "keys are text")])
def test_parameter_values_are_plain_data(value, got, tmp_path):
    code, _, err = cli("notebook", "quota_study", "-p", f"role={value}", "--reports", tmp_path)
    assert code == 2 and got in err and "parameter 'role'" in err


def test_every_route_to_papermill_checks_the_names():
    """`execute_notebook` (reports, the sweep report, the manual, parameters from study
    files) checks before anything runs."""
    nb = notebook_path("executive_summary")
    with pytest.raises(InputError, match=r"parameter 'x; import os': not a parameter"):
        check_parameters(nb, {"x; import os": 1})
    with pytest.raises(InputError, match=r"parameter 'class'"):
        check_parameters(nb, {"class": 1})
    assert check_parameters(nb, {"out": "x", "role": "ent_ae"}) == {"out": "x", "role": "ent_ae"}


@pytest.mark.parametrize("option", [["--name", "../escape"], ["--name", "r\n"]])
def test_report_names_are_safe(option, tmp_path):
    code, _, err = cli("notebook", "quota_study", *option, "--reports", tmp_path)
    assert code == 2 and "a report's name is letters, digits" in err
    code, _, err = cli("notebook", "../../etc/passwd", "--reports", tmp_path)
    assert code == 2 and "a notebook's name is letters" in err


# 3. a misspelt optional column -------------------------------------------------------------


def _replay(tmp_path: Path, **files: Path) -> tuple[int, str, str]:
    inputs = {name: files.get(name, FY27 / f"{name}.csv") for name in ("deals", "quotas",
                                                                      "roster")}
    return cli("replay", "--plan", PLANS, *[a for k, v in inputs.items() for a in (f"--{k}", v)],
               "--out", tmp_path / "out")


def test_misspelt_cancel_date_is_refused_not_ignored(tmp_path):
    deals = tmp_path / "deals.csv"
    deals.write_text((FY27 / "deals.csv").read_text().replace("cancel_date", "cancel_dte", 1))
    code, _, err = _replay(tmp_path, deals=deals)
    assert code == 2
    assert err.strip() == (f"error: {deals}: line 1, column 7: unknown column 'cancel_dte' "
                           "(did you mean 'cancel_date'?): rename it to one of deal_id, "
                           "rep_id, date, measure, amount, split, cancel_date, credit_role, "
                           "currency, or remove it")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name, header, extra", [
    ("quotas", "rep_id,measure,quota,from,reason", "region"),
    ("roster", "rep_id,plan,team,start_date,end_date,effective_from,effective_to", "strt_date"),
])
def test_unknown_columns_refused_in_every_file(tmp_path, name, header, extra):
    path = tmp_path / f"{name}.csv"
    text = (FY27 / f"{name}.csv").read_text()
    lines = text.splitlines()
    assert lines[0] == header
    path.write_text("\n".join([f"{lines[0]},{extra}"] + [f"{ln}," for ln in lines[1:]]) + "\n")
    code, _, err = _replay(tmp_path, **{name: path})
    assert code == 2 and f"unknown column {extra!r}" in err and str(path) in err
    if extra == "strt_date":
        assert "(did you mean 'start_date'?)" in err


def test_accounts_refuse_unknown_columns(tmp_path):
    path = tmp_path / "acc.csv"
    path.write_text("account_id,lat,lon,potential,workload,potental\nA1,40,-74,100,5,1\n")
    code, _, err = cli("territory", "optimise", path, "--out", tmp_path / "o")
    assert code == 2
    assert "unknown column 'potental' (did you mean 'potential'?)" in err


def test_crm_exports_refuse_unknown_columns_unless_told_to_ignore(tmp_path):
    folder = tmp_path / "crm"
    shutil_copy(CRM_EXAMPLE, folder)
    opps = folder / "opportunities.csv"
    lines = opps.read_text().splitlines()
    opps.write_text("\n".join([lines[0] + ",Lead Notes"] + [ln + ",called" for ln in lines[1:]])
                    + "\n")
    code, _, err = cli("crm", "check", folder)
    assert code == 2
    assert "unknown column 'Lead Notes'" in err and "extra_columns: ignore" in err
    mapping = folder / "mapping.yaml"
    mapping.write_text(mapping.read_text() + "extra_columns: ignore\n")
    code, out, err = cli("crm", "check", folder)
    assert code == 0, err


def shutil_copy(src: Path, dst: Path) -> None:
    import shutil

    shutil.copytree(src, dst)


# 4. duplicate YAML keys ---------------------------------------------------------------------


def test_duplicate_key_in_a_plan_is_refused_with_both_lines(tmp_path):
    text = ENT.read_text()
    path = _plan(tmp_path, text + "ote: 999\n")
    first = next(i for i, ln in enumerate(text.splitlines(), 1) if ln.startswith("ote:"))
    code, out, err = cli("validate", path)
    assert code == 2 and out == ""
    assert err.strip() == (f"{path}: line {len(text.splitlines()) + 1}: duplicate key 'ote' "
                           f"(first on line {first}): keep one of them")


# 6. infinite and absurd money -------------------------------------------------------------


@pytest.mark.parametrize("old, new, where", [
    ("ote: 300000", "ote: .inf", "ote: Input should be a finite number"),
    ("ote: 300000", "ote: 1e308", "ote: Input should be less than or equal to 1000000000000"),
    ("ote: 300000", "ote: .nan", "ote: Input should be a finite number"),
    ("{upto: 1.5, rate: 2.0}", "{upto: 1.5, rate: .inf}",
     "components[0].tiers[1].rate: Input should be a finite number"),
    ("{upto: 1.5, rate: 2.0}", "{upto: 1.5, rate: 1e9}",
     "components[0].tiers[1].rate: Input should be less than or equal to 1000"),
])
def test_money_and_rates_are_finite_and_bounded(tmp_path, old, new, where):
    text = ENT.read_text()
    assert old in text
    path = _plan(tmp_path, text.replace(old, new, 1))
    code, out, err = cli("validate", path)
    assert code == 2 and out == ""
    assert f"{path}: {where}" in err


def test_absurd_amounts_in_csvs_are_refused(tmp_path):
    deals = tmp_path / "deals.csv"
    text = (FY27 / "deals.csv").read_text()
    first = text.splitlines()[1]
    amount = first.split(",")[4]
    deals.write_text(text.replace(first, first.replace(amount, "1e308"), 1))
    code, _, err = _replay(tmp_path, deals=deals)
    assert code == 2 and "line 2, amount='1e308': larger than 1,000,000,000,000" in err


# 7. messages name the file --------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_non_utf8_plan_names_the_file_and_byte(entry, tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"plan: Caf\xe9 AE\n")
    proc = shell(entry, "validate", path)
    assert proc.returncode == 2
    assert proc.stderr == (f"{path}: line 1, column 10 (byte offset 9): byte 0xe9 is not "
                           "UTF-8 text: save the file as UTF-8\n")


def test_folders_given_as_files_are_named(tmp_path):
    folder = tmp_path / "plans.yaml"
    folder.mkdir()
    code, _, err = cli("validate", folder)
    assert code == 2 and err.strip() == (f"error: {folder}: a folder without plan files "
                                         "(*.yaml, *.yml): name the plan files or their folder")
    for args in (["curve", folder], ["simulate", folder, "--out", tmp_path / "o"]):
        code, _, err = cli(*args)
        assert code == 2
        assert err.strip() == f"error: {folder}: cannot read the file: it is a folder, not a file"
    code, _, err = cli("replay", "--plan", PLANS, "--deals", tmp_path, "--quotas",
                       FY27 / "quotas.csv", "--roster", FY27 / "roster.csv", "--out",
                       tmp_path / "o")
    assert code == 2 and f"{tmp_path}: cannot read the file: it is a folder" in err


def test_non_utf8_csv_names_the_file_and_byte(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_bytes((FY27 / "roster.csv").read_bytes().replace(b"ent-east", b"ent-\xe9st", 1))
    code, _, err = _replay(tmp_path, roster=roster)
    assert code == 2 and f"{roster}: line 2, column" in err and "byte 0xe9 is not UTF-8" in err


# 8. names that become paths ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["plan.yaml\n", "plan.yaml\nx", "a b.yaml", ".plan.yaml",
                                  "plan.yaml.txt", "plan\x00.yaml"])
def test_designer_save_refuses_unsafe_file_names(tmp_path, name):
    tree = yaml.safe_load(ENT.read_text())
    with pytest.raises(InputError, match="a plan file name is letters"):
        save_plan(tree, tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_designer_variant_names_use_fullmatch(tmp_path):
    study = tmp_path / "study.yaml"
    study.write_text(f"study: s\nbase: {ROOT / 'scenarios' / 'acme_baseline.yaml'}\nseed: 1\n"
                     "variants:\n  baseline: {}\n")
    before = study.read_bytes()
    with pytest.raises(InputError, match="a variant name is letters"):
        add_variant(study, "v2\n", ENT, "ent_ae")
    assert study.read_bytes() == before


# 10. resource limits ---------------------------------------------------------------------------


def test_alias_bomb_plan_refused(tmp_path):
    lines = ["plan: x", "a0: &a0 [lol]"] + [
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    path = _plan(tmp_path, "\n".join(lines) + "\n")
    code, _, err = cli("validate", path)
    assert code == 2 and "once its aliases (*name) are expanded" in err and str(path) in err


def test_huge_plan_file_refused(tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as fh:
        fh.write(ENT.read_bytes())
        fh.write(b"# pad\n" * (9 * 1024 * 1024))
    code, _, err = cli("validate", path)
    assert code == 2 and err.strip() == (f"{path}: larger than 2 MB: a plan, scenario or "
                                         "study file is a few kilobytes; is this the right file?")


# the environment: exit 1, one line naming the path ---------------------------------------------


def test_unwritable_output_is_exit_1_naming_the_path(tmp_path):
    """The output's folder cannot be created (here: under /proc): the path the user gave
    is named, not a temporary of ours."""
    target = Path("/proc") / f"spmsim-{tmp_path.name}.csv"
    code, _, err = cli("curve", ENT, "--out", target)
    assert code == 1
    assert err.startswith(f"error: {target}: ") and err.count("\n") == 1


# options on the command line ----------------------------------------------------------------


@pytest.mark.parametrize("args, message", [
    (["simulate", "x.yaml", "--out", "o", "--trials", "0"],
     "error: spmsim simulate: argument --trials: 0 is outside 1 to 10,000,000 "
     "(see spmsim simulate --help)"),
    (["simulate", "x.yaml", "--out", "o", "--memory-mb", "nan"],
     "error: spmsim simulate: argument --memory-mb: nan is not a number above 0 and at most "
     "1e+07 (see spmsim simulate --help)"),
    (["study", "x.yaml", "--out", "o", "--trials", "-3"],
     "error: spmsim study: argument --trials: -3 is outside 1 to 10,000,000 "
     "(see spmsim study --help)"),
    (["territory", "optimise", "a.csv", "--out", "o", "--balance", "inf"],
     "error: spmsim territory optimise: argument --balance: inf is not a number above 0 and "
     "at most 100 (see spmsim territory optimise --help)"),
    (["simulate", "x.yaml", "--out", "o", "--seed", "x"],
     "error: spmsim simulate: argument --seed: 'x' is not a whole number "
     "(see spmsim simulate --help)"),
])
def test_bad_options_are_one_line_exit_2(capsys, args, message):
    assert main(args) == 2
    assert capsys.readouterr().err == message + "\n"


@pytest.mark.parametrize("quota", ["new_arr=inf", "new_arr=nan", "new_arr=-5", "new_arr=1e308"])
def test_command_line_quotas_are_finite_and_positive(quota):
    code, _, err = cli("curve", ENT, "--quota", quota)
    assert code == 2 and f"--quota {quota!r}: an amount above 0" in err


def test_an_output_path_under_a_file_is_bad_input(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = cli("simulate", ROOT / "scenarios" / "acme_baseline.yaml", "--trials", "2",
                       "--no-progress", "--out", blocker / "run")
    assert code == 2
    assert err == f"error: {blocker}: is a file, not a folder: choose another output path\n"
    assert blocker.read_text() == "x"


def test_a_damaged_reports_index_stops_before_anything_runs(tmp_path):
    index = tmp_path / "index.json"
    for text in ("{not json", '[{"file": "a.html"}]', '"text"'):
        index.write_text(text)
        code, _, err = cli("notebook", "quota_study", "--reports", tmp_path)
        assert code == 2
        assert err == (f"error: {index}: not a reports index as spmsim writes it: remove it "
                       "(it is rebuilt as reports are written)\n")
        assert sorted(p.name for p in tmp_path.iterdir()) == ["index.json"]
