"""Synthetic data from known parameters: CRM history (what calibration and the forecast
must recover), accounts at US cities (territory design) and the example company's year of
deals, quotas and roster. Generators use the model (market, org, territory), so they sit
above it; the loaders of real files are in `spmsim.data`."""
