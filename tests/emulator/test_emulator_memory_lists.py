"""ListProfileObservations and ListProfileConversationSummaries: paging, order, filters, merges.

Every response here also passes the spec check of the ``client`` fixture (conftest)."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from emulator.memories import parse_memories
from tests.support.emulator_api import (
    EX,
    configured_app,
    observations_url,
    profile_id,
    profile_url,
    recall_url,
    small_seed,
    summaries_url,
)

pytestmark = pytest.mark.anyio

P = profile_id(1)


async def walk(
    client: httpx2.AsyncClient, url: str, list_key: str, **params: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Follow nextToken to the end; return every item and every page's meta."""
    items: list[dict[str, Any]] = []
    metas: list[dict[str, Any]] = []
    token = None
    for _ in range(1000):  # a bound, so a token loop fails instead of hanging
        query = {**params, **({"pageToken": token} if token else {})}
        response = await client.get(url, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        items += body[list_key]
        metas.append(body["meta"])
        token = body["meta"].get("nextToken")
        if token is None:
            return items, metas
    raise AssertionError("paging did not end")


def observation(n: int, *, created: str, source: str = "crm", conversations: tuple[str, ...] = ()):
    item: dict[str, Any] = {
        "id": f"mem_observation_01jq8r{n:020d}",
        "content": f"observation {n}",
        "source": source,
        "occurredAt": created,
        "createdAt": created,
    }
    if conversations:
        item["conversationIds"] = list(conversations)
    return item


CONV_A = "conv_conversation_01jq8c0000000000000000000a"
CONV_B = "conv_conversation_01jq8c0000000000000000000b"


def memory_app(observations: list[dict[str, Any]], **switches: Any):
    profiles = [{"id": P, "observations": observations}]
    return configured_app(seed=small_seed([{"idType": "email"}], profiles), **switches)


# --- Paging ---------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 7, 50, 1000])
async def test_paging_walks_every_observation_exactly_once(client, size):
    items, metas = await walk(client, observations_url(), "observations", pageSize=size)
    ids = [item["id"] for item in items]
    assert len(ids) == EX.paged_observation_count == len(set(ids))
    # A page holds min(pageSize, 50) items: the list's maxItems and meta.pageSize's maximum.
    assert all(meta["pageSize"] == min(size, 50) and meta["key"] == "observations" for meta in metas)
    assert "nextToken" not in metas[-1]
    assert "previousToken" not in metas[0] and all("previousToken" in m for m in metas[1:])


async def test_the_default_page_size_needs_several_pages(client):
    _, metas = await walk(client, observations_url(), "observations")
    assert [m["pageSize"] for m in metas] == [50] * len(metas)
    assert len(metas) == -(-EX.paged_observation_count // 50) >= 3


async def test_previous_token_walks_back_over_the_same_pages(client):
    size = 7
    forward: list[list[str]] = []
    token = None
    while True:
        params = {"pageSize": size, **({"pageToken": token} if token else {})}
        body = (await client.get(observations_url(), params=params)).json()
        forward.append([o["id"] for o in body["observations"]])
        last_meta = body["meta"]
        token = last_meta.get("nextToken")
        if token is None:
            break
    backward: list[list[str]] = []
    token = last_meta["previousToken"]
    while token:
        body = (await client.get(observations_url(), params={"pageSize": size, "pageToken": token})).json()
        backward.append([o["id"] for o in body["observations"]])
        token = body["meta"].get("previousToken")
    assert backward == forward[-2::-1]


async def test_an_empty_list_has_no_tokens(make_client):
    client = await make_client(app=memory_app([]))
    for url, key in ((observations_url(P), "observations"), (summaries_url(P), "summaries")):
        body = (await client.get(url)).json()
        assert body == {key: [], "meta": {"key": key, "pageSize": 50}}


@pytest.mark.parametrize(
    "params",
    [
        {"orderBy": "ASC"},
        {"source": "crm"},
        {"conversationId": CONV_A},
        {"createdAfter": "2025-01-01T00:00:00Z"},
    ],
)
async def test_a_token_only_fits_the_query_it_came_from(make_client, params):
    app = memory_app([observation(n, created=f"2025-02-{n:02d}T00:00:00Z") for n in range(1, 6)])
    client = await make_client(app=app)
    first = (await client.get(observations_url(P), params={"pageSize": 2})).json()
    token = first["meta"]["nextToken"]
    reused = await client.get(observations_url(P), params={"pageSize": 2, "pageToken": token, **params})
    assert reused.status_code == 400
    assert "pageToken" in reused.json()["message"]
    # The token does not fit another profile either, nor the summaries list.
    other = await client.get(summaries_url(P), params={"pageToken": token})
    assert other.status_code == 400


@pytest.mark.parametrize("token", ["not-a-token", "e30", "W10", "eyJ2IjoyfQ", "%%%", "x" * 4096])
async def test_a_forged_or_garbled_token_is_400(client, token):
    response = await client.get(observations_url(), params={"pageToken": token})
    assert response.status_code == 400


async def test_a_page_token_survives_new_items_before_it(make_client):
    # Keyset tokens: an item added at the head of the list after page 1 shifts nothing.
    app = memory_app([observation(n, created=f"2025-02-{n:02d}T00:00:00Z") for n in range(1, 6)])
    client = await make_client(app=app)
    first = (await client.get(observations_url(P), params={"pageSize": 2})).json()
    profile = app.state.emulator.stores[EX.store_id].profiles[P]
    profile.memories.observations += parse_memories(
        {"observations": [observation(9, created="2025-03-01T00:00:00Z")]}
    ).observations
    second = (
        await client.get(observations_url(P), params={"pageSize": 2, "pageToken": first["meta"]["nextToken"]})
    ).json()
    assert [o["id"][-2:] for o in first["observations"]] == ["05", "04"]
    assert [o["id"][-2:] for o in second["observations"]] == ["03", "02"]


# --- Order and filters ------------------------------------------------------------------------


async def test_observations_are_newest_first_by_default_and_asc_on_request(client):
    newest_first, _ = await walk(client, observations_url(), "observations")
    oldest_first, _ = await walk(client, observations_url(), "observations", orderBy="ASC")
    created = [o["createdAt"] for o in newest_first]
    assert created == sorted(created, reverse=True)
    assert oldest_first == newest_first[::-1]


async def test_filters_by_source_conversation_and_creation_window(make_client):
    app = memory_app(
        [
            observation(1, created="2025-02-01T00:00:00Z", source="crm", conversations=(CONV_A,)),
            observation(2, created="2025-02-02T00:00:00Z", source="chat", conversations=(CONV_A, CONV_B)),
            observation(3, created="2025-02-03T00:00:00Z", source="crm"),
            observation(4, created="2025-02-04T00:00:00Z", source="crm", conversations=(CONV_B,)),
        ]
    )
    client = await make_client(app=app)

    async def ids(**params: str) -> list[str]:
        body = (await client.get(observations_url(P), params=params)).json()
        return [o["id"][-1] for o in body["observations"]]

    assert await ids(source="crm") == ["4", "3", "1"]
    assert await ids(source="CRM") == []  # exact match
    assert await ids(conversationId=CONV_A) == ["2", "1"]
    assert await ids(conversationId=CONV_B, source="crm") == ["4"]
    # createdAfter is inclusive, createdBefore exclusive (the parameters' descriptions).
    assert await ids(createdAfter="2025-02-02T00:00:00Z", createdBefore="2025-02-04T00:00:00Z") == ["3", "2"]
    assert await ids(createdAfter="2025-02-02T01:00:00+01:00") == ["4", "3", "2"]  # offsets honoured


async def test_summaries_are_newest_first_and_filter_by_conversation(client):
    everything, metas = await walk(client, summaries_url(), "summaries")
    created = [s["createdAt"] for s in everything]
    assert created == sorted(created, reverse=True) and metas[0]["key"] == "summaries"
    only, _ = await walk(client, summaries_url(), "summaries", conversationId=EX.memory_conversation_id)
    assert only and {s["conversationId"] for s in only} == {EX.memory_conversation_id}
    assert len(only) < len(everything)


async def test_summary_paging_walks_every_item_once(client):
    one_by_one, metas = await walk(client, summaries_url(), "summaries", pageSize=1)
    everything, _ = await walk(client, summaries_url(), "summaries")
    assert one_by_one == everything and len(metas) == len(everything)


@pytest.mark.parametrize(
    "params",
    [
        {"pageSize": "0"},
        {"pageSize": "1001"},
        {"pageSize": "ten"},
        {"pageSize": "-1"},
        {"pageToken": "t" * 4097},
        {"orderBy": "asc"},
        {"orderBy": "NEWEST"},
        {"source": "bad<source>"},
        {"source": "s" * 101},
        {"createdAfter": "2025-01-01"},
        {"createdBefore": "2025-01-01 00:00:00Z"},
        {"createdBefore": "2025-02-30T00:00:00Z"},
        {"conversationId": "conv_conversation_x"},
    ],
)
async def test_invalid_query_parameters_are_400(client, params):
    response = await client.get(observations_url(), params=params)
    assert response.status_code == 400
    assert next(iter(params)) in response.json()["message"]


async def test_invalid_summary_parameters_are_400(client):
    for params in ({"pageSize": "0"}, {"conversationId": "nope"}, {"pageToken": "garbage"}):
        assert (await client.get(summaries_url(), params=params)).status_code == 400


# --- Merged profiles ---------------------------------------------------------------------------


async def test_a_merged_profile_id_is_301_to_the_same_list(client):
    for url in (observations_url(EX.merged_profile_id), summaries_url(EX.merged_profile_id)):
        response = await client.get(url, params={"pageSize": 5})
        assert response.status_code == 301
        assert response.headers["Canonical-Profile-Id"] == EX.canonical_profile_id
        expected = url.replace(EX.merged_profile_id, EX.canonical_profile_id)
        assert response.headers["Location"] == f"http://emulator.test{expected}?pageSize=5"


async def test_the_merged_profiles_memories_are_held_by_the_canonical_one(client):
    observations, _ = await walk(client, observations_url(EX.canonical_profile_id), "observations")
    summaries, _ = await walk(client, summaries_url(EX.canonical_profile_id), "summaries")
    merged = EX.merged_conversation_id
    assert any(merged in o.get("conversationIds", []) for o in observations)
    assert any(s["conversationId"] == merged for s in summaries)


async def test_direct_answers_carry_the_canonical_profile_id(make_client):
    client = await make_client(app=configured_app(merged_answer="direct"))
    for url in (observations_url(EX.merged_profile_id), summaries_url(EX.merged_profile_id)):
        direct = await client.get(url)
        assert direct.status_code == 200
        assert direct.headers["Canonical-Profile-Id"] == EX.canonical_profile_id
        canonical = await client.get(url.replace(EX.merged_profile_id, EX.canonical_profile_id))
        assert canonical.json() == direct.json()
        assert "Canonical-Profile-Id" not in canonical.headers  # only a merged id carries it


async def test_unknown_profile_and_store_answer_404_and_403(client):
    assert (await client.get(observations_url(EX.missing_profile_id))).status_code == 404
    assert (await client.get(summaries_url(EX.missing_profile_id))).status_code == 404
    other = observations_url(EX.profile_id, EX.other_account_store_id)
    assert (await client.get(other)).status_code == 403


# --- Every new operation's generic answers are the spec's -------------------------------------


NEW_OPERATIONS = [
    ("GET", "profile"),
    ("POST", "recall"),
    ("GET", "observations"),
    ("GET", "summaries"),
]


def _new_operation_url(kind: str, pid: str) -> str:
    return {
        "profile": profile_url(pid),
        "recall": recall_url(pid),
        "observations": observations_url(pid),
        "summaries": summaries_url(pid),
    }[kind]


@pytest.mark.parametrize(("method", "kind"), NEW_OPERATIONS)
async def test_401_429_and_503_on_the_new_operations(make_client, app, method, kind):
    url = _new_operation_url(kind, EX.memory_profile_id)
    body: dict[str, Any] = {"json": {}} if method == "POST" else {}
    anonymous = await make_client(auth=None)
    assert (await anonymous.request(method, url, **body)).status_code == 401
    client = await make_client()
    app.state.emulator.faults.rate_limit_next = 1
    limited = await client.request(method, url, **body)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
    app.state.emulator.faults.error_next = 1
    assert (await client.request(method, url, **body)).status_code == 503
    assert (await client.request(method, url, **body)).status_code == 200
