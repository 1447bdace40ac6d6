"""A POST body is read and decoded once for every ASGI gate (issue 17, server/http/body.py)."""

from __future__ import annotations

from typing import Any

import pytest

from server.http.body import read_body

pytestmark = pytest.mark.anyio


def network(*chunks: bytes) -> tuple[Any, list[int]]:
    """A ``receive`` sending ``chunks`` as one body, and how many times it was called."""
    calls = [0]
    messages = [
        {"type": "http.request", "body": chunk, "more_body": index < len(chunks) - 1}
        for index, chunk in enumerate(chunks)
    ]

    async def receive() -> dict[str, Any]:
        calls[0] += 1
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    return receive, calls


async def test_the_second_gate_gets_the_first_gates_body_and_decoding() -> None:
    scope: dict[str, Any] = {"type": "http"}
    receive, calls = network(b'{"jsonrpc": "2.0", ', b'"id": 1, "method": "tools/list"}')
    first, replay = await read_body(scope, receive, 1024)
    second, handed_on = await read_body(scope, replay, 1024)
    assert second is first and handed_on is replay  # not read, buffered or wrapped again
    assert first.raw == b'{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}'
    assert first.decoded() is second.decoded()  # one json.loads for both gates
    assert first.decoded() == {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    assert calls == [2]
    # The app behind the gates still reads the whole body, from the replay.
    replayed = [await handed_on(), await handed_on()]
    assert b"".join(message["body"] for message in replayed) == first.raw
    assert calls == [2]


async def test_a_body_over_the_limit_or_not_json_is_none() -> None:
    receive, _ = network(b"x" * 10, b"y" * 10)
    body, _ = await read_body({"type": "http"}, receive, 15)
    assert body.raw is None and body.decoded() is None
    receive, _ = network(b"[[[not json")
    body, _ = await read_body({"type": "http"}, receive, 1024)
    assert body.raw == b"[[[not json" and body.decoded() is None
