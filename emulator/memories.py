"""What Conversation Memory remembers about a profile: observations, conversation summaries
and communications, as held by the emulator and written in the spec's shapes.

- :class:`Observation`: ``ObservationInfo`` (lists) and ``RecallObservationInfo`` (Recall, which
  adds ``score`` and requires ``content``, ``source`` and ``occurredAt``; the emulator always
  holds all three so one object serves both).
- :class:`Summary`: ``SummaryInfo`` / ``RecallSummaryInfo``.
- :class:`Communication`: ``Communication`` (Recall's session memory). The spec's object does
  not name its conversation; the emulator keeps ``conversationId`` beside it, never in it.

Seeds describe them in those same shapes (``communications`` items add ``conversationId``);
:func:`parse_memories` checks what the spec constrains and raises :class:`MemoryInvalid`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .ids import (
    COMMUNICATION_ID,
    CONVERSATION_ID,
    OBSERVATION_ID,
    PARTICIPANT_ID,
    PROFILE_ID,
    SOURCE,
    SUMMARY_ID,
)
from .timestamps import format_timestamp, read_timestamp

MAX_CONTENT = 4096  # ObservationInfo.content / SummaryInfo.content maxLength
MAX_CONVERSATION_IDS = 10  # ObservationInfo.conversationIds maxItems
CHANNELS = frozenset({"VOICE", "SMS", "RCS", "EMAIL", "WHATSAPP", "CHAT", "API", "SYSTEM"})
PARTICIPANT_TYPES = frozenset({"HUMAN_AGENT", "CUSTOMER", "AI_AGENT", "AGENT", "UNKNOWN"})


class MemoryInvalid(ValueError):
    """A seeded memory breaks the spec's schema."""


@dataclass(frozen=True)
class _Memory:
    """What an observation and a summary both hold (ObservationCore, SummaryCore)."""

    id: str
    content: str
    source: str
    occurred_at: datetime
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Observation(_Memory):
    conversation_ids: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "content": self.content, "source": self.source}
        if self.conversation_ids:
            body["conversationIds"] = list(self.conversation_ids)
        return body | _times(self.occurred_at, self.created_at, self.updated_at)


@dataclass(frozen=True)
class Summary(_Memory):
    conversation_id: str

    def to_json(self) -> dict[str, Any]:
        body = {"id": self.id, "conversationId": self.conversation_id, "content": self.content}
        if self.source:  # optional when written (SummaryCore.source); seeds always give one
            body["source"] = self.source
        return body | _times(self.occurred_at, self.created_at, self.updated_at)


@dataclass(frozen=True)
class Communication:
    id: str
    conversation_id: str
    created_at: datetime
    text: str  # content.text, "" when the communication has none
    body: Mapping[str, Any] = field(repr=False)  # the spec's Communication object

    def to_json(self) -> dict[str, Any]:
        return dict(self.body)


@dataclass
class Memories:
    observations: list[Observation] = field(default_factory=list)
    summaries: list[Summary] = field(default_factory=list)
    communications: list[Communication] = field(default_factory=list)

    def absorb(self, other: Memories) -> None:
        """Take over another profile's memories (a merge); ``other`` is left empty."""
        self.observations += other.observations
        self.summaries += other.summaries
        self.communications += other.communications
        other.observations, other.summaries, other.communications = [], [], []


def parse_memories(raw: Mapping[str, Any]) -> Memories:
    """The ``observations``, ``summaries`` and ``communications`` of a seeded profile."""
    return Memories(
        [_observation(item) for item in _items(raw, "observations")],
        [_summary(item) for item in _items(raw, "summaries")],
        [_communication(item) for item in _items(raw, "communications")],
    )


def _observation(raw: Mapping[str, Any]) -> Observation:
    ids = raw.get("conversationIds", [])
    if not isinstance(ids, list) or len(ids) > MAX_CONVERSATION_IDS:
        raise MemoryInvalid(f"observation conversationIds must be a list of at most {MAX_CONVERSATION_IDS}")
    return Observation(
        id=_text(raw, "id", OBSERVATION_ID),
        content=_content(raw),
        source=_text(raw, "source", SOURCE),
        **_seed_times(raw),
        conversation_ids=tuple(_pattern(value, "conversationIds", CONVERSATION_ID) for value in ids),
    )


