"""Simulation engines; each takes a Scenario and returns Results."""

from .montecarlo import simulate

__all__ = ["simulate"]
