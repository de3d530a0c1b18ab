"""Where the tests find the repository's files: every path in one place.

Test modules import these names (`from paths import ACME`); `conftest.py` puts this
folder on the import path.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
PLANS = SCENARIOS / "plans"
ACME = SCENARIOS / "acme_baseline.yaml"
ACME_STEEPER = SCENARIOS / "acme_steeper_accelerator.yaml"
ACME_TERRITORIES = SCENARIOS / "acme_territories.yaml"
FY27 = SCENARIOS / "data" / "fy27"
CRM_EXAMPLE = SCENARIOS / "data" / "crm"
SMB_ACCOUNTS = SCENARIOS / "data" / "territories" / "smb_accounts.csv"
STUDIES = SCENARIOS / "studies"
DEFAULT_STUDY = STUDIES / "default.yaml"
SWEEP_STUDY = STUDIES / "sweep_accelerator.yaml"
CAPACITY = SCENARIOS / "capacity"
NOTEBOOKS = ROOT / "spmsim" / "notebooks"  # the one copy; notebooks/ links to it
REPORTS = ROOT / "reports"
TEST_DATA = ROOT / "tests" / "data"
