"""The pipeline forecast: snapshots of the open pipeline, the forecast and its backtest."""
