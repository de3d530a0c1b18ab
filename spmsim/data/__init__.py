"""Data in and out: transaction files (deals, quotas, roster) and example data."""
