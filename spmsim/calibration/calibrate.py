"""Calibration: a scenario fitted from CRM history.

`calibrate` fits every roster role (`spmsim.calibration.fit`, where the estimators and their
standard errors are described) over one window; `write_calibration` turns the fits into a
scenario YAML, checks that it loads, and writes it with the estimates beside it
(`<name>.calibration.json`). Also the command line's `--plan` and `--measure` parsers.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from spmsim.calibration.fit import (
    CURVES,
    STEADY_MONTHS,
    TYPE_MEASURES,
    YEAR_MONTH_DAYS,
    Estimate,
    RoleFit,
    fit_role,
    ramp_loss,
    role_key,
)
from spmsim.calibration.wording import estimate_line
from spmsim.data.crm import TYPES, History
from spmsim.errors import InputError, SpmsimError
from spmsim.format import count
from spmsim.io import atomic_write_text
from spmsim.model.scenario import resolve_files, scenario_from_tree
from spmsim.plans import Plan, load_plan
from spmsim.versions import versions

DEFAULT_SCORE = {"mean": 0.85, "sd": 0.1}  # MBO scores are not in CRM: an assumption


# ---- the scenario --------------------------------------------------------------------

@dataclass
class Calibration:
    """Fits of every role and the window they come from."""

    roles: dict[str, RoleFit]
    plans: dict[str, Path]
    source: str
    since: str
    as_of: str
    scores: dict[str, dict] = field(default_factory=dict)
    seed: int = 0
    complete: str = ""
    assumptions: list[str] = field(default_factory=list)

    def table(self) -> pd.DataFrame:
        """Every estimate: role, parameter, estimate, se, n, method."""
        rows = [e.__dict__ for fit in self.roles.values() for e in fit.estimates]
        return pd.DataFrame(rows, columns=["role", "parameter", "estimate", "se", "n", "method"])

    def size_files(self, out: Path) -> dict[str, tuple[str, np.ndarray]]:
        """Empirical deal sizes to write beside the scenario `out`: scenario file name ->
        (role, amounts)."""
        files = {}
        for fit in self.roles.values():
            for measure, stream in fit.streams.items():
                if stream["size"].get("type") == "empirical":
                    name = f"{Path(out).stem}.{fit.key}.{measure}.sizes.csv"
                    files[name] = (fit.key, fit.size_samples[measure])
        return files

    def scenario_tree(self, out: Path, inline_sizes: bool = False) -> dict:
        """The scenario as plain data, plan paths relative to `out`'s folder; empirical
        deal sizes name their file beside `out` (`size_files`), or are inline."""
        roles, markets = {}, {}
        for name, fit in self.roles.items():
            plan = load_plan(self.plans[name])
            roles[fit.key] = {
                "headcount": fit.headcount,
                "plan": _plan_path(Path(self.plans[name]), Path(out)),
                "quota": dict(fit.quota), "skill_sigma": round(fit.skill_sigma, 4),
                "ramp": {"months": fit.ramp.months, "curve": fit.ramp.curve,
                         "start": round(fit.ramp.start, 4)},
                "attrition": {k: v for k, v in fit.attrition.items()}}
            markets[fit.key] = _market(fit, plan, self.scores)
            for measure, stream in markets[fit.key]["measures"].items():
                if stream["size"].get("type") == "empirical":
                    stream["size"] = dict(stream["size"])
                    if inline_sizes:
                        stream["size"]["values"] = [float(x) for x in fit.size_samples[measure]]
                    else:
                        stream["size"]["file"] = f"{Path(out).stem}.{fit.key}.{measure}.sizes.csv"
        return {"scenario": f"Calibrated from {Path(self.source).name or self.source}",
                "description": f"Fitted by `spmsim calibrate` from {self.source}, "
                               f"{self.since} to {self.as_of}; estimates, standard errors "
                               "and sample sizes in the .calibration.json beside it.",
                "seed": self.seed, "trials": 1000,
                "org": {"roles": roles}, "market": markets}

    def summary(self) -> str:
        """The fitted figures as the analyst reads them: labels, units, standard errors
        and sample sizes (`wording`); field paths stay in the .calibration.json."""
        lines = [f"calibrated {count(len(self.roles), 'role')} from {self.source} "
                 f"(opportunities created {self.since} to {self.as_of}; complete from "
                 f"{self.complete})"]
        lines += [f"  assumed: {a}" for a in self.assumptions]
        for name, fit in self.roles.items():
            currency = load_plan(self.plans[name]).currency
            lines.append(f"\n{fit.role} (in the scenario file as role {fit.key})")
            for e in fit.estimates:
                line = estimate_line(e, currency)
                if line is None:
                    continue
                lines.append(line)
                if e.parameter.endswith((".model", "bands", "inactive_reps")):
                    lines.append(f"    {e.method}")
        return "\n".join(lines)


def _plan_path(plan: Path, out: Path) -> str:
    """The plan file relative to the scenario's folder when they share a top folder."""
    plan, folder = plan.resolve(), out.resolve().parent
    if os.path.commonpath([plan, folder]) in ("/", plan.anchor):
        return str(plan)
    return os.path.relpath(plan, folder)


