"""A size budget on every tool result (TWILIO_MEMORY_RESULT_BUDGET), applied in one place.

Clients cap what a tool may put in the model's context: Claude Code warns above 10,000 tokens,
refuses above 25,000 (MAX_MCP_OUTPUT_TOKENS) and saves results over 50,000 characters to a
file. The budget is counted in characters of the result as the client receives it, text and
structured content both (each carries the whole answer), so it is measured on the serialized
``CallToolResult`` itself. An answer over budget is cut at item boundaries (whole values,
identifier types, traits, memories; never half a value) by leaving out its last items, as
few as will make it fit, found by bisection: the answer says how many were left out and how to
get them (:class:`tools.answers.Answer`). One that cannot be made to fit is an error.

The setting (``server/settings.py``) defaults to 50,000 characters and admits no less than
10,000, which still fits what is never cut (a lookup's 100 profile ids) and any one value or
4,096-character memory with its metadata, twice over.

Why 50,000 by default: the text and the structured copy are then about 25,000 characters
each. We assume 2 characters per token, the worst case for this data (random-looking TTIDs,
emails and phone numbers tokenize poorly; English prose is nearer 4): a client that feeds
both copies to the model then stays within the common 25,000-token limit, and one that shows
the text alone (Claude Code) gets at most about 12,500 tokens (some 6,000 at a typical 4),
with text well under the 50,000 characters over which Claude Code writes a result to a file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from mcp.types import CallToolResult, TextContent

from memory.errors import InvalidResponse
from tools.answers import Answer

AnswerT = TypeVar("AnswerT", bound=Answer)

# Kept free for what wraps the result on its way to the client: the JSON-RPC envelope and
# the SDK's own ``_meta`` (it adds the server's name, title and version to every result).
ENVELOPE = 512


# The characters of a result's JSON besides its text and structured content, measured once.
_FRAME = len(
    CallToolResult(content=[TextContent(type="text", text="")], structured_content={}).model_dump_json(
        by_alias=True, exclude_none=True
    )
) - len("{}")


def size(result: CallToolResult) -> int:
    """Characters of the result as it goes on the wire (text and structured content),
    counted on the text rather than by serializing the result again (issue 17): the
    structured content is the same JSON as the text (tools.results.success), and the text
    goes on the wire as a JSON string, each quote and backslash escaped (control characters
    are escaped in it already)."""
    text = _text(result)
    return _FRAME + 2 * len(text) + text.count('"') + text.count("\\")


def _most(result: CallToolResult) -> int:
    """What :func:`size` can be at most, without counting: every character of the text
    escaped. Most answers are well within the budget even so, and skip the count."""
    return _FRAME + 3 * len(_text(result))


def _text(result: CallToolResult) -> str:
    return "".join(block.text for block in result.content if isinstance(block, TextContent))


def fit(
    answer: AnswerT, budget: int | None, render: Callable[[AnswerT], CallToolResult]
) -> tuple[CallToolResult, AnswerT]:
    """The rendered answer, cut to ``budget`` characters if it must be; and the answer sent.

    One render when the answer fits (the common case); otherwise a bisection over how many
    items to leave out, each candidate rendered and measured. An answer that does not fit
    even with every droppable item left out is :class:`InvalidResponse`: what cannot be cut
    (ids, times, a lookup's normalized value, a page token, the hint) is bounded by the spec
    and by :mod:`tools.answers`, so only an answer outside those bounds gets there, and the
    error sent instead is small whatever the answer held (issue 16 item 3).
    """
    result = render(answer)
    if budget is None:
        return result, answer
    budget -= ENVELOPE
    if _most(result) <= budget or size(result) <= budget:
        return result, answer
    best: tuple[CallToolResult, AnswerT] | None = None
    low, high = 1, answer.droppable()
    while low <= high:
        drop = (low + high) // 2
        candidate = answer.without(drop)
        rendered = render(candidate)
        if size(rendered) <= budget:
            best, high = (rendered, candidate), drop - 1
        else:
            low = drop + 1
    if best is None:
        raise InvalidResponse(
            "the Memory API's answer does not fit the result size budget even with every item "
            "left out: what cannot be cut is larger than the API's documented bounds allow"
        )
    return best
