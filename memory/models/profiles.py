"""FetchProfile: a profile's traits, grouped (components/schemas/Profile, TraitGroups)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from memory.ids import DATE_TIME_MAX_LENGTH, DATE_TIME_PATTERN, PROFILE_ID_PATTERN, TRAIT_GROUP_PATTERN

# components/schemas/TraitValue: "a string, integer, boolean, or an array of these types
# (arrays cannot contain nested arrays)". Numbers may arrive as floats; null is tolerated
# (a trait being cleared), objects and nested arrays are not.
TraitScalar = str | bool | int | float
TraitValue = TraitScalar | list[TraitScalar] | None

# A group's name is a TraitGroupCore.displayName: 1-64 characters of letters, digits, '_',
# '-', '.'. A trait's name is bounded at 64 (FullTrait.name) or 128 (MappingTraitItem
# .traitName) characters: the larger is held here, so no name Twilio can write is refused.
# Both names reach the answer's hint and the error text, which no size budget can cut, so
# an answer whose names break these bounds is refused (issue 16 item 3).
TraitGroupName = Annotated[str, Field(min_length=1, max_length=64, pattern=TRAIT_GROUP_PATTERN)]
TraitName = Annotated[str, Field(min_length=1, max_length=128)]

# TraitGroups: at most 50 groups (maxProperties 50), each at most 99 traits (maxProperties 99).
TraitGroup = Annotated[dict[TraitName, TraitValue], Field(max_length=99)]


class Profile(BaseModel):
    """components/schemas/Profile: the canonical id, when it was created, and its traits."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    id: str | None = Field(default=None, pattern=PROFILE_ID_PATTERN)
    created_at: str | None = Field(
        default=None, alias="createdAt", max_length=DATE_TIME_MAX_LENGTH, pattern=DATE_TIME_PATTERN
    )
    traits: dict[TraitGroupName, TraitGroup] = Field(default_factory=dict, max_length=50)
