"""add_observation: store one observation on a profile (CreateProfileObservation)."""

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

NAME = "add_observation"
TITLE = "Add an observation"

DESCRIPTION = """\
Store an observation (a fact learned in this conversation, e.g. "prefers SMS after 6 pm") on \
a profile, only when the user asks to keep it. The person confirms it unless dry_run."""


def _shown(
    ctx: Context[AppState, Any],
    store_id: str,
    profile_id: str,
    content: str,
    source: str,
    occurred_at: str | None,
    conversation_id: str | None,
) -> Shown:
    data: dict[str, Any] = {
        "content": masked_text(ctx, content),
        "source": source,
        "occurredAt": occurred_at or NOW,
    }
    if conversation_id:
        data["conversationIds"] = [conversation_id]
    return Shown(NAME, "CreateProfileObservation", store_id, profile_id, data)


async def _consent(
    ctx: Context[AppState, Any],
    store_id: str,
    profile_id: str,
    content: str,
    source: str,
    occurred_at: str | None,
    conversation_id: str | None,
    dry_run: bool,
) -> Elicit[Confirmation] | NotAsked:
    shown = _shown(ctx, store_id, profile_id, content, source, occurred_at, conversation_id)
    return decide(ctx, shown, dry_run=dry_run, refused=refuse_masks(ctx, content))


async def add_observation(
    *,
    store_id: StoreId,
    profile_id: ProfileId,
    content: Content,
    source: WriteSource = DEFAULT_SOURCE,
    occurred_at: Annotated[DateTime | None, Field(description="Default: now.")] = None,
    conversation_id: ConversationId | None = None,
    dry_run: DryRun = False,
    ctx: Context[AppState, Any],
    consent: Annotated[ElicitationResult[Confirmation], Resolve(_consent)],
) -> Annotated[CallToolResult, WriteAnswer]:
    when = occurred_at or now()  # the form said "when confirmed": now it is
    shown = _shown(ctx, store_id, profile_id, content, source, when, conversation_id)

    def build() -> writes.WriteRequest:
        ids = [conversation_id] if conversation_id else []
        return writes.observation(
            store_id, profile_id, content=content, source=source, occurred_at=when, conversation_ids=ids
        )

    asked = Asked(NAME, store_id, profile_id, conversation_id=conversation_id)
    view = view_memories(ctx, "observations")
    hint = "list_observations shows it."
    return await run_write(ctx, asked, shown, build, consent, view=view, written_hint=hint)


SPEC = ToolSpec(NAME, TITLE, DESCRIPTION, add_observation, write_annotations(TITLE))
