"""list_conversation_summaries: a profile's conversation summaries, a page at a time."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field

from memory.client import CallTrace, MemoryApiClient
from tools import memories, paging
from tools.answers import Answer
from tools.calls import Asked, ToolSpec, run_call
from tools.fields import ConversationId, PageSize, ProfileId, StoreId
from tools.redaction import Redactor
from tools.state import AppState

NAME = "list_conversation_summaries"

DESCRIPTION = """\
\
List a profile's conversation summaries page by page: what each past conversation was about \
and how it ended (conversation_id: one conversation's). Next page: pass next_page_token back \
as page_token, other arguments unchanged (null on the last page)."""


class SummaryPageAnswer(memories.MemoryPage):
    ITEMS: ClassVar[str] = "summaries"
    NOUN: ClassVar[str] = "summary"
    TOOL: ClassVar[str] = NAME

    summaries: list[memories.SummaryItem] = Field(description="Summaries, in the API's order.")


async def list_conversation_summaries(
    *,
    store_id: StoreId,
    profile_id: ProfileId,
    conversation_id: ConversationId | None = None,
    page_size: PageSize | None = None,
    page_token: paging.PageToken | None = None,
    ctx: Context[AppState, Any],
) -> Annotated[CallToolResult, SummaryPageAnswer]:
    api_token, skip = paging.decode(page_token)

    async def call(api: MemoryApiClient, redactor: Redactor, trace: CallTrace) -> Answer:
        found = await api.list_conversation_summaries(
            store_id,
            profile_id,
            conversation_id=conversation_id,
            page_size=page_size,
            page_token=api_token,
            trace=trace,
        )
        items = await memories.summaries(found.body.summaries[skip:], redactor)
        return SummaryPageAnswer.read(found, items, api_token, skip)

    asked = Asked(NAME, store_id, profile_id, conversation_id=conversation_id)
    return await run_call(ctx, asked, call)


SPEC = ToolSpec(NAME, "List conversation summaries", DESCRIPTION, list_conversation_summaries)
