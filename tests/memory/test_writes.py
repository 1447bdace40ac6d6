"""The four profile writes: their bodies, 202s, merges, and the no-duplicate-effects rule.

A write is sent again only when the API proves it was not applied (429, or no connection);
a timeout or 5xx after sending raises OutcomeUnknown after exactly one request (issue 19).
"""

from __future__ import annotations

import json
from typing import Any

import httpx2
import jsonschema  # type: ignore[import-untyped]
import pytest

from memory import writes
from memory.client import CallTrace, Located, MemoryApiClient
from memory.errors import MemoryApiError, OutcomeUnknown, RedirectRefused
from memory.responses import MAX_RESPONSE_BYTES
from memory.retries import retryable_status
from memory.writes import WriteAccepted, WriteRequest
from tests.support.doubles import (
    BASE,
    CANONICAL,
    PROFILE,
    STORE,
    FakeTime,
    Upstream,
    make_settings,
    twilio_error,
)
from tests.support.spec import load_spec

pytestmark = pytest.mark.anyio

CONVERSATION = "conv_conversation_01kpttrksqe08rhv122gzq52ax"
ACCEPTED = httpx2.Response(202, json={"message": "Observations creation accepted"})

REQUESTS = {
    "CreateProfileObservation": writes.observation(
        STORE,
        PROFILE,
        content="Prefers SMS after 6 pm",
        source="twilio-memory-mcp",
        occurred_at="2026-12-04T18:00:00Z",
        conversation_ids=[CONVERSATION],
    ),
    "CreateProfileConversationSummary": writes.conversation_summary(
        STORE,
        PROFILE,
        content="Agreed a refund",
        conversation_id=CONVERSATION,
        occurred_at="2026-12-04T18:00:00Z",
    ),
    "PatchProfileTraits": writes.trait_patch(STORE, PROFILE, {"Contact": {"channel": "sms", "fax": None}}),
    "CreateProfileIdentifier": writes.identifier(STORE, PROFILE, "email", "new@example.com"),
}


def operation_schema(operation_id: str) -> tuple[str, str, dict[str, Any]]:
    spec = load_spec()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                schema = operation["requestBody"]["content"]["application/json"]["schema"]
                return method.upper(), path, {**schema, "components": spec["components"]}
    raise AssertionError(operation_id)


@pytest.mark.parametrize("operation", sorted(REQUESTS))
def test_each_write_body_is_valid_against_the_spec(operation: str) -> None:
    request = REQUESTS[operation]
    method, path, schema = operation_schema(operation)
    jsonschema.validate(request.document(), schema)
    assert request.operation == operation and request.method == method
    expected = path.replace("{storeId}", STORE).replace("{profileId}", PROFILE)
    assert request.path() == expected


async def send(
    upstream: Upstream, request: WriteRequest, fake_time: FakeTime | None = None, **settings: object
) -> tuple[Located[WriteAccepted], CallTrace]:
    trace = CallTrace()
    async with httpx2.AsyncClient(transport=upstream.transport()) as http:
        kwargs: dict[str, Any] = {"sleep": fake_time.sleep, "clock": fake_time.clock} if fake_time else {}
        client = MemoryApiClient(http, make_settings(**settings).memory, **kwargs)
        return await client.write(request, trace=trace), trace


async def send_error(upstream: Upstream, request: WriteRequest, fake_time: FakeTime) -> MemoryApiError:
    with pytest.raises(MemoryApiError) as caught:
        await send(upstream, request, fake_time)
    return caught.value


@pytest.mark.parametrize("operation", sorted(REQUESTS))
async def test_a_202_is_accepted_with_its_message(upstream: Upstream, operation: str) -> None:
    upstream.handler = lambda request: httpx2.Response(202, json={"message": "accepted for processing"})
    found, trace = await send(upstream, REQUESTS[operation])
    assert found.body.message == "accepted for processing"
    assert (found.profile_id, trace.attempts, trace.http_status) == (PROFILE, 1, 202)
    [sent] = upstream.requests
    assert sent.method == REQUESTS[operation].method
    assert sent.content == REQUESTS[operation].body
    assert sent.headers["content-type"] == "application/json"


async def test_a_429_is_retried_because_it_proves_nothing_was_written(
    upstream: Upstream, fake_time: FakeTime
) -> None:
    answers = iter([twilio_error(429, 20429, "Too many requests", **{"Retry-After": "2"}), ACCEPTED])
    upstream.handler = lambda request: next(answers)
    found, trace = await send(upstream, REQUESTS["CreateProfileObservation"], fake_time)
    assert found.body.message == "Observations creation accepted"
    assert len(upstream.requests) == 2 and trace.attempts == 2
    assert fake_time.sleeps and fake_time.sleeps[0] >= 2.0
    assert upstream.requests[0].content == upstream.requests[1].content


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_a_5xx_after_sending_is_not_retried(
    upstream: Upstream, fake_time: FakeTime, status: int
) -> None:
    upstream.handler = lambda request: twilio_error(status, 20500, "Internal error")
    error = await send_error(upstream, REQUESTS["CreateProfileObservation"], fake_time)
    assert isinstance(error, OutcomeUnknown) and error.code == "outcome_unknown"
    assert error.http_status == status and not error.retryable
    assert len(upstream.requests) == 1
    assert fake_time.sleeps == []


