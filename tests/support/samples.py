"""Sample Memory API bodies for the context operations, in the spec's shapes (tests only)."""

from __future__ import annotations

from typing import Any

CONVERSATION = "conv_conversation_01kpttrksqe08rhv122gzq52ax"
WHEN = "2025-01-15T10:30:45Z"


def ttid(prefix: str, n: int) -> str:
    return f"{prefix}_0{n:025d}"


def observation(n: int, content: str | None = None, **extra: Any) -> dict[str, Any]:
    body = {
        "id": ttid("mem_observation", n),
        "content": content if content is not None else f"Observation number {n} about the customer.",
        "source": "conversational-intelligence",
        "occurredAt": WHEN,
        "createdAt": WHEN,
        "updatedAt": WHEN,
        "conversationIds": [CONVERSATION],
    }
    return body | extra


def summary(n: int, content: str | None = None, **extra: Any) -> dict[str, Any]:
    body = {
        "id": ttid("mem_summary", n),
        "conversationId": CONVERSATION,
        "content": content if content is not None else f"Summary number {n} of a conversation.",
        "source": "summary_operator",
        "occurredAt": WHEN,
        "createdAt": WHEN,
        "updatedAt": WHEN,
    }
    return body | extra


def participant(n: int, name: str, address: str, channel: str = "SMS") -> dict[str, Any]:
    return {"id": ttid("conv_participant", n), "name": name, "address": address, "channel": channel}


def communication(n: int, text: str, author: dict[str, Any], recipient: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": ttid("conv_communication", n),
        "author": author,
        "content": {"text": text},
        "channelId": "SM00000000000000000000000000000000",
        "createdAt": WHEN,
        "recipients": [recipient],
    }


def recall_body(
    observations: int = 2, summaries: int = 1, communications: int = 0, scored: bool = True
) -> dict[str, Any]:
    customer = participant(1, "Customer", "+12025551234")
    agent = participant(2, "Agent", "+12025555678")
    score: dict[str, Any] = {"score": 0.8} if scored else {}
    return {
        "observations": [observation(i, **score) for i in range(1, observations + 1)],
        "summaries": [summary(i, **score) for i in range(1, summaries + 1)],
        "communications": [
            communication(i, f"Message {i}", customer, agent) for i in range(1, communications + 1)
        ],
        "meta": {"queryTime": 156},
    }


def profile_body(profile_id: str, groups: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    traits = groups if groups is not None else {"Contact": {"firstName": "Alyssa", "age": 41, "vip": True}}
    return {"id": profile_id, "createdAt": "2025-01-01T12:00:00Z", "traits": traits}
