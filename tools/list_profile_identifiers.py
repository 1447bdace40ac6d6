"""list_profile_identifiers: every identifier type on a profile, with its values."""

from __future__ import annotations

from typing import Annotated, Any, Self

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field
from typing_extensions import TypedDict  # pydantic reads typing's own only from Python 3.12

from memory.client import CallTrace, MemoryApiClient
from tools.answers import Answer, LocatedAnswer, named, plural
from tools.calls import Asked, ToolSpec, run_call
from tools.fields import ProfileId, StoreId
from tools.redaction import Redactor
from tools.state import AppState

NAME = "list_profile_identifiers"

DESCRIPTION = """\
List every identifier type on a profile (email, phone, whatsapp, externalId, ...) with all \
of each type's values, oldest first: everything that ties the customer to the profile. A cut \
answer's hint names the types left out, to read one by one with get_profile_identifiers."""


class IdentifierValues(TypedDict):
    id_type: str
    values: Annotated[list[str], Field(description="Every stored value of this type, oldest first.")]


class ProfileIdentifierList(LocatedAnswer):
    identifiers: list[IdentifierValues]

    def item_count(self) -> int:
        return len(self.identifiers)

    def without(self, drop: int) -> Self:
        # Whole identifier types are left out, the last ones first, each named so that the
        # model can read it alone.
        kept = len(self.identifiers) - drop
        left_out = named([item["id_type"] for item in self.identifiers[kept:]])
        hint = (
            f"Left out to fit the result size budget: {plural(drop, 'identifier type')} "
            f"({left_out}). Read each with get_profile_identifiers and its id_type."
        )
        return self.cut(drop, hint, identifiers=self.identifiers[:kept])


async def list_profile_identifiers(
    *,
    store_id: StoreId,
    profile_id: ProfileId,
    ctx: Context[AppState, Any],
) -> Annotated[CallToolResult, ProfileIdentifierList]:
    async def call(api: MemoryApiClient, redactor: Redactor, trace: CallTrace) -> Answer:
        found = await api.list_profile_identifiers(store_id, profile_id, trace=trace)
        return ProfileIdentifierList.of(
            found,
            identifiers=[
                {"id_type": item.id_type, "values": redactor.values(item.values)}
                for item in found.body.identifiers
            ],
        )

    return await run_call(ctx, Asked(NAME, store_id, profile_id), call)


SPEC = ToolSpec(NAME, "List profile identifiers", DESCRIPTION, list_profile_identifiers)
