"""add_conversation_summary: store a summary of one conversation (CreateProfileConversationSummary)."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.elicitation import ElicitationResult
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.resolve import Elicit, Resolve
from mcp.types import CallToolResult
from pydantic import Field

from memory import writes
from tools.calls import Asked, ToolSpec
from tools.fields import ConversationId, DateTime, ProfileId, StoreId
from tools.state import AppState
from tools.writes.common import masked_text, refuse_masks, view_memories, write_annotations
from tools.writes.consent import Confirmation, NotAsked, Shown, decide
from tools.writes.fields import DEFAULT_SOURCE, NOW, Content, DryRun, WriteSource, now
from tools.writes.run import WriteAnswer, run_write

NAME = "add_conversation_summary"
TITLE = "Add a conversation summary"

DESCRIPTION = """\
Store a summary of one conversation (what was discussed and agreed) on a profile, only when \
the user asks to keep it. The person confirms it unless dry_run."""


def _shown(
    ctx: Context[AppState, Any],
    store_id: str,
    profile_id: str,
    conversation_id: str,
    content: str,
    source: str,
    occurred_at: str | None,
) -> Shown:
    data = {
        "content": masked_text(ctx, content),
        "conversationId": conversation_id,
        "source": source,
        "occurredAt": occurred_at or NOW,
    }
    return Shown(NAME, "CreateProfileConversationSummary", store_id, profile_id, data)


async def _consent(
    ctx: Context[AppState, Any],
    store_id: str,
    profile_id: str,
    conversation_id: str,
    content: str,
    source: str,
    occurred_at: str | None,
    dry_run: bool,
) -> Elicit[Confirmation] | NotAsked:
    shown = _shown(ctx, store_id, profile_id, conversation_id, content, source, occurred_at)
    return decide(ctx, shown, dry_run=dry_run, refused=refuse_masks(ctx, content))


async def add_conversation_summary(
    *,
    store_id: StoreId,
    profile_id: ProfileId,
    conversation_id: ConversationId,
    content: Content,
    source: WriteSource = DEFAULT_SOURCE,
    occurred_at: Annotated[DateTime | None, Field(description="Default: now.")] = None,
    dry_run: DryRun = False,
    ctx: Context[AppState, Any],
    consent: Annotated[ElicitationResult[Confirmation], Resolve(_consent)],
) -> Annotated[CallToolResult, WriteAnswer]:
    when = occurred_at or now()  # the form said "when confirmed": now it is
    shown = _shown(ctx, store_id, profile_id, conversation_id, content, source, when)

    def build() -> writes.WriteRequest:
        return writes.conversation_summary(
            store_id,
            profile_id,
            content=content,
            conversation_id=conversation_id,
            occurred_at=when,
            source=source,
        )

    asked = Asked(NAME, store_id, profile_id, conversation_id=conversation_id)
    view = view_memories(ctx, "summaries")
    hint = "list_conversation_summaries shows it."
    return await run_write(ctx, asked, shown, build, consent, view=view, written_hint=hint)


SPEC = ToolSpec(NAME, TITLE, DESCRIPTION, add_conversation_summary, write_annotations(TITLE))
