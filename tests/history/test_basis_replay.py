"""Replay and `--explain` on the attainment basis: the issue's Q1 gate, hand-worked.

Quarterly plan from 2027-01-01 (quarters of 90, 91, 92, 92 days), TI 100,000, one
commission of weight 1.0 on new_arr with a 40 % gate, quota 1,000,000 (base rate 0.1).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from spmsim.data.transactions import load_transactions
from spmsim.history.replay import replay
from spmsim.history.statement import statement
from spmsim.plans import plan_from_dict


def _plan(basis: str):
    return plan_from_dict({"plan": f"Gated {basis}", "ote": 200_000, "base_share": 0.5,
                           "payout_period": "quarter", "year_start": "2027-01-01",
                           "basis": basis, "components": [
                               {"name": "New ARR", "type": "commission", "measure": "new_arr",
                                "weight": 1.0, "threshold": 0.4}]})


def _replay(tmp_path: Path, basis: str):
    files = {"deals.csv": "deal_id,rep_id,date,measure,amount\n" + "".join(
                 f"D{q},A,2027-{m:02d}-15,new_arr,250000\n" for q, m in enumerate((2, 5, 8, 11))),
             "quotas.csv": "rep_id,measure,quota\nA,new_arr,1000000\n",
             "roster.csv": "rep_id,plan\nA,gated\n"}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    tx = load_transactions({"gated": _plan(basis)}, *(tmp_path / n for n in files))
    return replay(tx)


@pytest.mark.parametrize(("basis", "paid"), [
    # annual: 25 % in Q1 is below the gate -> 0; 50 % -> 50,000; then 25,000 twice
    ("annual", [0, 50_000, 25_000, 25_000]),
    # prorated: Q1 250,000 against 1,000,000 x 90/365 = 246,575.34 (101.4 %) -> 25,000
    ("ytd_prorated", [25_000] * 4),
])
def test_replay_pays_an_on_pace_rep_by_the_basis(tmp_path, basis, paid):
    result = _replay(tmp_path, basis)
    assert result.by_period["paid"].tolist() == pytest.approx(paid, abs=0.005)


def test_explain_shows_the_quota_to_date_and_the_gate_it_meets(tmp_path):
    text = statement(_replay(tmp_path, "ytd_prorated"), "A")
    q1 = text[text.index("2027-Q1"):text.index("2027-Q2")]
    # 1,000,000 x 90/365 = 246,575.34 (24.7 %); 250,000 / 246,575.34 = 101.4 %
    assert "quota to date: 1,000,000.00 x 24.7% due by this period's end = 246,575.34" in q1
    assert "base rate = target 24,657.53 / quota 246,575.34 = 10.0000% of credit" in q1
    assert "101.4% of quota reaches the threshold 40.0%: paid from the first dollar" in q1
    assert "band 1 (0.0%): 250,000.00 credit x 1 x base rate = 25,000.00" in q1
    assert "earned to date 25,000.00 - paid before 0.00 = 25,000.00 this period" in q1


def test_explain_on_the_annual_basis_says_the_gate_is_missed(tmp_path):
    text = statement(_replay(tmp_path, "annual"), "A")
    q1 = text[text.index("2027-Q1"):text.index("2027-Q2")]
    assert "quota to date" not in q1
    assert "below the threshold 40.0%: nothing earned" in q1
