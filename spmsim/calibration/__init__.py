"""Fitting a scenario to CRM history, and synthetic history from known parameters to test the
fit.
"""