@pytest.mark.parametrize(
    "failure", [httpx2.ReadTimeout("read"), httpx2.WriteTimeout("write"), httpx2.RemoteProtocolError("gone")]
)
async def test_a_timeout_or_drop_after_sending_is_not_retried(
    upstream: Upstream, fake_time: FakeTime, failure: Exception
) -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        raise failure

    upstream.handler = handler
    error = await send_error(upstream, REQUESTS["PatchProfileTraits"], fake_time)
    assert isinstance(error, OutcomeUnknown)
    assert "not sent again" in error.message
    assert len(upstream.requests) == 1


@pytest.mark.parametrize("failure", [httpx2.ConnectError("refused"), httpx2.ConnectTimeout("connect")])
async def test_no_connection_proves_nothing_was_sent_so_it_is_retried(
    upstream: Upstream, fake_time: FakeTime, failure: Exception
) -> None:
    calls = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        calls.append(request)
        if len(calls) == 1:
            raise failure
        return ACCEPTED

    upstream.handler = handler
    found, trace = await send(upstream, REQUESTS["CreateProfileIdentifier"], fake_time)
    assert found.body.message == "Observations creation accepted"
    assert trace.attempts == 2


async def test_reads_keep_retrying_a_5xx(upstream: Upstream, fake_time: FakeTime) -> None:
    # The same rule, replayable: a read is retried where a write is not.
    assert retryable_status(500) and retryable_status(None)
    assert not retryable_status(500, replayable=False) and not retryable_status(None, replayable=False)
    assert retryable_status(429, replayable=False) and retryable_status(None, sent=False, replayable=False)
    assert not retryable_status(400) and not retryable_status(404, replayable=False)


@pytest.mark.parametrize("operation", sorted(REQUESTS))
async def test_a_merged_profile_308_resends_the_same_bytes_to_the_canonical_one(
    upstream: Upstream, operation: str
) -> None:
    request = REQUESTS[operation]

    def handler(sent: httpx2.Request) -> httpx2.Response:
        if PROFILE in sent.url.path:
            moved = sent.url.path.replace(PROFILE, CANONICAL)
            return httpx2.Response(
                308,
                json={"message": "This resource has moved.", "uri": f"{BASE}{moved}"},
                headers={"Canonical-Profile-Id": CANONICAL, "Location": f"{BASE}{moved}"},
            )
        return httpx2.Response(202, json={"message": "accepted"})

    upstream.handler = handler
    found, trace = await send(upstream, request)
    assert (found.requested_profile_id, found.profile_id, trace.attempts) == (PROFILE, CANONICAL, 2)
    first, second = upstream.requests
    assert second.method == first.method == request.method
    assert second.content == first.content == request.body
    assert second.url.path == request.path().replace(PROFILE, CANONICAL)
    assert second.headers["authorization"] == first.headers["authorization"]


async def test_a_308_to_another_origin_is_refused_and_nothing_is_resent(upstream: Upstream) -> None:
    upstream.handler = lambda sent: httpx2.Response(
        308,
        json={"message": "This resource has moved.", "uri": "https://evil.example/x"},
        headers={"Canonical-Profile-Id": CANONICAL, "Location": "https://evil.example/x"},
    )
    with pytest.raises(RedirectRefused):
        await send(upstream, REQUESTS["CreateProfileObservation"])
    assert len(upstream.requests) == 1


async def test_a_202_with_an_odd_body_still_counts_as_accepted(upstream: Upstream) -> None:
    upstream.handler = lambda request: httpx2.Response(202, content=b"")
    found, _ = await send(upstream, REQUESTS["CreateProfileObservation"])
    assert found.body.message == ""


async def test_a_202_that_cannot_be_read_is_an_unknown_outcome_not_a_failure(
    upstream: Upstream, fake_time: FakeTime
) -> None:
    # It may be the answer that accepted the write: saying "invalid_response" would invite a
    # second write of the same content.
    answer = httpx2.Response(202, content=b"x" * (MAX_RESPONSE_BYTES + 1))  # too large to read
    upstream.handler = lambda request: answer
    error = await send_error(upstream, REQUESTS["CreateProfileObservation"], fake_time)
    assert isinstance(error, OutcomeUnknown), error
    assert len(upstream.requests) == 1


def test_the_body_is_encoded_once_and_compactly() -> None:
    request = REQUESTS["PatchProfileTraits"]
    assert request.body == b'{"traits":{"Contact":{"channel":"sms","fax":null}}}'
    assert json.loads(request.body) == request.document()
