"""The context operations of the Memory API client over a MockTransport: FetchProfile, Recall,
ListProfileConversationSummaries and ListProfileObservations (statuses, merges, paging, bounds)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx2
import pytest

from memory.client import CallTrace, MemoryApiClient
from memory.errors import MemoryApiError
from memory.models import RecallRequest
from tests.support.doubles import (
    API_SECRET,
    BASE,
    CANONICAL,
    PROFILE,
    STORE,
    FakeTime,
    Upstream,
    make_settings,
    twilio_error,
)
from tests.support.samples import CONVERSATION, observation, profile_body, recall_body, summary, ttid

pytestmark = pytest.mark.anyio

PROFILE_PATH = f"/v1/Stores/{STORE}/Profiles/{PROFILE}"
Operation = Callable[[MemoryApiClient], Awaitable[Any]]


async def run(upstream: Upstream, operation: Operation, fake_time: FakeTime | None = None) -> Any:
    async with httpx2.AsyncClient(transport=upstream.transport()) as http:
        timing: dict[str, Any] = {"sleep": fake_time.sleep, "clock": fake_time.clock} if fake_time else {}
        client = MemoryApiClient(http, make_settings().memory, **timing)
        return await operation(client)


async def fails(
    upstream: Upstream, operation: Operation, fake_time: FakeTime | None = None
) -> MemoryApiError:
    with pytest.raises(MemoryApiError) as caught:
        await run(upstream, operation, fake_time)
    assert API_SECRET not in str(caught.value)
    return caught.value


def fetch_profile(trait_groups: tuple[str, ...] = ()) -> Operation:
    return lambda client: client.fetch_profile(STORE, PROFILE, trait_groups)


def recall(request: RecallRequest | None = None, trace: CallTrace | None = None) -> Operation:
    return lambda client: client.recall(STORE, PROFILE, request or RecallRequest(), trace=trace)


def list_summaries(**query: Any) -> Operation:
    return lambda client: client.list_conversation_summaries(STORE, PROFILE, **query)


def list_observations(**query: Any) -> Operation:
    return lambda client: client.list_observations(STORE, PROFILE, **query)


def ok(body: dict[str, Any], **headers: str) -> httpx2.Response:
    return httpx2.Response(200, json=body, headers=headers)


def moved(status: int, canonical: str = CANONICAL, location: str | None = None) -> httpx2.Response:
    headers = {"Canonical-Profile-Id": canonical}
    headers["Location"] = location or f"{BASE}/v1/Stores/{STORE}/Profiles/{canonical}"
    return httpx2.Response(
        status, json={"message": "This resource has moved.", "uri": headers["Location"]}, headers=headers
    )


def profile_of(request: httpx2.Request) -> str:
    return request.url.path.split("/")[5]


# FetchProfile


async def test_fetch_profile_reads_traits_of_every_type(upstream: Upstream) -> None:
    groups = {"Contact": {"firstName": "Alyssa", "age": 41, "vip": True, "score": 4.5, "tags": ["a", 1]}}
    upstream.handler = lambda request: ok(profile_body(PROFILE, groups))
    found = await run(upstream, fetch_profile())
    assert (found.profile_id, found.requested_profile_id) == (PROFILE, PROFILE)
    assert found.body.traits == groups
    assert found.body.created_at == "2025-01-01T12:00:00Z"
    [request] = upstream.requests
    assert (request.method, str(request.url)) == ("GET", BASE + PROFILE_PATH)


async def test_fetch_profile_sends_trait_groups_comma_separated(upstream: Upstream) -> None:
    upstream.handler = lambda request: ok(profile_body(PROFILE))
    await run(upstream, fetch_profile(("Contact", "Loyalty.v2")))
    assert upstream.requests[0].url.params["traitGroups"] == "Contact,Loyalty.v2"


async def test_fetch_profile_follows_301_keeping_the_query(upstream: Upstream) -> None:
    upstream.handler = lambda request: (
        moved(301) if profile_of(request) == PROFILE else ok(profile_body(CANONICAL))
    )
    found = await run(upstream, fetch_profile(("Contact",)))
    assert (found.profile_id, found.requested_profile_id) == (CANONICAL, PROFILE)
    second = upstream.requests[1]
    assert (second.method, second.url.path) == ("GET", f"/v1/Stores/{STORE}/Profiles/{CANONICAL}")
    assert second.url.params["traitGroups"] == "Contact"


async def test_a_200_naming_the_canonical_profile_is_reported_as_merged(upstream: Upstream) -> None:
    upstream.handler = lambda request: ok({"traits": {}}, **{"Canonical-Profile-Id": CANONICAL})
    found = await run(upstream, fetch_profile())
    assert (found.profile_id, found.requested_profile_id) == (CANONICAL, PROFILE)
    assert len(upstream.requests) == 1


async def test_the_profile_body_names_the_canonical_id_too(upstream: Upstream) -> None:
    upstream.handler = lambda request: ok(profile_body(CANONICAL))
    found = await run(upstream, fetch_profile())
    assert found.profile_id == CANONICAL


async def test_a_get_answered_308_is_not_a_merge(upstream: Upstream) -> None:
    upstream.handler = lambda request: moved(308)
    error = await fails(upstream, fetch_profile())
    assert (error.code, error.http_status) == ("invalid_response", 308)
    assert len(upstream.requests) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"traits": {f"g{i}": {} for i in range(51)}},  # maxProperties 50
        {"traits": {"Contact": {f"t{i}": 1 for i in range(100)}}},  # maxProperties 99
        {"traits": {"Contact": {"nested": [[1]]}}},  # no nested arrays
        {"traits": {"Contact": {"object": {"a": 1}}}},
        {"traits": {"Contact": "flat"}},
        {"id": "mem_profile_x", "traits": {}},
        {"createdAt": "yesterday", "traits": {}},
        [],
    ],
)
async def test_profiles_outside_the_spec_are_invalid_responses(upstream: Upstream, body: Any) -> None:
    upstream.handler = lambda request: httpx2.Response(200, json=body)
    error = await fails(upstream, fetch_profile())
    assert error.code == "invalid_response"


async def test_profile_bounds_are_inclusive(upstream: Upstream) -> None:
    traits = {f"g{i}": {f"t{j}": j for j in range(99)} for i in range(50)}
    upstream.handler = lambda request: ok({"traits": traits})
    found = await run(upstream, fetch_profile())
    assert len(found.body.traits) == 50 and all(len(group) == 99 for group in found.body.traits.values())


# Recall


async def test_recall_posts_only_the_fields_given(upstream: Upstream) -> None:
    upstream.handler = lambda request: ok(recall_body())
    request = RecallRequest(query="billing", conversation_id=CONVERSATION, observations_limit=0)
    found = await run(upstream, recall(request))
    [sent] = upstream.requests
    assert (sent.method, sent.url.path) == ("POST", PROFILE_PATH + "/Recall")
    assert sent.headers["Content-Type"] == "application/json"
    assert json.loads(sent.content) == {
        "query": "billing",
        "conversationId": CONVERSATION,
        "observationsLimit": 0,
    }
    assert [item.id for item in found.body.observations] == [
        ttid("mem_observation", 1),
        ttid("mem_observation", 2),
    ]
    assert found.body.observations[0].score == 0.8
    assert found.body.meta.query_time == 156


async def test_recall_without_anything_sends_an_empty_object(upstream: Upstream) -> None:
    upstream.handler = lambda request: ok(recall_body(scored=False))
    found = await run(upstream, recall())
    assert json.loads(upstream.requests[0].content) == {}
    assert found.body.observations[0].score is None


async def test_recall_on_a_merged_profile_resends_the_same_post_to_the_canonical_one(
    upstream: Upstream,
) -> None:
    upstream.handler = lambda request: moved(308) if profile_of(request) == PROFILE else ok(recall_body())
    request = RecallRequest(query="naïve café", summaries_limit=3, begin_date="2025-01-01T00:00:00Z")
    trace = CallTrace()
    found = await run(upstream, recall(request, trace))
    first, second = upstream.requests
    assert (first.method, second.method) == ("POST", "POST")
    assert second.url.path == f"/v1/Stores/{STORE}/Profiles/{CANONICAL}/Recall"
    assert second.content == first.content  # the very same bytes
    assert json.loads(second.content)["query"] == "naïve café"
    assert second.headers["Authorization"] == first.headers["Authorization"]
    assert second.headers["Content-Type"] == "application/json"
    assert (found.profile_id, found.requested_profile_id) == (CANONICAL, PROFILE)


async def test_a_post_answered_301_is_not_followed(upstream: Upstream) -> None:
    upstream.handler = lambda request: moved(301)
    error = await fails(upstream, recall())
    assert (error.code, error.http_status) == ("invalid_response", 301)
    assert len(upstream.requests) == 1


async def test_a_308_to_another_origin_is_refused(upstream: Upstream) -> None:
    upstream.handler = lambda request: moved(308, location=f"https://evil.example.com/v1/Stores/{STORE}")
    error = await fails(upstream, recall())
    assert (error.code, error.http_status) == ("redirect_refused", 308)
    assert [request.url.host for request in upstream.requests] == ["memory.twilio.com"]


async def test_a_308_loop_is_refused(upstream: Upstream) -> None:
    upstream.handler = lambda request: moved(308, CANONICAL if profile_of(request) == PROFILE else PROFILE)
    error = await fails(upstream, recall())
    assert error.code == "redirect_refused" and "loop" in error.message
    assert len(upstream.requests) == 2


async def test_a_fourth_308_hop_is_refused(upstream: Upstream) -> None:
    hops = [f"mem_profile_0{str(i) * 25}" for i in range(1, 5)]
    following = dict(zip([PROFILE, *hops[:-1]], hops, strict=True))
    upstream.handler = lambda request: moved(308, following[profile_of(request)])
    error = await fails(upstream, recall())
    assert error.code == "redirect_refused"
    assert len(upstream.requests) == 4
    assert len({request.content for request in upstream.requests}) == 1


@pytest.mark.parametrize("canonical", ["", "mem_profile_x"])
async def test_a_308_without_a_valid_canonical_id_is_refused(upstream: Upstream, canonical: str) -> None:
    upstream.handler = lambda request: httpx2.Response(308, headers={"Canonical-Profile-Id": canonical})
    error = await fails(upstream, recall())
    assert (error.code, error.http_status) == ("redirect_refused", 308)


async def test_recall_retries_resend_the_same_body(upstream: Upstream, fake_time: FakeTime) -> None:
    answers = iter([twilio_error(503, 20503, "Service Unavailable"), twilio_error(429, 20429, "slow down")])
    upstream.handler = lambda request: next(answers, ok(recall_body()))
    await run(upstream, recall(RecallRequest(query="x")), fake_time)
    assert len(upstream.requests) == 3
    assert len({request.content for request in upstream.requests}) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"observations": [observation(i) for i in range(101)]},  # maxItems 100
        {"meta": {}},  # queryTime required
        {"meta": {"queryTime": 600_001}},
        {"observations": [observation(1, score=1.5)]},
        {"observations": [observation(1, content="")]},  # minLength 1
        {"observations": [observation(1, content="x" * 4097)]},
        {"observations": [observation(1, source="a<b")]},  # source pattern
        {"observations": [observation(1, conversationIds=[CONVERSATION] * 11)]},
        {"summaries": [summary(1, conversationId="conv_conversation_x")]},
        {"summaries": [{"id": ttid("mem_summary", 1)}]},
        {"communications": [{"id": "conv_communication_x"}]},
        {"communications": None},
    ],
)
async def test_recall_answers_outside_the_spec_are_invalid(
    upstream: Upstream, change: dict[str, Any]
) -> None:
    upstream.handler = lambda request: ok(recall_body() | change)
    error = await fails(upstream, recall())
    assert error.code == "invalid_response"


@pytest.mark.parametrize("missing", ["observations", "summaries", "communications", "meta"])
async def test_recall_requires_every_part(upstream: Upstream, missing: str) -> None:
    body = recall_body()
    del body[missing]
    upstream.handler = lambda request: ok(body)
    assert (await fails(upstream, recall())).code == "invalid_response"


async def test_recall_bounds_are_inclusive_and_unknown_fields_ignored(upstream: Upstream) -> None:
    body = recall_body(observations=100, summaries=100, communications=100)
    body["observations"][0] |= {"content": "x" * 4096, "futureField": {"a": 1}, "score": 1}
    body["communications"][0]["author"] |= {"channel": "INSTAGRAM", "type": "CUSTOMER"}
    body["meta"] |= {"queryTime": 600_000, "shards": 3}
    upstream.handler = lambda request: ok(body)
    found = await run(upstream, recall())
    assert (len(found.body.observations), len(found.body.summaries), len(found.body.communications)) == (
        100,
        100,
        100,
    )
    assert found.body.communications[0].author.channel == "INSTAGRAM"  # a new channel is not an error


def test_recall_request_bounds_are_the_specs() -> None:
    for field in ("observations_limit", "summaries_limit", "communications_limit"):
        RecallRequest.model_validate({field: 100})
        with pytest.raises(ValueError):
            RecallRequest.model_validate({field: 101})
        with pytest.raises(ValueError):
            RecallRequest.model_validate({field: -1})
    with pytest.raises(ValueError):
        RecallRequest(query="x" * 1025)
    with pytest.raises(ValueError):
        RecallRequest(conversation_id="conv_conversation_81kpttrksqe08rhv122gzq52ax")


# The two lists


async def test_list_observations_sends_every_filter(upstream: Upstream) -> None:
    upstream.handler = lambda request: ok({"observations": [observation(1)], "meta": {"pageSize": 10}})
    await run(
        upstream,
        list_observations(
            source="customer service platform",
            created_after="2025-01-01T00:00:00Z",
            created_before="2025-02-01T00:00:00+01:00",
            conversation_id=CONVERSATION,
            order_by="ASC",
            page_size=10,
            page_token="eyJlYXN0ZXIiOiJlZ2cifQ",
        ),
    )
    [request] = upstream.requests
    assert request.url.path == PROFILE_PATH + "/Observations"
    assert dict(request.url.params) == {
        "source": "customer service platform",
        "createdAfter": "2025-01-01T00:00:00Z",
        "createdBefore": "2025-02-01T00:00:00+01:00",
        "conversationId": CONVERSATION,
        "orderBy": "ASC",
        "pageSize": "10",
        "pageToken": "eyJlYXN0ZXIiOiJlZ2cifQ",
    }
    assert "%2B01%3A00" in str(request.url)  # the offset's "+" stays a plus, not a space


async def test_list_observations_without_filters_sends_no_query(upstream: Upstream) -> None:
    upstream.handler = lambda request: ok({"observations": []})
    found = await run(upstream, list_observations())
    assert upstream.requests[0].url.query == b""
    assert found.body.observations == () and found.body.meta.next_token is None


async def test_pages_chain_through_next_token(upstream: Upstream) -> None:
    pages = {
        None: (
            {"observations": [observation(1), observation(2)], "meta": {"pageSize": 2, "nextToken": "t2"}}
        ),
        "t2": ({"observations": [observation(3)], "meta": {"pageSize": 2}}),
    }
    upstream.handler = lambda request: ok(pages[request.url.params.get("pageToken")])
    first = await run(upstream, list_observations(page_size=2))
    assert first.body.meta.next_token == "t2"
    second = await run(upstream, list_observations(page_size=2, page_token=first.body.meta.next_token))
    assert [item.id for item in second.body.observations] == [ttid("mem_observation", 3)]
    assert second.body.meta.next_token is None


async def test_list_summaries_sends_its_filters_and_reads_the_page(upstream: Upstream) -> None:
    upstream.handler = lambda request: ok(
        {"summaries": [summary(1), summary(2)], "meta": {"key": "summaries", "nextToken": "n"}}
    )
    found = await run(upstream, list_summaries(conversation_id=CONVERSATION, page_size=2, page_token="p"))
    [request] = upstream.requests
    assert request.url.path == PROFILE_PATH + "/ConversationSummaries"
    assert dict(request.url.params) == {"conversationId": CONVERSATION, "pageSize": "2", "pageToken": "p"}
    assert [item.content for item in found.body.summaries] == [summary(1)["content"], summary(2)["content"]]
    assert found.body.meta.next_token == "n"


@pytest.mark.parametrize("operation", [list_summaries(page_token="p"), list_observations(page_token="p")])
async def test_lists_follow_301_keeping_filters_and_token(upstream: Upstream, operation: Operation) -> None:
    empty: dict[str, Any] = {"summaries": [], "observations": []}
    upstream.handler = lambda request: moved(301) if profile_of(request) == PROFILE else ok(empty)
    found = await run(upstream, operation)
    assert (found.profile_id, found.requested_profile_id) == (CANONICAL, PROFILE)
    assert upstream.requests[1].url.params["pageToken"] == "p"
    assert profile_of(upstream.requests[1]) == CANONICAL


@pytest.mark.parametrize(
    "body",
    [
        {"observations": [observation(i) for i in range(51)]},  # maxItems 50
        {"observations": [{"id": ttid("mem_observation", 1)}]},  # createdAt, updatedAt required
        {"observations": [observation(1, id="mem_observation_1")]},
        {"observations": [], "meta": {"nextToken": ""}},  # minLength 1
        {"observations": [], "meta": {"nextToken": "t" * 4097}},
        {"observations": [], "meta": {"pageSize": 51}},
        {"observations": "none"},
    ],
)
async def test_observation_pages_outside_the_spec_are_invalid(upstream: Upstream, body: Any) -> None:
    upstream.handler = lambda request: ok(body)
    assert (await fails(upstream, list_observations())).code == "invalid_response"


async def test_observations_need_only_ids_and_times(upstream: Upstream) -> None:
    bare = {
        "id": ttid("mem_observation", 1),
        "createdAt": "2025-01-15t10:30:45.123+00:00",
        "updatedAt": "2025-01-15 10:30:45Z",
    }
    upstream.handler = lambda request: ok({"observations": [bare], "meta": {"nextToken": "t" * 4096}})
    found = await run(upstream, list_observations())
    assert found.body.observations[0].content is None


@pytest.mark.parametrize(
    "operation",
    [fetch_profile(), recall(), list_summaries(), list_observations()],
    ids=["fetch_profile", "recall", "summaries", "observations"],
)
@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, "invalid_argument"),
        (401, "unauthenticated"),
        (403, "permission_denied"),
        (404, "not_found"),
        (429, "rate_limited"),
        (500, "upstream_unavailable"),
        (503, "upstream_unavailable"),
    ],
)
async def test_every_operation_maps_every_documented_status(
    upstream: Upstream, fake_time: FakeTime, operation: Operation, status: int, code: str
) -> None:
    upstream.handler = lambda request: twilio_error(status, 20000 + status, "no", **{"Retry-After": "1"})
    error = await fails(upstream, operation, fake_time)
    assert (error.code, error.http_status, error.twilio_code) == (code, status, 20000 + status)
    assert len(upstream.requests) == (4 if status in (429, 500, 503) else 1)


@pytest.mark.parametrize(
    "operation",
    [fetch_profile(), recall(), list_summaries(), list_observations()],
    ids=["fetch_profile", "recall", "summaries", "observations"],
)
@pytest.mark.parametrize(
    "content",
    [
        b"<html>",
        b"",
        b"null",
        b"[" * 5000 + b"]" * 5000,
        b'{"traits": 1e999, "observations": 1, "summaries": 1, "meta": 1}',
    ],
)
async def test_hostile_bodies_are_invalid_responses(
    upstream: Upstream, operation: Operation, content: bytes
) -> None:
    upstream.handler = lambda request: httpx2.Response(200, content=content)
    assert (await fails(upstream, operation)).code == "invalid_response"


# The pooled client is made at the first request


async def test_the_lazy_client_is_made_once_at_the_first_request(monkeypatch: pytest.MonkeyPatch) -> None:
    import memory.http
    from memory.client import LazyHttpClient

    made: list[httpx2.AsyncClient] = []
    real = memory.http.http_client

    def counting(*args: Any) -> httpx2.AsyncClient:
        made.append(real(*args))
        return made[-1]

    monkeypatch.setattr(memory.http, "http_client", counting)
    upstream = Upstream(handler=lambda request: ok(profile_body(PROFILE)))
    lazy = LazyHttpClient(make_settings().memory, upstream.transport())
    client = MemoryApiClient(lazy, make_settings().memory)
    assert made == []  # nothing yet: no TLS setup before the first call
    await client.fetch_profile(STORE, PROFILE)
    await client.fetch_profile(STORE, PROFILE)
    assert len(made) == 1 and len(upstream.requests) == 2
    await lazy.aclose()
    assert made[0].is_closed
    await LazyHttpClient(make_settings().memory).aclose()  # never made: nothing to close
