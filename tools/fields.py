"""The tools' argument types: the documented id patterns, with a description and an example.

Each is an ``Annotated`` type whose ``Field`` carries the pattern, so the input schema the
model reads (tools/list) and the validation the server applies are one and the same.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from pydantic import Field

from memory.ids import ID_TYPE_PATTERN, PROFILE_ID_PATTERN, STORE_ID_PATTERN

STORE_EXAMPLE = "mem_store_01kpttrksqe08rhv122gzq52ax"
PROFILE_EXAMPLE = "mem_profile_01kpttrksqe08rhv122gzq52ax"

_STORE_DESCRIPTION = (
    "Conversation Memory store id: 'mem_store_' (or 'mem_service_') then 26 lowercase letters "
    f"or digits, the first 0-7. Example: {STORE_EXAMPLE}."
)

StoreId = Annotated[str, Field(pattern=STORE_ID_PATTERN, description=_STORE_DESCRIPTION)]

ProfileId = Annotated[
    str,
    Field(
        pattern=PROFILE_ID_PATTERN,
        description=(
            "Conversation Memory profile id: 'mem_profile_' then 26 lowercase letters or digits, "
            f"the first 0-7. Example: {PROFILE_EXAMPLE}."
        ),
    ),
]

IdType = Annotated[
    str,
    Field(
        pattern=ID_TYPE_PATTERN,
        description=(
            "Identifier type as configured in the store's identity resolution settings: "
            "2-30 letters, digits, '-' or '_', case-sensitive. Examples: email, phone, "
            "whatsapp, externalId."
        ),
    ),
]

IdentifierValue = Annotated[
    str,
    Field(
        min_length=1,
        max_length=255,
        description=(
            "The value to search for, as the customer gave it (e.g. '1-317-555-6789' or "
            "'Jane@Example.com'); Twilio normalizes it the way the store normalizes that type."
        ),
    ),
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

    description = f"{_STORE_DESCRIPTION} Optional: defaults to {default} (TWILIO_MEMORY_STORE_ID)."
    optional = Annotated[str, Field(pattern=STORE_ID_PATTERN, description=description)]
    signature = inspect.signature(fn, eval_str=True)
    parameters = [
        parameter.replace(annotation=optional, default=default) if parameter.name == "store_id" else parameter
        for parameter in signature.parameters.values()
    ]
    wrapper.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]
