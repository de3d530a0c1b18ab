"""Studies: variants of a scenario run side by side, winners and losers, territory and quota
designs; sweeps in `sweep/`.
"""
