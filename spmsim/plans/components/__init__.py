"""Plan components, a registry selected by the `type:` key of a plan file."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .base import Cap, Component, Context
from .bonus import Bonus
from .commission import Commission, Tier
from .mbo import MBO
from .spiff import Spiff

REGISTRY: dict[str, type[Component]] = {c.kind: c for c in (Commission, Bonus, MBO, Spiff)}

AnyComponent = Annotated[Commission | Bonus | MBO | Spiff, Field(discriminator="type")]

__all__ = ["REGISTRY", "AnyComponent", "Bonus", "Cap", "Commission", "Component", "Context",
           "MBO", "Spiff", "Tier"]
