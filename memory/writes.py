"""The four profile writes, as requests built before anything is sent (issue 19).

Each builder returns a :class:`WriteRequest`: the operation, method, path and the body
encoded once, so a dry run shows the very bytes a real call would send, and a 308 after a
merge re-sends them unchanged. :meth:`memory.client.MemoryApiClient.write` sends one.

    CreateProfileObservation          POST  …/Profiles/{id}/Observations
    CreateProfileConversationSummary  POST  …/Profiles/{id}/ConversationSummaries
    PatchProfileTraits                PATCH …/Profiles/{id}           (null deletes a trait)
    CreateProfileIdentifier           POST  …/Profiles/{id}/Identifiers (may merge profiles)

Each answers 202 (accepted, visible to reads later) with ``{"message": ...}``, or 308 when
the profile was merged. The bounds below are the spec's request schemas; the tools check
them (and the patterns) before building, these builders only encode.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from memory.http import Target

Operation = Literal[
    "CreateProfileObservation",
    "CreateProfileConversationSummary",
    "PatchProfileTraits",
    "CreateProfileIdentifier",
]

MAX_CONTENT = 4096  # ObservationCore/SummaryCore content maxLength
MAX_SOURCE = 100
MAX_CONVERSATION_IDS = 10  # an observation's conversationIds maxItems
MAX_TRAIT_GROUPS = 50  # PatchProfileTraits traits maxProperties
MAX_TRAITS_PER_GROUP = 99  # each group's maxProperties
MAX_IDENTIFIER_VALUE = 255  # Identifier.value maxLength

# A trait's value: "a string, integer, boolean, or an array of these types (arrays cannot
# contain nested arrays)"; null removes the trait (PatchProfileTraits description).
TraitScalar = str | int | float | bool
TraitValue = TraitScalar | list[TraitScalar] | None


class WriteAccepted(BaseModel):
    """A write's 202 body: ``{"message": ...}`` (at most 512 characters in any of the four)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    message: str = Field(default="", max_length=512)


@dataclass(frozen=True)
class WriteRequest:
    """One write, ready to send: what, where, and the body's exact bytes."""

    operation: Operation
    method: Literal["POST", "PATCH"]
    target: Target
    body: bytes

    @property
    def store_id(self) -> str:
        return self.target.store_id

    @property
    def profile_id(self) -> str:
        assert self.target.profile_id is not None
        return self.target.profile_id

    def path(self) -> str:
        return self.target.path()

    def document(self) -> dict[str, Any]:
        """The body as JSON data (decoded from the bytes, so it is what is sent)."""
        decoded: dict[str, Any] = json.loads(self.body)
        return decoded


def observation(
    store_id: str,
    profile_id: str,
    *,
    content: str,
    source: str,
    occurred_at: str,
    conversation_ids: Sequence[str] = (),
) -> WriteRequest:
    """CreateProfileObservation with one observation (the API takes up to ten)."""
    item: dict[str, object] = {"content": content, "source": source, "occurredAt": occurred_at}
    if conversation_ids:
        item["conversationIds"] = list(conversation_ids)
    return _request(
        "CreateProfileObservation", "POST", store_id, profile_id, ("Observations",), {"observations": [item]}
    )


def conversation_summary(
    store_id: str,
    profile_id: str,
    *,
    content: str,
    conversation_id: str,
    occurred_at: str,
    source: str | None = None,
) -> WriteRequest:
    """CreateProfileConversationSummary with one summary."""
    item: dict[str, object] = {
        "content": content,
        "conversationId": conversation_id,
        "occurredAt": occurred_at,
    }
    if source is not None:
        item["source"] = source
    tail = ("ConversationSummaries",)
    return _request(
        "CreateProfileConversationSummary", "POST", store_id, profile_id, tail, {"summaries": [item]}
    )


def trait_patch(
    store_id: str, profile_id: str, traits: Mapping[str, Mapping[str, TraitValue]]
) -> WriteRequest:
    """PatchProfileTraits: only the traits named change; a null value deletes that trait."""
    body = {"traits": {group: dict(values) for group, values in traits.items()}}
    return _request("PatchProfileTraits", "PATCH", store_id, profile_id, (), body)


def identifier(store_id: str, profile_id: str, id_type: str, value: str) -> WriteRequest:
    """CreateProfileIdentifier: attach a value; "if the identifier already exists and points
    to another profile, resolution rules or merge processes may apply" (spec)."""
    return _request(
        "CreateProfileIdentifier",
        "POST",
        store_id,
        profile_id,
        ("Identifiers",),
        {"idType": id_type, "value": value},
    )


def _request(
    operation: Operation,
    method: Literal["POST", "PATCH"],
    store_id: str,
    profile_id: str,
    tail: tuple[str, ...],
    body: Mapping[str, object],
) -> WriteRequest:
    encoded = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    return WriteRequest(operation, method, Target(store_id, profile_id, tail), encoded)