def _market(fit: RoleFit, plan: Plan, scores: Mapping[str, dict]) -> dict:
    streams = {m: {k: (dict(x) if isinstance(x, dict) else x) for k, x in v.items()}
               for m, v in fit.streams.items()}
    mbo = plan.score_measures()
    produced = set(streams) | mbo
    others = [m for m in plan.measures if m not in produced]
    if len(others) > len(streams):
        raise SpmsimError(f"plan {plan.plan!r} pays on {', '.join(others)}, which deals do not "
                          "book: map Types onto them with --measure")
    for stream, units in zip(streams, others, strict=False):
        streams[stream]["count_as"] = units  # e.g. new logos: one per won deal
    market = {"model": "pipeline", "seasonality": fit.seasonality, "measures": streams,
              "stages": [{"name": st["name"], "days": round(float(st["days"]), 4),
                          "to_next": round(float(st["to_next"]), 6)} for st in fit.stages]}
    if mbo:
        market["scores"] = {m: dict(scores.get(m, DEFAULT_SCORE)) for m in sorted(mbo)}
    return market


def _window(history: History, since: str | None, as_of: str | None) -> tuple[int, int, int]:
    """(creation window start, first complete day, end) as days since 1970. By default the
    creation window opens with the month of the first dated opportunity and the export is
    complete from its first close (an export of the deals closed since a date holds older
    ones only if they closed later: calibration weighs them by that chance); `since` sets
    both."""
    end = pd.Timestamp(as_of) if as_of else history.as_of
    opps = history.opportunities
    if since:
        start = complete = pd.Timestamp(since)
    else:
        closed = opps["CloseDate"][opps["IsClosed"]]
        if closed.empty:
            raise SpmsimError("no closed opportunities: give the window start with --since")
        complete = closed.min()
        start = min(opps["CreatedDate"].min(), complete).to_period("M").to_timestamp()
    if start >= end:
        raise SpmsimError(f"the window {start.date()} to {end.date()} is empty")

    def day(t: pd.Timestamp) -> int:
        return int(t.to_datetime64().astype("datetime64[D]").astype(int))

    return day(start), day(complete), day(end)


def calibrate_scenario(history: History, plans: Mapping[str, str | Path] | str | Path, *,
              quota: Mapping[str, float] = (), measures: Mapping[str, str] = TYPE_MEASURES,
              scores: Mapping[str, dict] = (), since: str | None = None,
              as_of: str | None = None, bootstrap: int = 200, seed: int = 0,
              ramp_curves: tuple[str, ...] = CURVES, size_rule: str = "auto") -> Calibration:
    """Fit every role of the roster; `plans` is one plan file for all roles or one per
    roster Role name; `ramp_curves` are the Ramp curves tried; `size_rule` the deal-size
    model (auto: the goodness-of-fit rule of `spmsim.calibration.fit.choose_size`)."""
    start, complete, end = _window(history, since, as_of)
    names = [r for r in pd.unique(history.roster["Role"])]
    if not isinstance(plans, Mapping):
        plans = {r: plans for r in names}
    missing = [r for r in names if r not in plans]
    if missing:
        raise SpmsimError(f"no plan for role(s) {', '.join(map(repr, missing))}: give "
                          "--plan 'ROLE=PLAN.yaml' for each, or one --plan for all")
    loaded = {r: load_plan(plans[r]) for r in names}
    keys = [role_key(r) for r in names]
    if len(set(keys)) < len(keys):
        raise SpmsimError(f"roles {names} give the same scenario keys {keys}: rename one")
    fits = {}
    for i, r in enumerate(names):
        fits[r] = fit_role(history, r, loaded[r], since=start, complete=complete, as_of=end,
                           measures=measures, quota=dict(quota), bootstrap=bootstrap,
                           seed=seed + i, ramp_curves=ramp_curves, size_rule=size_rule)
    day = np.datetime64("1970-01-01")
    return Calibration(roles=fits, plans={r: Path(plans[r]) for r in names},
                       source=history.source, since=str(day + start), as_of=str(day + end),
                       scores=dict(scores), seed=seed, complete=str(day + complete),
                       assumptions=list(history.report.assumptions))


