"""spmsim: design sales compensation, quota and territory plans by simulation.

The public API, loaded on first use (`import spmsim` stays light):

| topic | names |
| --- | --- |
| plans | `load_plan`, `evaluate`, `payout_curve`, `Plan` |
| replay of real deals | `load_transactions`, `replay`, `statement`, `compare` |
| scenarios | `load_scenario`, `Scenario` |
| simulation | `simulate` (Monte Carlo), `simulate_agents` (SimPy), `Results` |
| studies | `run_study`, `run_sweep`, `build_report` |
| territories, quotas | `optimise_territories`, `design_territories`, `compare_quota_methods` |
| capacity | `load_capacity`, `plan_capacity` (and the package `capacity`) |
| CRM history | `read_history`, `calibrate_scenario`, `synthetic_history` |
| forecast | the package `forecast`: `forecast.forecast`, `.backtest`, `.snapshot` |
| version | `__version__` |

`Results` is what both engines return; `Results.load(folder)` reads a saved run.

For example:

```python
import spmsim
scenario = spmsim.load_scenario("scenarios/acme_baseline.yaml", trials=500)
results = spmsim.simulate(scenario)
print(results.summary_text())
```
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("spmsim")
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"

# public name -> (module, name in that module)
_EXPORTS = {
    "load_plan": ("spmsim.plans.io", "load_plan"),
    "evaluate": ("spmsim.plans.engine", "evaluate"),
    "payout_curve": ("spmsim.plans.curve", "payout_curve"),
    "Plan": ("spmsim.plans.model", "Plan"),
    "load_transactions": ("spmsim.data.transactions", "load_transactions"),
    "replay": ("spmsim.history.replay", "replay"),
    "statement": ("spmsim.history.statement", "statement"),
    "compare": ("spmsim.history.compare", "compare"),
    "load_scenario": ("spmsim.model.scenario", "load_scenario"),
    "Scenario": ("spmsim.model.scenario", "Scenario"),
    "simulate": ("spmsim.engines.montecarlo", "simulate"),
    "simulate_agents": ("spmsim.engines.agents", "simulate_agents"),
    "Results": ("spmsim.engines.results", "Results"),
    "run_study": ("spmsim.studies.study", "run_study"),
    "run_sweep": ("spmsim.studies.sweep.runner", "run_sweep"),
    "build_report": ("spmsim.report.build", "build_report"),
    "optimise_territories": ("spmsim.model.territory", "optimise"),
    "design_territories": ("spmsim.studies.designs", "design_territories"),
    "compare_quota_methods": ("spmsim.studies.designs", "compare_quota_methods"),
    "load_capacity": ("spmsim.capacity.inputs", "load_capacity"),
    "plan_capacity": ("spmsim.capacity.plan", "plan_capacity"),
    "read_history": ("spmsim.data.crm", "read_history"),
    "calibrate_scenario": ("spmsim.calibration.calibrate", "calibrate_scenario"),
    "synthetic_history": ("spmsim.synthetic.history", "synthetic_history"),
}
# subpackages offered as namespaces (`spmsim.forecast.backtest(...)`)
_PACKAGES = {"capacity": "spmsim.capacity", "forecast": "spmsim.forecast"}

__all__ = ["__version__", *sorted(_EXPORTS), *sorted(_PACKAGES)]


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use (PEP 562)."""
    if name in _PACKAGES:
        return importlib.import_module(_PACKAGES[name])
    if name not in _EXPORTS:
        raise AttributeError(f"module 'spmsim' has no attribute {name!r}")
    module, attr = _EXPORTS[name]
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS) | set(_PACKAGES))
