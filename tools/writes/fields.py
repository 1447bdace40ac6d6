"""The write tools' argument types: the spec's request bounds and patterns (issue 19).

Each is an ``Annotated`` type whose ``Field`` carries the bound, so the schema the model reads
and the check the server applies before sending are one and the same.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import Field

from memory import writes
from memory.ids import SOURCE_PATTERN, TRAIT_GROUP_PATTERN

# Observations need a source (ObservationCore.source is required); this one says "written
# through this server" when the model names none.
DEFAULT_SOURCE = "twilio-memory-mcp"

Content = Annotated[str, Field(min_length=1, max_length=writes.MAX_CONTENT)]

WriteSource = Annotated[
    str,
    Field(
        min_length=1,
        max_length=writes.MAX_SOURCE,
        pattern=SOURCE_PATTERN,
        description="The writing system.",
    ),
]

DryRun = Annotated[bool, Field(description="true: return the exact request; send nothing.")]

TraitName = Annotated[str, Field(min_length=1, max_length=64)]  # FullTrait.name maxLength
TraitGroupName = Annotated[str, Field(min_length=1, max_length=64, pattern=TRAIT_GROUP_PATTERN)]
# A JSON number covers integers: one "number" in the schema rather than "integer" and "number".
TraitScalar = str | float | bool
TraitPatch = Annotated[
    dict[
        TraitGroupName,
        Annotated[
            dict[TraitName, TraitScalar | list[TraitScalar] | None], Field(min_length=1, max_length=99)
        ],
    ],
    Field(
        min_length=1,
        max_length=writes.MAX_TRAIT_GROUPS,
        description='{group: {trait: value}}, e.g. {"Contact": {"channel": "sms"}}; null DELETES a trait.',
    ),
]

NOW = "(the time the write is confirmed)"


def now() -> str:
    """An RFC 3339 UTC timestamp, whole seconds: occurredAt when the model gives none."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


IdentifierValue = Annotated[
    str,
    Field(
        min_length=1,
        max_length=writes.MAX_IDENTIFIER_VALUE,
        description="As the customer gave it; Twilio normalizes it.",
    ),
]
