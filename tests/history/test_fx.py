"""Currencies in replay, worked by hand: deals in EUR and GBP paid in a USD plan at the
plan rate or the rate of their date; a clawback reverses at the booking rate; every
converted figure shows its rate in the statement.

Plans pay 10 % of credit (percent rates, amount tiers), monthly, FY2027.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from spmsim.errors import InputError
from spmsim.history.replay import plan_summary
from spmsim.history.statement import statement
from spmsim.plans import load_plan

from crediting_helpers import plan, replay_csv, write_csv

DEALS = "deal_id,rep_id,date,measure,amount,currency,cancel_date"
ROSTER = ("rep_id,plan", ["A,ae"])
COMMISSION = [{"name": "Bookings", "type": "commission", "measure": "new_arr",
               "rates": "percent", "tier_basis": "amount", "tiers": [{"rate": 0.1}]}]


def fx_plan(tmp_path: Path, policy: str, rows: list[str], **extra):
    header = "currency,rate,date" if policy == "dated" else "currency,rate"
    rates = write_csv(tmp_path / "rates.csv", header, rows)
    return plan("AE", COMMISSION, fx={"file": str(rates), "policy": policy}, **extra)


def paid(result) -> np.ndarray:
    return result.by_period["paid"].to_numpy()


def test_plan_rates_convert_eur_and_gbp_into_the_plan_currency(tmp_path):
    # EUR 100,000 x 1.10 = 110,000 -> 11,000 (Feb); GBP 50,000 x 1.25 = 62,500 -> 6,250
    # (Mar); USD 10,000 and a blank currency 5,000 at 1 -> 1,500 (Apr)
    ae = fx_plan(tmp_path, "plan_rate", ["EUR,1.10", "GBP,1.25"])
    result = replay_csv(tmp_path, {"ae": ae},
                        (DEALS, ["D1,A,2027-02-10,new_arr,100000,EUR,",
                                 "D2,A,2027-03-10,new_arr,50000,GBP,",
                                 "D3,A,2027-04-10,new_arr,10000,USD,",
                                 "D4,A,2027-04-11,new_arr,5000,,"]), [], ROSTER)
    assert paid(result)[1:4] == pytest.approx([11_000, 6_250, 1_500])
    # revenue in the plan's currency: 110,000 + 62,500 + 15,000
    assert plan_summary(result, ["new_arr"]).iloc[0]["revenue"] == pytest.approx(187_500)


DATED = ["EUR,1.10,2027-01-01", "EUR,1.20,2027-03-01"]


def test_dated_rates_take_the_latest_rate_on_or_before_the_deal(tmp_path):
    # 10 Feb at 1.10 -> 11,000; 1 Mar (the day the new rate starts) at 1.20 -> 12,000
    result = replay_csv(tmp_path, {"ae": fx_plan(tmp_path, "dated", DATED)},
                        (DEALS, ["D1,A,2027-02-10,new_arr,100000,EUR,",
                                 "D2,A,2027-03-01,new_arr,100000,EUR,"]), [], ROSTER)
    assert paid(result)[1:3] == pytest.approx([11_000, 12_000])


def test_fx_on_a_clawback_reverses_at_the_booking_rate(tmp_path):
    # EUR 100,000 booked 10 Feb at 1.10 earns 11,000; cancelled 1 Apr, when the rate is
    # 1.20: April pays -11,000 (what the deal earned), not -12,000
    ae = fx_plan(tmp_path, "dated", DATED, clawback={"within_days": 90})
    result = replay_csv(tmp_path, {"ae": ae},
                        (DEALS, ["D1,A,2027-02-10,new_arr,100000,EUR,2027-04-01"]), [], ROSTER)
    assert paid(result)[[1, 3]] == pytest.approx([11_000, -11_000])


def test_a_credit_memo_in_eur_converts_at_its_own_date(tmp_path):
    # Feb EUR 100,000 at 1.10 -> 11,000; May memo EUR -10,000 at 1.20 = -12,000 -> -1,200
    result = replay_csv(tmp_path, {"ae": fx_plan(tmp_path, "dated", DATED)},
                        (DEALS, ["D1,A,2027-02-10,new_arr,100000,EUR,",
                                 "CM1,A,2027-05-10,new_arr,-10000,EUR,"]), [], ROSTER)
    assert paid(result)[[1, 4]] == pytest.approx([11_000, -1_200])


def test_the_statement_shows_each_converted_deal_with_its_rate(tmp_path):
    result = replay_csv(tmp_path, {"ae": fx_plan(tmp_path, "plan_rate", ["EUR,1.10"])},
                        (DEALS, ["D1,A,2027-02-10,new_arr,100000,EUR,"]), [], ROSTER)
    text = statement(result, "A")
    assert "deal D1: 110,000.00 -> credited 110,000.00 (€100,000.00 x 1.1000 EUR->USD = " \
           "$110,000.00)" in text
    assert "converted to USD at the plan rate" in text


def test_a_foreign_deal_on_a_plan_without_fx_says_how_to_fix_it(tmp_path):
    with pytest.raises(InputError, match="plan 'ae' pays in USD: convert the amount, or give "
                                         "the plan `fx:"):
        replay_csv(tmp_path, {"ae": plan("AE", COMMISSION)},
                   (DEALS, ["D1,A,2027-02-10,new_arr,100000,EUR,"]), [], ROSTER)


def test_a_currency_or_date_without_a_rate_is_refused(tmp_path):
    with pytest.raises(InputError) as err:
        replay_csv(tmp_path, {"ae": fx_plan(tmp_path, "dated", ["EUR,1.10,2027-03-01"])},
                   (DEALS, ["D1,A,2027-02-10,new_arr,100,EUR,",  # before the first rate
                            "D2,A,2027-04-10,new_arr,100,JPY,",  # no JPY rate
                            "D3,A,2027-04-10,new_arr,100,euro,"]), [], ROSTER)
    text = str(err.value)
    assert "line 2, currency='EUR'" in text
    assert "has no rate for this currency on or before this date" in text
    assert "line 3, currency='JPY'" in text
    assert "line 4, currency='euro': a three-letter currency code" in text


def test_bad_rate_rows_are_all_reported(tmp_path):
    ae = fx_plan(tmp_path, "plan_rate", ["EUR,1.10", "EUR,1.2", "GBP,-1", "USD,1",
                                         "SEK,0.1"])
    with pytest.raises(InputError) as err:
        replay_csv(tmp_path, {"ae": ae}, (DEALS, ["D1,A,2027-02-10,new_arr,100,EUR,"]), [],
                   ROSTER)
    text = str(err.value)
    assert "plan rate for this currency repeated on lines [2, 3]" in text
    assert "line 4, rate='-1': must be greater than 0" in text
    assert "line 5, currency='USD': the plan pays in USD" in text


def test_a_plan_file_finds_its_rates_next_to_it(tmp_path):
    (tmp_path / "plans").mkdir()
    write_csv(tmp_path / "plans" / "rates.csv", "currency,rate", ["EUR,1.10"])
    (tmp_path / "plans" / "ae.yaml").write_text(
        "plan: AE\note: 200000\nbase_share: 0.5\nyear_start: 2027-01-01\n"
        "fx: {file: rates.csv}\ncomponents:\n  - {name: Bookings, type: commission, "
        "measure: new_arr, rates: percent, tier_basis: amount, tiers: [{rate: 0.1}]}\n")
    ae = load_plan(tmp_path / "plans" / "ae.yaml")
    result = replay_csv(tmp_path, {"ae": ae},
                        (DEALS, ["D1,A,2027-02-10,new_arr,100000,EUR,"]), [], ROSTER)
    assert paid(result)[1] == pytest.approx(11_000)
