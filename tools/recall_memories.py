"""recall_memories: what Conversation Memory recalls about a customer for an agent (Recall)."""

from __future__ import annotations

from typing import Annotated, Any, Self

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field, PrivateAttr

from memory import models
from memory.client import CallTrace, MemoryApiClient
from tools import memories
from tools.answers import Answer, LocatedAnswer, plural
from tools.calls import Asked, ToolSpec, run_call
from tools.fields import ConversationId, DateTime, Limit, ProfileId, StoreId
from tools.redaction import Redactor
from tools.results import json_text
from tools.state import AppState

NAME = "recall_memories"

DESCRIPTION = """\
Recall what is known about a customer for the conversation at hand: observations (facts and \
events from past conversations), conversation summaries, and optionally the conversation's \
messages (communications_limit with conversation_id). query: hybrid search ranked by \
relevance (score 0-1); conversation_id without query: a query inferred from its recent \
messages; neither: most recent first. begin_date (inclusive) and end_date (exclusive) narrow \
by time. A cut answer leaves out the least relevant memories."""

KINDS = ("observations", "summaries", "communications")
LIMITS = {
    "observations": "observations_limit",
    "summaries": "summaries_limit",
    "communications": "communications_limit",
}
NOUNS = {"observations": "observation", "summaries": "summary", "communications": "message"}


# Described here only where the tool's description does not already say it.
QueryArg = Annotated[
    Annotated[str, Field(max_length=1024)] | None, Field(description="e.g. 'billing complaints'")
]


class RecallAnswer(LocatedAnswer):
    ranked: bool = Field(
        description="True when ranked by relevance (scores given), false when most recent first."
    )
    observations: list[memories.RecalledObservation]
    summaries: list[memories.RecalledSummary]
    communications: list[memories.Message] = Field(description="Recent messages of the conversation given.")
    _sizes: dict[str, list[int]] | None = PrivateAttr(default=None)

    def item_count(self) -> int:
        return len(self.observations) + len(self.summaries) + len(self.communications)

    def without(self, drop: int) -> Self:
        # Each list is in the API's order (most relevant or most recent first), so memories go
        # from the tails; each step takes from the kind that is largest in characters right
        # now, so one huge message goes before many small observations.
        sizes = self._item_sizes()
        totals = {kind: sum(values) for kind, values in sizes.items()}
        counts = {kind: len(values) for kind, values in sizes.items()}
        for _ in range(drop):
            kind = max((k for k in KINDS if counts[k]), key=lambda k: totals[k])
            counts[kind] -= 1
            totals[kind] -= sizes[kind][counts[kind]]
        dropped = {kind: len(sizes[kind]) - counts[kind] for kind in KINDS}
        said = ", ".join(plural(n, NOUNS[kind]) for kind, n in dropped.items() if n)
        smaller = ", ".join(f"{LIMITS[kind]}={max(counts[kind], 1)}" for kind in KINDS if dropped[kind])
        hint = (
            f"Left out to fit the result size budget: {said} (the last of each list). To see "
            f"them, ask for fewer at a time ({smaller}) with a narrower query or begin_date/"
            "end_date, or page through list_observations and list_conversation_summaries."
        )
        cut = self.cut(drop, hint, **{kind: self._list(kind)[: counts[kind]] for kind in KINDS})
        cut._sizes = None  # model_copy copied the uncut answer's
        return cut

    def _item_sizes(self) -> dict[str, list[int]]:
        # Each item is sized once per answer, not on every step of the budget's bisection
        # (which calls without() on the same answer; a 200-item recall took 7.9 ms, issue 17).
        if self._sizes is None:
            self._sizes = {kind: [len(json_text(item)) for item in self._list(kind)] for kind in KINDS}
        return self._sizes

    def _list(self, kind: str) -> list[Any]:
        items: list[Any] = getattr(self, kind)
        return items


async def recall_memories(
    *,
    store_id: StoreId,
    profile_id: ProfileId,
    query: QueryArg = None,
    conversation_id: ConversationId | None = None,
    begin_date: DateTime | None = None,
    end_date: DateTime | None = None,
    observations_limit: Limit = 20,
    summaries_limit: Limit = 5,
    communications_limit: Limit = 0,
    ctx: Context[AppState, Any],
) -> Annotated[CallToolResult, RecallAnswer]:
    request = models.RecallRequest(
        query=query,
        conversation_id=conversation_id,
        begin_date=begin_date,
        end_date=end_date,
        observations_limit=observations_limit,
        summaries_limit=summaries_limit,
        communications_limit=communications_limit,
    )

    async def call(api: MemoryApiClient, redactor: Redactor, trace: CallTrace) -> Answer:
        found = await api.recall(store_id, profile_id, request, trace=trace)
        body = found.body

        def build() -> RecallAnswer:
            # The messages' participants are people this very call named: mask their
            # addresses (identifier values) and full names wherever the memories' text
            # repeats them. A one-word name ("Customer", "Agent") is a role more often than a
            # person, and masking it would mask that word in every memory.
            people = [p for c in body.communications for p in (c.author, *c.recipients)]
            named = [p.address for p in people] + [p.name for p in people if len(p.name.split()) >= 2]
            known = redactor.known(named)
            scored = [item.score for item in body.observations] + [item.score for item in body.summaries]
            return RecallAnswer.of(
                found,
                ranked=any(score is not None for score in scored),
                observations=[memories.recalled_observation(o, redactor, known) for o in body.observations],
                summaries=[memories.recalled_summary(s, redactor, known) for s in body.summaries],
                communications=[memories.message(c, redactor, known) for c in body.communications],
            )

        characters = (
            sum(len(item.content or "") for item in body.observations)
            + sum(len(item.content) for item in body.summaries)
            # each participant adds a name and an address to the values the text is searched for
            + sum(len(c.content.text or "") + 300 * len(c.recipients) for c in body.communications)
        )
        return await redactor.build(build, characters)

    return await run_call(ctx, Asked(NAME, store_id, profile_id, conversation_id=conversation_id), call)


SPEC = ToolSpec(NAME, "Recall customer memories", DESCRIPTION, recall_memories)
