"""lookup_profiles: from a value the customer gave (a phone number, an email) to profile ids."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field

from memory.client import CallTrace, MemoryApiClient
from tools.answers import Answer
from tools.calls import Asked, ToolSpec, run_call
from tools.fields import IdentifierValue, IdType, StoreId
from tools.redaction import Redactor
from tools.state import AppState

NAME = "lookup_profiles"

DESCRIPTION = """\
Find the profiles holding an identifier value: start here from a phone number or email the \
customer gave. Twilio normalizes the value as the store does (E.164, lowercase) and answers \
the normalized value searched and the canonical ids of the matching profiles; none is an \
empty list, not an error."""


class LookupAnswer(Answer):
    store_id: str
    id_type: str
    normalized_value: str | None = Field(
        description="The value after Twilio's normalization: what was actually searched."
    )
    profile_ids: list[str] = Field(
        description="Canonical ids of the profiles holding the value; empty when none does."
    )

    def item_count(self) -> int:
        return len(self.profile_ids)

    def droppable(self) -> int:
        return 0  # never cut: at most 100 ids (the API's cap), which the budget's floor fits


async def lookup_profiles(
    *,
    store_id: StoreId,
    id_type: IdType,
    value: IdentifierValue,
    ctx: Context[AppState, Any],
) -> Annotated[CallToolResult, LookupAnswer]:
    async def call(api: MemoryApiClient, redactor: Redactor, trace: CallTrace) -> Answer:
        found = await api.lookup_profiles(store_id, id_type, value, trace=trace)
        normalized = found.normalized_value
        return LookupAnswer(
            store_id=store_id,
            id_type=id_type,
            normalized_value=redactor.value(normalized) if normalized is not None else None,
            profile_ids=list(found.profiles),
        )

    return await run_call(ctx, Asked(NAME, store_id, id_type=id_type), call)


SPEC = ToolSpec(NAME, "Look up profiles by identifier", DESCRIPTION, lookup_profiles)
