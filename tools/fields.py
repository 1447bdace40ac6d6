"""The tools' argument types: the documented id patterns, with a description and an example.

Each is an ``Annotated`` type whose ``Field`` carries the pattern, so the input schema the
model reads (tools/list) and the validation the server applies are one and the same.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, Field

from memory.ids import (
    CONVERSATION_ID_PATTERN,
    DATE_TIME_MAX_LENGTH,
    DATE_TIME_SEND_PATTERN,
    ID_TYPE_PATTERN,
    PROFILE_ID_PATTERN,
    SOURCE_PATTERN,
    STORE_ID_PATTERN,
    TRAIT_GROUP_PATTERN,
)

_STORE_DESCRIPTION = "Memory store id."

StoreId = Annotated[str, Field(pattern=STORE_ID_PATTERN, description=_STORE_DESCRIPTION)]

ProfileId = Annotated[str, Field(pattern=PROFILE_ID_PATTERN)]

IdType = Annotated[
    str,
    Field(
        pattern=ID_TYPE_PATTERN,
        description="Case-sensitive: email, phone, whatsapp, ...",
    ),
]

IdentifierValue = Annotated[
    str,
    Field(
        min_length=1,
        max_length=255,
        description="As the customer gave it, e.g. '1-317-555-6789'.",
    ),
]


ConversationId = Annotated[str, Field(pattern=CONVERSATION_ID_PATTERN)]


def _real_date_time(value: str) -> str:
    """The pattern admits 2025-13-45T99:00:00Z; the calendar does not."""
    try:
        datetime.fromisoformat(value.upper())
    except ValueError:
        raise ValueError("not a real date and time (RFC 3339, e.g. 2025-01-31T23:59:59Z)") from None
    return value


# An RFC 3339 date-time (the spec's ``format: date-time``), sent as given; each parameter
# adds its own description.
DateTime = Annotated[
    str,
    Field(
        pattern=DATE_TIME_SEND_PATTERN,
        max_length=DATE_TIME_MAX_LENGTH,
        json_schema_extra={"format": "date-time"},
    ),
    AfterValidator(_real_date_time),
]


# traitGroups (components/parameters/TraitGroupsQueryParam) is one comma-separated string of
# 1..256 characters; the tool takes a list of names (TraitGroupCore.displayName) and checks
# that, joined with commas, they fit.
MAX_TRAIT_GROUPS_LENGTH = 256


def _fits_the_query(names: list[str]) -> list[str]:
    if len(",".join(names)) > MAX_TRAIT_GROUPS_LENGTH:
        raise ValueError(f"the names, joined with commas, must fit in {MAX_TRAIT_GROUPS_LENGTH} characters")
    return names


TraitGroupName = Annotated[str, Field(min_length=1, max_length=64, pattern=TRAIT_GROUP_PATTERN)]
TraitGroups = Annotated[
    list[TraitGroupName],
    Field(
        min_length=1,
        max_length=50,
        description=f"Only these groups (e.g. Contact); at most {MAX_TRAIT_GROUPS_LENGTH} characters joined.",
    ),
    AfterValidator(_fits_the_query),
]

Source = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        pattern=SOURCE_PATTERN,
        description="Source system.",
    ),
]

OrderBy = Literal["ASC", "DESC"]


# How many memories of one kind Recall returns (MemoryRetrievalRequest: 0-100).
Limit = Annotated[int, Field(ge=0, le=100)]


# Pages of observations and summaries hold at most 50 items (the answers' maxItems and
# ObservationsMeta.pageSize maximum), although the pageSize parameter admits up to 1000.
MAX_PAGE_SIZE = 50

PageSize = Annotated[
    int,
    Field(ge=1, le=MAX_PAGE_SIZE, description="Items per page (default 50)."),
]

ToolFn = TypeVar("ToolFn", bound=Callable[..., Awaitable[Any]])


def with_store_default(fn: ToolFn, default: str | None) -> ToolFn:
    """``fn`` with its ``store_id`` argument optional, defaulting to TWILIO_MEMORY_STORE_ID.

    The SDK reads a tool's input schema from its signature, so the default is written into
    a copy's ``__signature__``: the schema then marks store_id optional and shows the default.
    """
    if default is None:
        return fn

    @functools.wraps(fn)
    async def wrapper(**kwargs: Any) -> Any:
        return await fn(**kwargs)

    signature = inspect.signature(fn, eval_str=True)
    parameters = [
        parameter.replace(annotation=StoreId, default=default) if parameter.name == "store_id" else parameter
        for parameter in signature.parameters.values()
    ]
    wrapper.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]
