"""list_observations: a profile's observations, filtered, a page at a time."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field

from memory.client import CallTrace, MemoryApiClient
from tools import memories, paging
from tools.answers import Answer
from tools.calls import Asked, ToolSpec, run_call
from tools.fields import ConversationId, DateTime, OrderBy, PageSize, ProfileId, Source, StoreId
from tools.redaction import Redactor
from tools.state import AppState

NAME = "list_observations"

DESCRIPTION = """\
\
List a profile's observations page by page, newest first (order_by ASC: oldest first): facts \
and events noticed in past conversations. Filters: source, conversation_id, created_after \
(inclusive), created_before (exclusive). Next page: pass next_page_token back as page_token, \
other arguments unchanged (null on the last page)."""


class ObservationPageAnswer(memories.MemoryPage):
    ITEMS: ClassVar[str] = "observations"
    NOUN: ClassVar[str] = "observation"
    TOOL: ClassVar[str] = NAME

    observations: list[memories.ObservationItem] = Field(description="Observations, in the order asked for.")


async def list_observations(
    *,
    store_id: StoreId,
    profile_id: ProfileId,
    source: Source | None = None,
    created_after: DateTime | None = None,
    created_before: DateTime | None = None,
    conversation_id: ConversationId | None = None,
    order_by: OrderBy | None = None,
    page_size: PageSize | None = None,
    page_token: paging.PageToken | None = None,
    ctx: Context[AppState, Any],
) -> Annotated[CallToolResult, ObservationPageAnswer]:
    api_token, skip = paging.decode(page_token)

    async def call(api: MemoryApiClient, redactor: Redactor, trace: CallTrace) -> Answer:
        found = await api.list_observations(
            store_id,
            profile_id,
            source=source,
            created_after=created_after,
            created_before=created_before,
            conversation_id=conversation_id,
            order_by=order_by,
            page_size=page_size,
            page_token=api_token,
            trace=trace,
        )
        items = await memories.observations(found.body.observations[skip:], redactor)
        return ObservationPageAnswer.read(found, items, api_token, skip)

    asked = Asked(NAME, store_id, profile_id, conversation_id=conversation_id)
    return await run_call(ctx, asked, call)


SPEC = ToolSpec(NAME, "List observations", DESCRIPTION, list_observations)
