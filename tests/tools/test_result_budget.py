"""The size budget on every tool result (TWILIO_MEMORY_RESULT_BUDGET): cut at item boundaries,
said in the answer, measured on what the client receives, for every tool."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.types import CallToolResult

from server.mcp_server import build_server
from server.settings import SettingsError, load_settings
from tests.support.doubles import PROFILE, STORE, Upstream, make_settings
from tests.support.samples import communication, observation, participant, profile_body, recall_body, summary
from tools.budget import size

pytestmark = pytest.mark.anyio

IDS = {"store_id": STORE, "profile_id": PROFILE}
DEFAULT = load_settings({}).result_budget


async def call(
    upstream: Upstream, tool: str, arguments: dict[str, Any], budget: int = DEFAULT
) -> CallToolResult:
    server = build_server(make_settings(result_budget=budget), transport=upstream.transport())
    async with Client(server) as client:
        return await client.call_tool(tool, arguments)


def answer(result: CallToolResult) -> dict[str, Any]:
    assert result.is_error is False, result
    assert result.structured_content is not None
    structured: dict[str, Any] = result.structured_content
    return structured


def within(result: CallToolResult, budget: int) -> None:
    """The result as the client received it (the SDK's _meta included), both copies counted:
    the text and the structured content."""
    received = size(result)
    assert received <= budget
    text = result.content[0].text  # type: ignore[union-attr]
    structured = json.dumps(result.structured_content, separators=(",", ":"), ensure_ascii=False)
    assert len(text) + len(structured) < received


def ok(body: Any) -> httpx2.Response:
    return httpx2.Response(200, json=body)


# Settings


def test_the_default_is_50000_characters_and_the_setting_is_bounded() -> None:
    assert DEFAULT == 50_000
    assert load_settings({"TWILIO_MEMORY_RESULT_BUDGET": "120000"}).result_budget == 120_000
    for bad in ("9999", "lots", "-1", "100000001"):
        with pytest.raises(SettingsError, match="TWILIO_MEMORY_RESULT_BUDGET"):
            load_settings({"TWILIO_MEMORY_RESULT_BUDGET": bad})


# Identity tools


def identifier_types(length: int) -> list[dict[str, Any]]:
    """ListProfileIdentifiers at the spec's bounds: 50 types x 100 values of ``length``."""
    return [
        {"idType": f"type{t:02d}", "values": [f"{t:02d}{v:03d}".ljust(length, "x") for v in range(100)]}
        for t in range(50)
    ]


@pytest.mark.parametrize("length", [255, 40])
async def test_list_profile_identifiers_is_cut_at_whole_types(upstream: Upstream, length: int) -> None:
    types = identifier_types(length)
    upstream.handler = lambda request: ok({"identifiers": types})
    result = await call(upstream, "list_profile_identifiers", IDS)
    within(result, DEFAULT)
    cut = answer(result)
    kept = cut["identifiers"]
    assert (cut["truncated"], cut["omitted"]) == (True, 50 - len(kept))
    for item, original in zip(kept, types, strict=False):  # whole types, the first ones
        assert (item["id_type"], item["values"]) == (original["idType"], original["values"])
    left_out = [item["idType"] for item in types[len(kept) :]]
    assert all(name in cut["hint"] for name in left_out)
    assert "get_profile_identifiers" in cut["hint"]
    if length == 40:
        assert len(kept) >= 5  # as many whole types as fit
    else:  # one type of 100 x 255 characters, twice over, is more than the budget by itself
        assert kept == []


async def test_list_profile_identifiers_at_1_3_million_characters_then_type_by_type(
    upstream: Upstream,
) -> None:
    types = identifier_types(255)
    assert len(json.dumps({"identifiers": types})) > 1_290_000  # the "about 1.3 M"
    by_type = {item["idType"]: item for item in types}

    def handler(request: httpx2.Request) -> httpx2.Response:
        tail = request.url.path.rsplit("/", 1)[1]
        return ok(by_type.get(tail, {"identifiers": types}))

    upstream.handler = handler
    async with Client(build_server(make_settings(), transport=upstream.transport())) as client:
        listed = await client.call_tool("list_profile_identifiers", IDS)
        within(listed, DEFAULT)
        one = await client.call_tool("get_profile_identifiers", IDS | {"id_type": "type07"})
    within(one, DEFAULT)
    assert answer(listed)["omitted"] == 50
    values = answer(one)["values"]
    assert values == by_type["type07"]["values"][: len(values)] and len(values) >= 90


async def test_get_profile_identifiers_at_100_values_of_255(upstream: Upstream) -> None:
    values = [f"{v:03d}" + "y" * 252 for v in range(100)]
    upstream.handler = lambda request: ok({"idType": "email", "values": values})
    result = await call(upstream, "get_profile_identifiers", IDS | {"id_type": "email"})
    within(result, DEFAULT)
    cut = answer(result)
    assert cut["truncated"] is True
    assert cut["values"] == values[: len(cut["values"])]  # oldest kept, whole values
    assert cut["omitted"] == 100 - len(cut["values"]) > 0
    assert f"memory://stores/{STORE}/profiles/{PROFILE}/identifiers/email" in cut["hint"]


async def test_an_answer_that_fits_says_nothing_of_budgets(upstream: Upstream) -> None:
    upstream.handler = lambda request: ok({"idType": "email", "values": ["a@example.com"]})
    cut = answer(await call(upstream, "get_profile_identifiers", IDS | {"id_type": "email"}))
    assert not {"truncated", "omitted", "hint"} & set(cut)


async def test_lookup_is_never_cut_and_fits_the_smallest_budget(upstream: Upstream) -> None:
    profiles = [f"mem_profile_0{i:025d}" for i in range(100)]
    upstream.handler = lambda request: ok({"normalizedValue": "+12065550101", "profiles": profiles})
    result = await call(
        upstream, "lookup_profiles", {"store_id": STORE, "id_type": "phone", "value": "x"}, 10_000
    )
    within(result, 10_000)
    assert answer(result)["profile_ids"] == profiles


# Context tools


async def test_get_profile_is_cut_at_whole_traits_naming_the_groups(upstream: Upstream) -> None:
    traits = {f"Group{g}": {f"trait{t}": f"{g}-{t}-" + "z" * 1000 for t in range(20)} for g in range(10)}
    upstream.handler = lambda request: ok(profile_body(PROFILE, traits))
    result = await call(upstream, "get_profile", IDS)
    within(result, DEFAULT)
    cut = answer(result)
    kept = [(group, name, value) for group, values in cut["traits"].items() for name, value in values.items()]
    every = [(group, name, value) for group, values in traits.items() for name, value in values.items()]
    assert kept == every[: len(kept)]  # whole traits, in order
    assert (cut["truncated"], cut["omitted"]) == (True, len(every) - len(kept))
    last_group = every[len(kept)][0]
    assert last_group in cut["hint"] and "Group9" in cut["hint"] and "trait_groups" in cut["hint"]


async def test_recall_is_cut_from_the_tails_and_says_which_limits_to_ask_for(upstream: Upstream) -> None:
    body = recall_body(observations=100, summaries=100, communications=0)
    for i, item in enumerate(body["observations"]):
        item["content"] = f"obs {i} " + "o" * 900
    for i, item in enumerate(body["summaries"]):
        item["content"] = f"sum {i} " + "s" * 300
    upstream.handler = lambda request: ok(body)
    result = await call(
        upstream, "recall_memories", IDS | {"observations_limit": 100, "summaries_limit": 100}
    )
    within(result, DEFAULT)
    cut = answer(result)
    observations, summaries = cut["observations"], cut["summaries"]
    assert [o["content"] for o in observations] == [
        o["content"] for o in body["observations"][: len(observations)]
    ]
    assert [s["content"] for s in summaries] == [s["content"] for s in body["summaries"][: len(summaries)]]
    assert cut["omitted"] == 200 - len(observations) - len(summaries) > 0
    assert f"observations_limit={len(observations)}" in cut["hint"]
    assert "list_observations" in cut["hint"]


async def test_recall_drops_one_huge_message_before_many_small_memories(upstream: Upstream) -> None:
    body = recall_body(observations=20, summaries=5)
    people = participant(1, "Customer", "+12025551234"), participant(2, "Agent", "+12025555678")
    body["communications"] = [communication(1, "hi", *people), communication(2, "m" * 200_000, *people)]
    upstream.handler = lambda request: ok(body)
    result = await call(upstream, "recall_memories", IDS | {"communications_limit": 2})
    within(result, DEFAULT)
    cut = answer(result)
    assert (len(cut["observations"]), len(cut["summaries"]), len(cut["communications"])) == (20, 5, 1)
    assert cut["omitted"] == 1 and "1 message" in cut["hint"]


@pytest.mark.parametrize(
    ("tool", "key", "make"),
    [
        ("list_observations", "observations", observation),
        ("list_conversation_summaries", "summaries", summary),
    ],
)
async def test_a_cut_page_resumes_where_it_stopped_and_nothing_is_lost(
    upstream: Upstream, tool: str, key: str, make: Any
) -> None:
    items = [make(i, content=f"{i:03d} " + "w" * 4000) for i in range(1, 121)]

    def handler(request: httpx2.Request) -> httpx2.Response:
        token = request.url.params.get("pageToken")
        start = int(token[1:]) if token else 0
        end = start + int(request.url.params.get("pageSize", 50))
        meta = {"nextToken": f"p{end}"} if end < len(items) else {}
        return ok({key: items[start:end], "meta": meta})

    upstream.handler = handler
    seen: list[str] = []
    cuts = 0
    token = None
    async with Client(build_server(make_settings(), transport=upstream.transport())) as client:
        for _ in range(40):
            result = await client.call_tool(tool, IDS | ({"page_token": token} if token else {}))
            within(result, DEFAULT)
            page = answer(result)
            seen += [item["content"] for item in page[key]]
            cuts += bool(page.get("truncated"))
            token = page["next_page_token"]
            if token is None:
                break
    assert seen == [item["content"] for item in items]  # every item once, in order
    assert cuts >= 3  # pages of 50 x 4 KB do not fit: each was cut and resumed


async def test_an_item_larger_than_the_budget_alone_is_stepped_over_and_named(upstream: Upstream) -> None:
    huge = observation(1, content='"' * 4096)  # every quote escaped twice over in the text copy
    upstream.handler = lambda request: ok(
        {"observations": [huge, observation(2)], "meta": {"nextToken": "n"}}
    )
    result = await call(upstream, "list_observations", IDS, budget=10_000)
    within(result, 10_000)
    cut = answer(result)
    assert cut["observations"] == [] and cut["omitted"] == 2
    assert huge["id"] in cut["hint"] and "TWILIO_MEMORY_RESULT_BUDGET" in cut["hint"]
    assert cut["next_page_token"] == "1:"  # the same page, from its second item
    upstream.handler = lambda request: ok(
        {"observations": [huge, observation(2)], "meta": {"nextToken": "n"}}
    )
    after = answer(await call(upstream, "list_observations", IDS | {"page_token": "1:"}, budget=10_000))
    assert [item["id"] for item in after["observations"]] == [observation(2)["id"]]
    assert after["next_page_token"] == "0:n"
