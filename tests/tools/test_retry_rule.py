"""One retry rule (issue 20 item 1): what the model is told matches what the client did.

A fake Memory API on a loopback port answers every request with the 5xx named in the path's
identifier type and counts the requests; the tool's error says ``retryable`` and a hint,
and the count must be exactly what they say: 1 + TWILIO_MEMORY_MAX_RETRIES attempts for a
retryable failure (and a hint saying the server retried), 1 for any other (and a hint
saying it did not).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from mcp import Client

from memory.errors import error_for_status
from memory.retries import retryable_status
from server.mcp_server import build_server
from tests.support.doubles import PROFILE, STORE, FakeTime, make_settings
from tests.support.in_process import serve_in_thread
from tools.results import HINTS, NOT_RETRIED_HINT

pytestmark = pytest.mark.anyio

MAX_RETRIES = 2
STATUSES = (500, 501, 502, 503, 504, 505, 507)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class FailingUpstream:
    """Answers ``GET .../Identifiers/s<status>`` with that status and a Twilio error body."""

    def __init__(self) -> None:
        self.requests: Counter[int] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        status = int(scope["path"].rsplit("/s", 1)[1])
        self.requests[status] += 1
        body = json.dumps({"code": 20000 + status, "message": "upstream failure", "status": status}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[FailingUpstream, str]]:
    app = FailingUpstream()
    with serve_in_thread(app) as base_url:
        yield app, base_url


@pytest.mark.parametrize("status", STATUSES)
async def test_attempts_are_what_retryable_and_the_hint_say(
    upstream: tuple[FailingUpstream, str], status: int
) -> None:
    app, base_url = upstream
    fake_time = FakeTime()  # the backoff is slept on its clock: no real waiting
    settings = make_settings(base_url=base_url, max_retries=MAX_RETRIES)
    server = build_server(settings, sleep=fake_time.sleep, clock=fake_time.clock)
    async with Client(server) as client:
        result = await client.call_tool(
            "get_profile_identifiers", {"store_id": STORE, "profile_id": PROFILE, "id_type": f"s{status}"}
        )
    assert result.is_error is True and result.structured_content is not None
    error = result.structured_content["error"]
    assert (error["code"], error["http_status"]) == ("upstream_unavailable", status)
    attempts = app.requests[status]
    if error["retryable"]:
        assert attempts == 1 + MAX_RETRIES
        assert error["hint"] == HINTS["upstream_unavailable"] and "already retried" in error["hint"]
        assert len(fake_time.sleeps) == MAX_RETRIES
    else:
        assert attempts == 1
        assert error["hint"] == NOT_RETRIED_HINT and "did not retry" in error["hint"]
        assert fake_time.sleeps == []


def test_the_transient_5xx_alone_are_retryable() -> None:
    assert [status for status in STATUSES if retryable_status(status)] == [500, 502, 503, 504]


@pytest.mark.parametrize("status", range(400, 600))
def test_every_status_error_is_retryable_by_the_one_rule(status: int) -> None:
    assert error_for_status(status).retryable is retryable_status(status)
