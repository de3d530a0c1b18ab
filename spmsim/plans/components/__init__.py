"""Plan components, a registry selected by the `type:` key of a plan file."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from spmsim.plans.components.base import Cap, Component, Context
from spmsim.plans.components.bonus import Bonus
from spmsim.plans.components.commission import Commission, Tier
from spmsim.plans.components.contest import Contest
from spmsim.plans.components.mbo import MBO
from spmsim.plans.components.spiff import Spiff

REGISTRY: dict[str, type[Component]] = {
    c.kind: c for c in (Commission, Bonus, MBO, Spiff, Contest)}

AnyComponent = Annotated[Commission | Bonus | MBO | Spiff | Contest, Field(discriminator="type")]

__all__ = ["REGISTRY", "AnyComponent", "Bonus", "Cap", "Commission", "Component", "Contest",
           "Context", "MBO", "Spiff", "Tier"]
