"""Recall's selection and ranking: a deterministic stand-in for the hybrid (semantic + keyword)
search of ``CreateFetchProfileMemory``.

The real service embeds text; the emulator counts shared terms, so the same request over the
same data always answers the same items in the same order with the same scores:

- **Terms**: the text casefolded, split into runs of letters and digits, words of one character
  and a short English stop-word list dropped, and a plural ``s``/``ies`` folded (``refunds`` →
  ``refund``, ``deliveries`` → ``delivery``).
- **Score** of an observation or summary = (query terms found in its ``content``) / (query
  terms), rounded to 4 places: in [0, 1] as ``score`` must be.
- **Query**: ``query`` when it has terms. Without one, as the spec describes, the query is
  "inferred from the conversation context": the text of the last 10 communications of
  ``conversationId``. With neither (or nothing to infer from), results are **most recent first
  and carry no ``score``** (the spec: "results are returned in most-recent order without
  relevance scores"); ``relevanceThreshold`` then has no effect.
- **Ranking**: score descending, then ``occurredAt`` most recent first, then ``id``; only items
  scoring at least ``relevanceThreshold`` (default 0: all); then cut to the kind's limit.
- **Window**: ``beginDate`` (inclusive) and ``endDate`` (exclusive) apply to ``occurredAt`` of
  observations and summaries and ``createdAt`` of communications.
- **Communications** (session memory) come only from ``conversationId``'s conversation: its
  ``communicationsLimit`` most recent in the window, oldest first (a transcript's order, as in
  the spec's example). No conversation, or a limit of 0 (the default): none.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from .memories import Communication, Memories, Observation, Summary
from .timestamps import epoch_micros

INFERENCE_WINDOW = 10  # "query expansion ... from previous 10 communications in conversation"
_WORD = re.compile(r"[^\W_]+")
_STOP_WORDS_TEXT = """a an and are as at be but by can did do does for from had has have he her him his how
i if in into is it its me my no not of on or our she so than that the their them then there they this to
was we were what when where which who will with you your"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())

M = TypeVar("M", Observation, Summary)


@dataclass(frozen=True)
class RecallQuery:
    """A checked ``MemoryRetrievalRequest``; defaults are the spec's."""

    query: str | None = None
    conversation_id: str | None = None
    begin: datetime | None = None
    end: datetime | None = None
    observations_limit: int = 20
    summaries_limit: int = 5
    communications_limit: int = 0
    relevance_threshold: float = 0.0


def terms(text: str) -> frozenset[str]:
    words = (word for word in _WORD.findall(text.casefold()) if len(word) > 1 and word not in STOP_WORDS)
    return frozenset(_fold_plural(word) for word in words)


def _fold_plural(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def score(query_terms: frozenset[str], text: str) -> float:
    return round(len(query_terms & terms(text)) / len(query_terms), 4) if query_terms else 0.0


def recall(memories: Memories, request: RecallQuery) -> dict[str, list[dict[str, Any]]]:
    """The ``observations``, ``summaries`` and ``communications`` of a Recall answer."""

    def in_window(moment: datetime) -> bool:
        return (request.begin is None or moment >= request.begin) and (
            request.end is None or moment < request.end
        )

    query_terms = _query_terms(memories, request)
    ranked = _ranked if query_terms else _recent

    def pick(items: Iterable[M], limit: int) -> list[dict[str, Any]]:
        chosen = [item for item in items if in_window(item.occurred_at)]
        return ranked(chosen, query_terms, request.relevance_threshold, limit)

    return {
        "observations": pick(memories.observations, request.observations_limit),
        "summaries": pick(memories.summaries, request.summaries_limit),
        "communications": _session(memories, request, in_window),
    }


def _session(
    memories: Memories, request: RecallQuery, in_window: Callable[[datetime], bool]
) -> list[dict[str, Any]]:
    if request.communications_limit == 0 or request.conversation_id is None:
        return []
    held = [c for c in _conversation(memories, request.conversation_id) if in_window(c.created_at)]
    return [c.to_json() for c in held[-request.communications_limit :]]


def _conversation(memories: Memories, conversation_id: str | None) -> list[Communication]:
    """The conversation's communications held on the profile, oldest first."""
    held = [c for c in memories.communications if c.conversation_id == conversation_id]
    return sorted(held, key=lambda c: (epoch_micros(c.created_at), c.id))


def _query_terms(memories: Memories, request: RecallQuery) -> frozenset[str]:
    if request.query is not None and (found := terms(request.query)):
        return found
    if request.conversation_id is None:
        return frozenset()
    recent = _conversation(memories, request.conversation_id)[-INFERENCE_WINDOW:]
    return terms(" ".join(c.text for c in recent))


def _ranked(
    items: Sequence[M], query_terms: frozenset[str], threshold: float, limit: int
) -> list[dict[str, Any]]:
    scored = [(score(query_terms, item.content), item) for item in items]
    kept = [pair for pair in scored if pair[0] >= threshold]
    kept.sort(key=lambda pair: (-pair[0], -epoch_micros(pair[1].occurred_at), pair[1].id))
    return [item.to_json() | {"score": value} for value, item in kept[:limit]]


def _recent(
    items: Sequence[M], _terms: frozenset[str], _threshold: float, limit: int
) -> list[dict[str, Any]]:
    ordered = sorted(items, key=lambda item: (-epoch_micros(item.occurred_at), item.id))
    return [item.to_json() for item in ordered[:limit]]
