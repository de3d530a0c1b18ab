"""A sweep's output folder read back into the small tables the report notebook and the
command line show: the chosen plan and why, the best candidates, the Pareto front, the
chosen plan's payout curve against the base."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spmsim.errors import SpmsimError
from spmsim.io import resolve_path, sha256_file
from spmsim.model.scenario import resolve_files
from spmsim.overrides import apply_overrides
from spmsim.plans import payout_curve, plan_from_dict
from spmsim.studies.sweep.search import SHARES


@dataclass(frozen=True)
class SweepView:
    """A sweep's output folder, read back."""

    meta: dict[str, Any]
    table: pd.DataFrame

    @property
    def parameters(self) -> list[str]:
        return list(self.meta["parameters"])

    @property
    def chosen(self) -> pd.Series | None:
        rows = self.table[self.table["chosen"]]
        return rows.iloc[0] if len(rows) else None


def open_sweep(out: str | Path) -> SweepView:
    """Read what `spmsim sweep` wrote into `out`, checking each file against the SHA-256
    sweep.json records: a folder mixing two runs is refused."""
    out = resolve_path(out)
    meta_path = out / "sweep.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpmsimError(f"{meta_path}: no finished sweep here: run `spmsim sweep` (finished "
                          "candidates are resumed)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SpmsimError(f"{meta_path}: not a sweep's output ({e})") from e
    for name, digest in (meta.get("files") or {}).items():
        try:
            same = sha256_file(out / name) == digest
        except OSError:
            same = False
        if not same:
            raise SpmsimError(f"{out / name}: not the file sweep.json lists: the folder mixes "
                              "two runs (or was edited); run the sweep again (finished "
                              "candidates are resumed)")
    return SweepView(meta, pd.read_parquet(out / "candidates.parquet"))


def front_points(view: SweepView) -> pd.DataFrame:
    """Every candidate on the first two objectives, labelled infeasible, feasible,
    Pareto front or chosen (failed runs left out)."""
    x, y = (o["column"] for o in view.meta["objectives"][:2])
    t = view.table[view.table["status"] == "ok"]
    label = np.select([t["chosen"], t["on_front"], t["feasible"]],
                      ["chosen", "Pareto front", "feasible"], "infeasible")
    return pd.DataFrame({"candidate": t["candidate"], "x": t[x], "y": t[y],
                         "category": label, "x_title": x, "y_title": y,
                         "x_format": _axis_format(x), "y_format": _axis_format(y)}
                        ).reset_index(drop=True)


def _axis_format(column: str) -> str:
    """d3 format of an axis: shares in per cent, money with SI suffixes."""
    return ".0%" if column.startswith(SHARES) else ",.3~s"


def chosen_tree(view: SweepView) -> dict[str, Any] | None:
    """The chosen candidate's scenario tree: the base with the chosen parameters set."""
    if view.chosen is None:
        return None
    pairs = [(view.meta["parameters"][k], v) for k, v in view.meta["chosen_params"].items()]
    tree = apply_overrides(view.meta["base_tree"], pairs)
    resolve_files(tree, Path(view.meta["file"]))
    return tree


def chosen_curves(view: SweepView, role: str, names: tuple[str, str] | None = None
                  ) -> pd.DataFrame:
    """The payout curve (total, % of TI) of `role`'s plan in the base scenario and in the
    chosen candidate, as the `variant` lines of `charts.payout_curves_chart` (named
    `names`, default 'base' and 'chosen (<id>)')."""
    base = view.meta["base_tree"]
    first, second = names or ("base", f"chosen ({view.chosen['candidate']})"
                              if view.chosen is not None else "chosen")
    trees = {first: base}
    tree = chosen_tree(view)
    if tree is not None:
        trees[second] = tree
    frames = []
    for name, tree in trees.items():
        spec = tree["org"]["roles"][role]
        curve = payout_curve(plan_from_dict(spec["plan"]), quotas=spec.get("quota") or None)
        total = curve[curve["component"] == "Total"]
        frames.append(total.assign(variant=name)[["variant", "attainment", "pct_of_ti"]])
    return pd.concat(frames, ignore_index=True)