def _summary(raw: Mapping[str, Any]) -> Summary:
    return Summary(
        id=_text(raw, "id", SUMMARY_ID),
        conversation_id=_text(raw, "conversationId", CONVERSATION_ID),
        content=_content(raw),
        source=_text(raw, "source", SOURCE),
        **_seed_times(raw),
    )


def _communication(raw: Mapping[str, Any]) -> Communication:
    body = {key: value for key, value in raw.items() if key != "conversationId"}
    content = body.get("content")
    if not isinstance(content, Mapping) or not isinstance(content.get("text", ""), str):
        raise MemoryInvalid("communication content must be an object with an optional text string")
    recipients = body.get("recipients")
    if not isinstance(recipients, list) or len(recipients) > 100:
        raise MemoryInvalid("communication recipients must be a list of at most 100")
    for participant in (body.get("author"), *recipients):
        _participant(participant)
    created = _time(raw, "createdAt")
    body["createdAt"] = format_timestamp(created)
    if "updatedAt" in body:
        body["updatedAt"] = format_timestamp(_time(raw, "updatedAt"))
    return Communication(
        id=_text(raw, "id", COMMUNICATION_ID),
        conversation_id=_text(raw, "conversationId", CONVERSATION_ID),
        created_at=created,
        text=str(content.get("text", "")),
        body=body,
    )


def _participant(raw: object) -> None:
    # Participant: id, name (≤256), address (≤254), channel required; type and profileId optional.
    if not isinstance(raw, Mapping):
        raise MemoryInvalid("a communication participant must be an object")
    _text(raw, "id", PARTICIPANT_ID)
    for key, limit in (("name", 256), ("address", 254)):
        value = raw.get(key)
        if not isinstance(value, str) or len(value) > limit:
            raise MemoryInvalid(f"participant {key} must be a string of at most {limit} characters")
    if raw.get("channel") not in CHANNELS:
        raise MemoryInvalid(f"participant channel must be one of {', '.join(sorted(CHANNELS))}")
    if "type" in raw and raw["type"] not in PARTICIPANT_TYPES:
        raise MemoryInvalid(f"participant type must be one of {', '.join(sorted(PARTICIPANT_TYPES))}")
    if "profileId" in raw:
        _pattern(raw["profileId"], "profileId", PROFILE_ID)


def _items(raw: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    items = raw.get(key, [])
    if not isinstance(items, list) or not all(isinstance(item, Mapping) for item in items):
        raise MemoryInvalid(f"{key} must be a list of objects")
    return items


def _text(raw: Mapping[str, Any], key: str, pattern: Any) -> str:
    return _pattern(raw.get(key), key, pattern)


def _pattern(value: object, key: str, pattern: Any) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise MemoryInvalid(f"{key} {value!r} must match {pattern.pattern}")
    return value


def _content(raw: Mapping[str, Any]) -> str:
    value = raw.get("content")
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_CONTENT:
        raise MemoryInvalid(f"content must be a string of 1 to {MAX_CONTENT} characters")
    return value


def _time(raw: Mapping[str, Any], key: str) -> datetime:
    return read_timestamp(raw.get(key), key, MemoryInvalid)


def _seed_times(raw: Mapping[str, Any]) -> dict[str, datetime]:
    """A seeded memory's times, as :class:`_Memory`'s fields: occurredAt and createdAt are
    required in seeds; updatedAt defaults to createdAt."""
    created = _time(raw, "createdAt")
    updated = _time(raw, "updatedAt") if "updatedAt" in raw else created
    return {"occurred_at": _time(raw, "occurredAt"), "created_at": created, "updated_at": updated}


def _times(occurred: datetime, created: datetime, updated: datetime) -> dict[str, str]:
    return {
        "occurredAt": format_timestamp(occurred),
        "createdAt": format_timestamp(created),
        "updatedAt": format_timestamp(updated),
    }
