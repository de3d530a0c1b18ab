"""The pipeline forecast: snapshots of the open pipeline (`pipeline`), the forecast of a
period's bookings (`model`) and its backtest over past periods (`backtest`)."""

from spmsim.forecast.backtest import (
    Backtest,
    actual_bookings,
    backtest,
    backtest_periods,
    backtest_summary,
    binomial_interval,
    quantile_calibration,
)
from spmsim.forecast.model import (
    Calibration,
    Forecast,
    PeriodEffect,
    fit_win_rates,
    forecast,
    forecast_pipeline,
    open_history,
    resolve_period,
    simulate_bookings,
)
from spmsim.forecast.pipeline import Snapshot, snapshot

__all__ = ["Backtest", "Calibration", "Forecast", "PeriodEffect", "Snapshot", "actual_bookings",
           "backtest", "backtest_periods", "backtest_summary", "binomial_interval",
           "fit_win_rates", "forecast", "quantile_calibration",
           "forecast_pipeline", "open_history", "resolve_period", "simulate_bookings",
           "snapshot"]
