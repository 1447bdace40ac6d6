"""CreateFetchProfileMemory (Recall): the search stand-in, limits, window, session memory,
validation, and 308 for merged profiles. Responses pass the spec check of the fixtures."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.search import terms
from tests.support.emulator_api import EX, configured_app, profile_id, recall_url, small_seed

pytestmark = pytest.mark.anyio

P = profile_id(1)
CONV = "conv_conversation_01jq8c0000000000000000000a"
OTHER_CONV = "conv_conversation_01jq8c0000000000000000000b"


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"][-2:] for item in items]


def _observation(n: int, content: str, occurred: str) -> dict[str, Any]:
    return {
        "id": f"mem_observation_01jq8r{n:020d}",
        "content": content,
        "source": "crm",
        "occurredAt": occurred,
        "createdAt": occurred,
    }


def _summary(n: int, content: str, occurred: str, conversation: str = CONV) -> dict[str, Any]:
    return {
        "id": f"mem_summary_01jq8s{n:020d}",
        "conversationId": conversation,
        "content": content,
        "source": "crm",
        "occurredAt": occurred,
        "createdAt": occurred,
    }


def _message(n: int, text: str, created: str, conversation: str = CONV) -> dict[str, Any]:
    person = {"id": f"conv_participant_01jq8t{n:020d}", "name": "Customer", "address": "+13175550100"}
    return {
        "id": f"conv_communication_01jq8m{n:020d}",
        "conversationId": conversation,
        "author": person | {"channel": "SMS"},
        "recipients": [person | {"id": "conv_participant_01jq8t99999999999999999999", "channel": "SMS"}],
        "content": {"text": text},
        "createdAt": created,
    }


OBSERVATIONS = [
    _observation(1, "Asked about a refund for a late delivery.", "2025-01-01T10:00:00Z"),
    _observation(2, "Prefers email updates.", "2025-01-02T10:00:00Z"),
    _observation(3, "Refund for the late delivery was approved.", "2025-01-03T10:00:00Z"),
    _observation(4, "Loves the blue running shoes.", "2025-01-04T10:00:00Z"),
    _observation(5, "Late again: the delivery of shoes slipped.", "2025-01-05T10:00:00Z"),
]
SUMMARIES = [
    _summary(1, "Customer asked for a refund; agent approved it.", "2025-01-01T11:00:00Z"),
    _summary(2, "Customer chose blue running shoes.", "2025-01-04T11:00:00Z", OTHER_CONV),
]
MESSAGES = [_message(n, f"message {n} about shoes", f"2025-01-0{n}T12:00:00Z") for n in range(1, 6)] + [
    _message(9, "another conversation about refunds", "2025-01-09T12:00:00Z", OTHER_CONV)
]


def recall_app(**switches: Any):
    profile = {"id": P, "observations": OBSERVATIONS, "summaries": SUMMARIES, "communications": MESSAGES}
    return configured_app(seed=small_seed([{"idType": "email"}], [profile]), **switches)


async def recall(client, body: dict[str, Any], profile: str = P) -> dict[str, Any]:
    response = await client.post(recall_url(profile), json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    assert set(result) == {"observations", "summaries", "communications", "meta"}
    assert isinstance(result["meta"]["queryTime"], int)
    return result


# --- Ranking -----------------------------------------------------------------------------------


async def test_a_query_ranks_by_term_overlap_then_recency(make_client):
    client = await make_client(app=recall_app())
    result = await recall(client, {"query": "late delivery refund"})
    # 1 and 3 hold all three terms (3 is more recent); 5 holds two; 2 and 4 none.
    assert ids(result["observations"]) == ["03", "01", "05", "04", "02"]
    assert [o["score"] for o in result["observations"]] == [1.0, 1.0, 0.6667, 0.0, 0.0]
    assert ids(result["summaries"]) == ["01", "02"]
    assert result["summaries"][0]["score"] == pytest.approx(1 / 3, abs=1e-4)


async def test_the_same_request_always_answers_the_same(make_client):
    client = await make_client(app=recall_app())
    body = {"query": "Refunds, SHOES and deliveries!", "observationsLimit": 100, "summariesLimit": 100}
    first = await recall(client, body)
    for _ in range(3):
        again = await recall(client, body)
        assert {k: again[k] for k in ("observations", "summaries")} == {
            k: first[k] for k in ("observations", "summaries")
        }


def test_terms_fold_case_plurals_and_stop_words():
    assert terms("The Refunds, and DELIVERIES of shoes!") == {"refund", "delivery", "shoe"}
    assert terms("a an the of") == frozenset()


async def test_relevance_threshold_drops_low_scores(make_client):
    client = await make_client(app=recall_app())
    result = await recall(client, {"query": "late delivery refund", "relevanceThreshold": 0.7})
    assert ids(result["observations"]) == ["03", "01"]
    assert all(o["score"] >= 0.7 for o in result["observations"])


async def test_without_query_or_conversation_results_are_most_recent_first_without_scores(make_client):
    client = await make_client(app=recall_app())
    for body in ({}, {"query": ""}, {"query": "the of and"}, {"relevanceThreshold": 0.9}):
        result = await recall(client, body)
        assert ids(result["observations"]) == ["05", "04", "03", "02", "01"]
        assert ids(result["summaries"]) == ["02", "01"]
        assert not any("score" in item for item in result["observations"] + result["summaries"])
        assert result["communications"] == []


async def test_without_a_query_one_is_inferred_from_the_conversation(make_client):
    # Query expansion: the conversation's recent messages are all about shoes.
    client = await make_client(app=recall_app())
    result = await recall(client, {"conversationId": CONV})
    assert ids(result["observations"])[:2] == ["05", "04"]  # the two that mention shoes
    assert all("score" in o for o in result["observations"])
    # A conversation with nothing to infer from: most recent first, no scores.
    quiet = await recall(client, {"conversationId": "conv_conversation_01jq8c0000000000000000000z"})
    assert ids(quiet["observations"]) == ["05", "04", "03", "02", "01"]
    assert not any("score" in o for o in quiet["observations"])


# --- Limits, window, session memory ------------------------------------------------------------


async def test_the_spec_default_limits(make_client):
    seed_observations = [_observation(n, f"note {n}", f"2025-02-{n:02d}T00:00:00Z") for n in range(1, 26)]
    seed_summaries = [_summary(n, f"summary {n}", f"2025-02-{n:02d}T00:00:00Z") for n in range(1, 9)]
    profile = {"id": P, "observations": seed_observations, "summaries": seed_summaries}
    profile["communications"] = MESSAGES
    client = await make_client(app=configured_app(seed=small_seed([{"idType": "email"}], [profile])))
    result = await recall(client, {"conversationId": CONV, "query": "note"})
    # observationsLimit 20, summariesLimit 5, communicationsLimit 0 (none fetched).
    counts = [len(result[kind]) for kind in ("observations", "summaries", "communications")]
    assert counts == [20, 5, 0]


@pytest.mark.parametrize(("observations", "summaries"), [(0, 0), (1, 2), (2, 0), (100, 100)])
async def test_limits_per_kind_are_honoured(make_client, observations, summaries):
    client = await make_client(app=recall_app())
    body = {"query": "shoes", "observationsLimit": observations, "summariesLimit": summaries}
    result = await recall(client, body)
    assert len(result["observations"]) == min(observations, len(OBSERVATIONS))
    assert len(result["summaries"]) == min(summaries, len(SUMMARIES))


async def test_communications_are_the_conversations_latest_in_order(make_client):
    client = await make_client(app=recall_app())
    result = await recall(client, {"conversationId": CONV, "communicationsLimit": 3})
    assert ids(result["communications"]) == ["03", "04", "05"]  # the last three, oldest first
    everything = await recall(client, {"conversationId": CONV, "communicationsLimit": 100})
    assert ids(everything["communications"]) == ["01", "02", "03", "04", "05"]
    assert "conversationId" not in everything["communications"][0]  # not a Communication field
    no_conversation = await recall(client, {"communicationsLimit": 100})
    assert no_conversation["communications"] == []


async def test_the_date_window_is_begin_inclusive_end_exclusive(make_client):
    client = await make_client(app=recall_app())
    body = {
        "beginDate": "2025-01-02T10:00:00Z",
        "endDate": "2025-01-04T10:00:00Z",
        "conversationId": CONV,
        "communicationsLimit": 100,
        "query": "shoes refund email delivery",
    }
    result = await recall(client, body)
    assert sorted(ids(result["observations"])) == ["02", "03"]
    assert result["summaries"] == []  # 01 is before, 02 after the window
    assert ids(result["communications"]) == ["02", "03"]  # created 01-02 and 01-03 at noon


# --- Validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"conversationId": "conv_conversation_x"},
        {"conversationId": 5},
        {"conversationId": None},
        {"query": "q" * 1025},
        {"query": ["shoes"]},
        {"beginDate": "yesterday"},
        {"endDate": "2025-01-01"},
        {"beginDate": "2025-02-01T00:00:00Z", "endDate": "2025-01-01T00:00:00Z"},
        {"beginDate": "2025-01-01T00:00:00Z", "endDate": "2025-01-01T00:00:00Z"},
        {"observationsLimit": 101},
        {"summariesLimit": -1},
        {"communicationsLimit": 1.5},
        {"communicationsLimit": True},
        {"observationsLimit": "5"},
        {"relevanceThreshold": 1.5},
        {"relevanceThreshold": "high"},
    ],
)
async def test_invalid_bodies_are_400(client, body):
    response = await client.post(recall_url(), json=body)
    assert response.status_code == 400
    assert response.json()["message"].startswith("MemoryRetrievalRequest.")


async def test_a_body_is_required_and_must_be_an_object(client):
    assert (await client.post(recall_url())).status_code == 400
    assert (await client.post(recall_url(), json=[])).status_code == 400


async def test_properties_the_schema_does_not_name_are_ignored(client):
    response = await client.post(recall_url(), json={"query": "invoice", "somethingElse": 1})
    assert response.status_code == 200


# --- Merged profiles -------------------------------------------------------------------------------


async def test_a_merged_profile_answers_308_to_the_canonical_recall(client):
    body = {"query": "invoice", "conversationId": EX.merged_conversation_id, "communicationsLimit": 10}
    moved = await client.post(recall_url(EX.merged_profile_id), json=body)
    assert moved.status_code == 308
    assert moved.headers["Canonical-Profile-Id"] == EX.canonical_profile_id
    location = f"http://emulator.test{recall_url(EX.canonical_profile_id)}"
    assert moved.headers["Location"] == location and moved.json()["uri"] == location
    # Re-sent there, the merged profile's own memories are part of the answer.
    answer = await client.post(moved.headers["Location"], json=body)
    assert answer.status_code == 200
    result = answer.json()
    assert any(EX.merged_conversation_id in o.get("conversationIds", []) for o in result["observations"])
    assert result["communications"]  # the merged profile's WhatsApp conversation


async def test_direct_mode_answers_a_merged_profile_with_its_canonical_id(make_client):
    client = await make_client(app=configured_app(merged_answer="direct"))
    body = {"query": "invoice"}
    direct = await client.post(recall_url(EX.merged_profile_id), json=body)
    assert direct.status_code == 200
    assert direct.headers["Canonical-Profile-Id"] == EX.canonical_profile_id
    canonical = await client.post(recall_url(EX.canonical_profile_id), json=body)
    assert "Canonical-Profile-Id" not in canonical.headers
    assert canonical.json()["observations"] == direct.json()["observations"]


async def test_absent_profile_and_foreign_store(client):
    assert (await client.post(recall_url(EX.missing_profile_id), json={})).status_code == 404
    foreign = await client.post(recall_url(EX.profile_id, EX.other_account_store_id), json={})
    assert foreign.status_code == 403
