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

Content = Annotated[str, Field(min_length=1, max_length=writes.MAX_CONTENT, description="The text to store.")]

WriteSource = Annotated[
    str,
    Field(
        min_length=1,
        max_length=writes.MAX_SOURCE,
        pattern=SOURCE_PATTERN,
        description="The system writing it (letters, digits, spaces, '_', '.', '-').",
    ),
]

DryRun = Annotated[
    bool, Field(description="true: answer the exact request that would be sent, and send nothing.")
]

TraitName = Annotated[str, Field(min_length=1, max_length=64)]  # FullTrait.name maxLength
TraitGroupName = Annotated[str, Field(min_length=1, max_length=64, pattern=TRAIT_GROUP_PATTERN)]
TraitScalar = str | int | float | bool
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
        description='{group: {trait: value}}; a null value DELETES that trait. E.g. {"Contact": '
        '{"channel": "sms"}}.',
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
        description="The value as the customer gave it; Twilio normalizes it (E.164, lowercase email).",
    ),
]
