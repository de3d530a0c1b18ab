"""One version (the package metadata's), `spmsim --version`, and the versions of spmsim and
numpy recorded in every result and report, since numpy's distributions may change between
releases and "same seed, same numbers" holds only for the same pair."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from importlib.metadata import version

import numpy as np
import pandas as pd

import spmsim
from spmsim.report import page
from spmsim.versions import versions, versions_text

from paths import ACME, ROOT

EXPECTED = {"spmsim_version": version("spmsim"), "numpy_version": np.__version__}


def test_the_version_is_written_once_in_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert spmsim.__version__ == version("spmsim") == project["version"]
    hard_coded = [p for p in (ROOT / "spmsim").rglob("*.py")
                  if re.search(r"__version__\s*=\s*['\"]\d+\.\d+", p.read_text())]
    assert hard_coded == []


def test_spmsim_version_prints_it():
    proc = subprocess.run([sys.executable, "-m", "spmsim", "--version"], capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0 and proc.stdout == f"spmsim {version('spmsim')}\n"


def test_versions_in_readers_words():
    assert versions() == EXPECTED
    assert versions_text() == f"spmsim {version('spmsim')}, numpy {np.__version__}"
    line = page.facts("2027-01-01 09:00 UTC", 7, 1000)
    assert line == f"run 2027-01-01 09:00 UTC · seed 7 · 1,000 trials · {versions_text()}"


def test_a_saved_result_records_them(tmp_path):
    results = spmsim.simulate(spmsim.load_scenario(ACME, trials=4), progress=False)
    results.save(tmp_path / "run")
    meta = json.loads((tmp_path / "run" / "meta.json").read_text())
    assert {k: meta[k] for k in EXPECTED} == EXPECTED
    assert spmsim.Results.load(tmp_path / "run").n_trials == 4  # the reader still reads it


def test_a_capacity_plan_and_quota_methods_record_them(tmp_path):
    from spmsim.cli import main

    from paths import ACME_TERRITORIES, CAPACITY

    assert main(["capacity", str(CAPACITY / "acme_capacity.yaml"), "--trials", "50",
                 "--out", str(tmp_path / "cap"), "--no-progress"]) == 0
    echo = json.loads((tmp_path / "cap" / "capacity.json").read_text())
    assert {k: echo[k] for k in EXPECTED} == EXPECTED and echo["trials"] == 50
    assert main(["quota", str(ACME_TERRITORIES), "--role", "smb_ae", "--method", "equal",
                 "--trials", "8", "--out", str(tmp_path / "quota")]) == 0
    table = pd.read_csv(tmp_path / "quota" / "quota_methods.csv", dtype=str)
    assert table[list(EXPECTED)].drop_duplicates().to_dict("records") == [EXPECTED]
