"""Identifiers and Lookup: IdentifierSet, ListProfileIdentifiers, CreateProfilesLookup."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from memory.ids import PROFILE_ID_PATTERN

IdentifierValue = Annotated[str, Field(max_length=255)]


class IdentifierSet(BaseModel):
    """components/schemas/IdentifierSet: one identifier type and its values, oldest first."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    id_type: str = Field(alias="idType", min_length=2, max_length=30)
    values: tuple[IdentifierValue, ...] = Field(max_length=100)


class IdentifierList(BaseModel):
    """ListProfileIdentifiers 200: every identifier type on a profile (maxItems 50)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    identifiers: tuple[IdentifierSet, ...] = Field(default=(), max_length=50)


class LookupResult(BaseModel):
    """CreateProfilesLookup 200: the normalized value searched and the canonical profile ids."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    normalized_value: str | None = Field(default=None, alias="normalizedValue", max_length=255)
    profiles: tuple[Annotated[str, Field(pattern=PROFILE_ID_PATTERN)], ...] = Field(
        default=(), max_length=100
    )
