"""Simulation engines; each takes a Scenario and returns Results."""

from .agents import simulate_agents
from .montecarlo import simulate

ENGINES = {"montecarlo": simulate, "agents": simulate_agents}

__all__ = ["ENGINES", "simulate", "simulate_agents"]
