"""Sweeps and plan search: the sweep file, sampling, the Pareto search, and where candidates
run (serially or on Dask).
"""
