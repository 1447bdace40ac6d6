"""get_profile_identifiers: every stored value of one identifier type on a profile."""

from __future__ import annotations

from typing import Annotated, Any, Self

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field

from memory.client import CallTrace, MemoryApiClient
from tools.answers import Answer, LocatedAnswer, plural
from tools.calls import Asked, Call, ToolSpec, run_call
from tools.fields import IdType, ProfileId, StoreId
from tools.redaction import Redactor
from tools.state import AppState

NAME = "get_profile_identifiers"

DESCRIPTION = """\
Return every stored value of one identifier type on a profile (up to 100, oldest first): \
its email addresses, phone numbers (E.164), WhatsApp addresses or external ids. Use it when \
you need one type; list_profile_identifiers reads them all."""


class ProfileIdentifiers(LocatedAnswer):
    id_type: str
    values: list[str] = Field(description="Every stored value of this type, oldest first.")

    def item_count(self) -> int:
        return len(self.values)

    def without(self, drop: int) -> Self:
        # Values are oldest first: the newest are left out. The API has no paging here, but
        # the resource template serves the whole list to a client that reads resources.
        uri = f"memory://stores/{self.store_id}/profiles/{self.profile_id}/identifiers/{self.id_type}"
        hint = (
            f"The {plural(drop, 'newest value')} of this type were left out to fit the result "
            f"size budget. The resource {uri} holds them all (if your client reads resources); "
            "otherwise the operator can raise TWILIO_MEMORY_RESULT_BUDGET."
        )
        return self.cut(drop, hint, values=self.values[: len(self.values) - drop])


def fetch(store_id: str, profile_id: str, id_type: str) -> Call:
    """The Memory API call behind this tool and the identifiers resource."""

    async def call(api: MemoryApiClient, redactor: Redactor, trace: CallTrace) -> Answer:
        found = await api.fetch_profile_identifier(store_id, profile_id, id_type, trace=trace)
        return ProfileIdentifiers.of(
            found,
            id_type=found.body.id_type,
            values=redactor.values(found.body.values),
        )

    return call


async def get_profile_identifiers(
    *,
    store_id: StoreId,
    profile_id: ProfileId,
    id_type: IdType,
    ctx: Context[AppState, Any],
) -> Annotated[CallToolResult, ProfileIdentifiers]:
    asked = Asked(NAME, store_id, profile_id, id_type)
    return await run_call(ctx, asked, fetch(store_id, profile_id, id_type))


SPEC = ToolSpec(NAME, "Get profile identifiers", DESCRIPTION, get_profile_identifiers)