def write_calibration(cal: Calibration, out: str | Path) -> tuple[Path, Path]:
    """Write the scenario YAML and `calibration.json` beside it, after checking that the
    scenario loads (nothing is written if it does not)."""
    out = Path(out)
    tree = cal.scenario_tree(out)
    check = yaml.safe_load(yaml.safe_dump(cal.scenario_tree(out, inline_sizes=True)))
    for name, fit in cal.roles.items():  # the folder of `out` may not exist yet
        check["org"]["roles"][fit.key]["plan"] = str(Path(cal.plans[name]).resolve())
    try:
        resolve_files(check, out)
        scenario_from_tree(check, out)
    except InputError as e:
        raise SpmsimError(f"the calibrated scenario does not validate (a bug or an odd "
                          f"history):\n{e}") from e
    header = (f"# Calibrated by `spmsim calibrate` from {cal.source} ({cal.since} to "
              f"{cal.as_of}).\n# Estimates, standard errors and sample sizes: "
              f"{out.stem}.calibration.json\n")
    for name, (_, amounts) in cal.size_files(out).items():
        atomic_write_text(out.with_name(name), "amount\n" + "".join(
            f"{x:.2f}\n" for x in amounts))
    atomic_write_text(out, header + yaml.safe_dump(tree, sort_keys=False, allow_unicode=True))
    report = out.with_name(f"{out.stem}.calibration.json")
    table = cal.table()
    payload = {"source": cal.source, "since": cal.since, "complete_from": cal.complete,
               "as_of": cal.as_of, "scenario": out.name, "assumptions": cal.assumptions,
               "estimates": json_records(table), **versions()}
    atomic_write_text(report, json_dumps(payload))
    return out, report


def json_records(table: pd.DataFrame) -> list[dict]:
    return [{k: (None if isinstance(v, float) and not math.isfinite(v) else v)
             for k, v in row.items()} for row in table.to_dict("records")]


def json_dumps(payload: dict) -> str:
    import json

    return json.dumps(payload, indent=1, default=float) + "\n"


# ---- command-line arguments ----------------------------------------------------------

DEFAULT_PLAN = Path(__file__).resolve().parents[2] / "scenarios" / "plans" / "enterprise_ae.yaml"


def plan_arguments(values: list[str] | None) -> Path | dict[str, Path]:
    """`--plan PLAN.yaml` (every role) or `--plan "ROLE=PLAN.yaml"` (repeatable)."""
    if not values:
        if not DEFAULT_PLAN.is_file():
            raise SpmsimError("give the plan the calibrated roles are on: --plan PLAN.yaml")
        return DEFAULT_PLAN
    if len(values) == 1 and "=" not in values[0]:
        return Path(values[0])
    pairs = [v.partition("=") for v in values]
    bad = [v for v, (_, eq, path) in zip(values, pairs, strict=True) if not eq or not path]
    if bad:
        raise SpmsimError(f"--plan {bad[0]!r}: write ROLE=PLAN.yaml for each role, or give "
                          "one PLAN.yaml for all")
    return {role.strip(): Path(path.strip()) for role, _, path in pairs}


def measure_arguments(values: list[str] | None) -> dict[str, str]:
    """`--measure "New Business=new_arr"` (repeatable) over the default Type -> measure."""
    out = dict(TYPE_MEASURES)
    for v in values or []:
        kind, eq, measure = v.partition("=")
        if not eq or kind.strip() not in TYPES or not measure.strip():
            raise SpmsimError(f"--measure {v!r}: write TYPE=MEASURE with TYPE one of "
                              f"{', '.join(TYPES)}, e.g. 'Existing Business=new_arr'")
        out[kind.strip()] = measure.strip()
    return out


__all__ = ["CURVES", "DEFAULT_PLAN", "DEFAULT_SCORE", "STEADY_MONTHS", "TYPE_MEASURES",
           "YEAR_MONTH_DAYS", "Calibration", "Estimate", "RoleFit", "calibrate_scenario",
           "fit_role", "json_dumps", "json_records", "measure_arguments", "plan_arguments",
           "ramp_loss", "role_key", "write_calibration"]
