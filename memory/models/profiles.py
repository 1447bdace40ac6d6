"""FetchProfile: a profile's traits, grouped (components/schemas/Profile, TraitGroups)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from memory.ids import DATE_TIME_PATTERN, PROFILE_ID_PATTERN

# components/schemas/TraitValue: "a string, integer, boolean, or an array of these types
# (arrays cannot contain nested arrays)". Numbers may arrive as floats; null is tolerated
# (a trait being cleared), objects and nested arrays are not.
TraitScalar = str | bool | int | float
TraitValue = TraitScalar | list[TraitScalar] | None

# TraitGroups: at most 50 groups (maxProperties 50), each at most 99 traits (maxProperties 99).
TraitGroup = Annotated[dict[str, TraitValue], Field(max_length=99)]


class Profile(BaseModel):
    """components/schemas/Profile: the canonical id, when it was created, and its traits."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    id: str | None = Field(default=None, pattern=PROFILE_ID_PATTERN)
    created_at: str | None = Field(default=None, alias="createdAt", pattern=DATE_TIME_PATTERN)
    traits: dict[str, TraitGroup] = Field(default_factory=dict, max_length=50)
