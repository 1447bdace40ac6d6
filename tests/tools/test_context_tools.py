"""The context tools through the in-memory MCP Client, against a MockTransport upstream:
schemas, validation before the network, answers, merges, paging, redaction and the audit."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.types import CallToolResult, TextContent

from memory.ids import CONVERSATION_ID_PATTERN, DATE_TIME_SEND_PATTERN, SOURCE_PATTERN, TRAIT_GROUP_PATTERN
from server.mcp_server import build_server
from server.settings import Settings
from tests.support.doubles import BASE, CANONICAL, PROFILE, STORE, Upstream, make_settings
from tests.support.samples import (
    CONVERSATION,
    communication,
    observation,
    participant,
    profile_body,
    recall_body,
    summary,
    ttid,
)

pytestmark = pytest.mark.anyio

CONTEXT = ("get_profile", "recall_memories", "list_conversation_summaries", "list_observations")
IDS = {"store_id": STORE, "profile_id": PROFILE}


async def call(
    upstream: Upstream, tool: str, arguments: dict[str, Any], settings: Settings | None = None
) -> CallToolResult:
    server = build_server(settings or make_settings(), transport=upstream.transport())
    async with Client(server) as client:
        return await client.call_tool(tool, arguments)


def data(result: CallToolResult) -> dict[str, Any]:
    assert result.structured_content is not None
    [block] = result.content
    assert isinstance(block, TextContent)
    if not result.is_error:
        assert json.loads(block.text) == result.structured_content
    structured: dict[str, Any] = result.structured_content
    return structured


def ok(body: dict[str, Any], **headers: str) -> httpx2.Response:
    return httpx2.Response(200, json=body, headers=headers)


def moved(status: int) -> httpx2.Response:
    location = f"{BASE}/v1/Stores/{STORE}/Profiles/{CANONICAL}"
    return httpx2.Response(
        status,
        json={"message": "This resource has moved.", "uri": location},
        headers={"Canonical-Profile-Id": CANONICAL, "Location": location},
    )


def profile_of(request: httpx2.Request) -> str:
    return request.url.path.split("/")[5]


@pytest.fixture
async def listed() -> AsyncIterator[dict[str, dict[str, Any]]]:
    async with Client(build_server(make_settings())) as client:
        tools = (await client.list_tools()).tools
        yield {tool.name: tool.model_dump(by_alias=True, exclude_none=True, mode="json") for tool in tools}


def branch(schema: dict[str, Any]) -> dict[str, Any]:
    """The non-null branch of an optional argument's schema."""
    options: list[dict[str, Any]] = schema.get("anyOf", [schema])
    [option] = [option for option in options if option.get("type") != "null"]
    return option


# tools/list


async def test_seven_tools_in_the_order_an_investigation_uses_them(listed: dict[str, dict[str, Any]]) -> None:
    assert list(listed) == [
        "lookup_profiles",
        "list_profile_identifiers",
        "get_profile_identifiers",
        *CONTEXT,
    ]


@pytest.mark.parametrize("tool", CONTEXT)
async def test_context_tools_are_read_only_and_describe_themselves(
    listed: dict[str, dict[str, Any]], tool: str
) -> None:
    described = listed[tool]
    annotations = described["annotations"]
    assert (annotations["readOnlyHint"], annotations["destructiveHint"]) == (True, False)
    assert (annotations["idempotentHint"], annotations["openWorldHint"]) == (True, True)
    assert sorted(described["inputSchema"]["required"]) == ["profile_id", "store_id"]
    assert {"store_id", "profile_id", "requested_profile_id"} <= set(described["outputSchema"]["properties"])
    # Merges, the budget, customer data and the chain are said once, in the instructions
    # (tests/tools/test_definition_size.py); the description says what this tool does.
    assert 100 < len(described["description"]) < 600, tool


async def test_get_profile_schema(listed: dict[str, dict[str, Any]]) -> None:
    groups = branch(listed["get_profile"]["inputSchema"]["properties"]["trait_groups"])
    assert (groups["type"], groups["minItems"], groups["maxItems"]) == ("array", 1, 50)
    assert groups["items"] == {
        "maxLength": 64,
        "minLength": 1,
        "pattern": TRAIT_GROUP_PATTERN,
        "type": "string",
    }


async def test_recall_schema(listed: dict[str, dict[str, Any]]) -> None:
    properties = listed["recall_memories"]["inputSchema"]["properties"]
    assert branch(properties["query"])["maxLength"] == 1024
    assert branch(properties["conversation_id"])["pattern"] == CONVERSATION_ID_PATTERN
    for name in ("begin_date", "end_date"):
        date = branch(properties[name])
        assert (date["pattern"], date["format"]) == (DATE_TIME_SEND_PATTERN, "date-time")
    for name, default in (("observations_limit", 20), ("summaries_limit", 5), ("communications_limit", 0)):
        limit = properties[name]
        assert (limit["type"], limit["minimum"], limit["maximum"], limit["default"]) == (
            "integer",
            0,
            100,
            default,
        )


async def test_list_schemas(listed: dict[str, dict[str, Any]]) -> None:
    observations = listed["list_observations"]["inputSchema"]["properties"]
    summaries = listed["list_conversation_summaries"]["inputSchema"]["properties"]
    for properties in (observations, summaries):
        size = branch(properties["page_size"])
        assert (size["minimum"], size["maximum"]) == (1, 50)
        token = branch(properties["page_token"])
        assert token["maxLength"] == 4096 + 3
        assert branch(properties["conversation_id"])["pattern"] == CONVERSATION_ID_PATTERN
    source = branch(observations["source"])
    assert (source["pattern"], source["minLength"], source["maxLength"]) == (SOURCE_PATTERN, 1, 100)
    assert branch(observations["order_by"])["enum"] == ["ASC", "DESC"]
    for name in ("created_after", "created_before"):
        assert branch(observations[name])["format"] == "date-time"
    for tool in ("list_observations", "list_conversation_summaries"):
        description = listed[tool]["description"]
        assert "next_page_token" in description and "page_token" in description and "null" in description


# Invalid input never reaches the network


@pytest.mark.parametrize(
    ("tool", "arguments", "field"),
    [
        ("get_profile", {"trait_groups": ["bad name!"]}, "trait_groups"),
        ("get_profile", {"trait_groups": []}, "trait_groups"),
        ("get_profile", {"trait_groups": [f"g{i}" for i in range(51)]}, "trait_groups"),
        ("get_profile", {"trait_groups": ["x" * 64] * 4}, "trait_groups"),  # 259 characters joined
        ("get_profile", {"trait_groups": "Contact"}, "trait_groups"),
        ("get_profile", {"profile_id": "mem_profile_x"}, "profile_id"),
        (
            "recall_memories",
            {"conversation_id": "conv_conversation_81kpttrksqe08rhv122gzq52ax"},
            "conversation_id",
        ),
        ("recall_memories", {"begin_date": "2025-01-15"}, "begin_date"),
        ("recall_memories", {"end_date": "2025-02-30T00:00:00Z"}, "end_date"),
        ("recall_memories", {"end_date": "2025-01-15T25:00:00Z"}, "end_date"),
        ("recall_memories", {"begin_date": "2025-01-15T10:00:00"}, "begin_date"),  # no offset
        ("recall_memories", {"observations_limit": 101}, "observations_limit"),
        ("recall_memories", {"summaries_limit": -1}, "summaries_limit"),
        ("recall_memories", {"communications_limit": 1.5}, "communications_limit"),
        ("recall_memories", {"query": "q" * 1025}, "query"),
        ("list_observations", {"source": "a<b>"}, "source"),
        ("list_observations", {"source": ""}, "source"),
        ("list_observations", {"order_by": "asc"}, "order_by"),
        ("list_observations", {"page_size": 0}, "page_size"),
        ("list_observations", {"page_size": 51}, "page_size"),
        ("list_observations", {"page_token": "eyJlYXN0ZXIiOiJlZ2cifQ"}, "page_token"),
        ("list_observations", {"page_token": "0:" + "t" * 4098}, "page_token"),
        ("list_observations", {"created_after": "yesterday"}, "created_after"),
        ("list_conversation_summaries", {"conversation_id": "conv_x"}, "conversation_id"),
        ("list_conversation_summaries", {"page_token": "x:"}, "page_token"),
        ("list_conversation_summaries", {"page_size": 1000}, "page_size"),
    ],
)
async def test_invalid_arguments_never_reach_the_network(
    upstream: Upstream, tool: str, arguments: dict[str, Any], field: str
) -> None:
    result = await call(upstream, tool, IDS | arguments)
    error = data(result)["error"]
    assert error["code"] == "invalid_argument"
    assert field in error["message"]
    assert upstream.requests == []


# get_profile


async def test_get_profile_answers_traits_by_group(upstream: Upstream) -> None:
    traits = {"Contact": {"firstName": "Alyssa", "age": 41, "vip": True, "tags": ["a", 2]}, "Loyalty": {}}
    upstream.handler = lambda request: ok(profile_body(PROFILE, traits))
    result = await call(upstream, "get_profile", IDS | {"trait_groups": ["Contact", "Loyalty"]})
    assert data(result) == {
        "store_id": STORE,
        "profile_id": PROFILE,
        "requested_profile_id": PROFILE,
        "created_at": "2025-01-01T12:00:00Z",
        "traits": traits,
    }
    assert upstream.requests[0].url.params["traitGroups"] == "Contact,Loyalty"


async def test_get_profile_on_a_merged_profile_names_both_ids(upstream: Upstream) -> None:
    upstream.handler = lambda request: (
        moved(301) if profile_of(request) == PROFILE else ok(profile_body(CANONICAL))
    )
    answer = data(await call(upstream, "get_profile", IDS))
    assert (answer["profile_id"], answer["requested_profile_id"]) == (CANONICAL, PROFILE)


# recall_memories


async def test_recall_sends_the_arguments_and_the_specs_defaults(upstream: Upstream) -> None:
    upstream.handler = lambda request: ok(recall_body(observations=2, summaries=1))
    arguments = IDS | {
        "query": "billing",
        "conversation_id": CONVERSATION,
        "begin_date": "2025-01-01T00:00:00Z",
    }
    answer = data(await call(upstream, "recall_memories", arguments))
    assert json.loads(upstream.requests[0].content) == {
        "query": "billing",
        "conversationId": CONVERSATION,
        "beginDate": "2025-01-01T00:00:00Z",
        "observationsLimit": 20,
        "summariesLimit": 5,
        "communicationsLimit": 0,
    }
    assert answer["ranked"] is True
    assert [item["id"] for item in answer["observations"]] == [
        ttid("mem_observation", 1),
        ttid("mem_observation", 2),
    ]
    assert answer["observations"][0]["score"] == 0.8
    assert answer["summaries"][0]["conversation_id"] == CONVERSATION
    assert answer["communications"] == []


async def test_recall_most_recent_first_is_not_ranked(upstream: Upstream) -> None:
    upstream.handler = lambda request: ok(recall_body(communications=2, scored=False))
    answer = data(await call(upstream, "recall_memories", IDS | {"communications_limit": 2}))
    assert answer["ranked"] is False
    assert answer["observations"][0]["score"] is None
    first = answer["communications"][0]
    assert (first["text"], first["author"]["name"], first["recipients"][0]["address"]) == (
        "Message 1",
        "Customer",
        "+12025555678",
    )


async def test_recall_on_a_merged_profile_resends_the_post(upstream: Upstream) -> None:
    upstream.handler = lambda request: moved(308) if profile_of(request) == PROFILE else ok(recall_body())
    answer = data(await call(upstream, "recall_memories", IDS | {"query": "renewal"}))
    assert (answer["profile_id"], answer["requested_profile_id"]) == (CANONICAL, PROFILE)
    first, second = upstream.requests
    assert (first.method, second.method) == ("POST", "POST")
    assert first.content == second.content
    assert profile_of(second) == CANONICAL


# The list tools: paging


def paged(items: list[dict[str, Any]], key: str, size: int) -> Any:
    """An upstream serving ``items`` in pages of ``size``, tokens "p<offset>"."""

    def handler(request: httpx2.Request) -> httpx2.Response:
        token = request.url.params.get("pageToken")
        start = int(token[1:]) if token else 0
        page_size = int(request.url.params.get("pageSize", size))
        end = start + page_size
        meta: dict[str, Any] = {"pageSize": page_size}
        if end < len(items):
            meta["nextToken"] = f"p{end}"
        return ok({key: items[start:end], "meta": meta})

    return handler


@pytest.mark.parametrize(
    ("tool", "key", "make"),
    [
        ("list_observations", "observations", observation),
        ("list_conversation_summaries", "summaries", summary),
    ],
)
async def test_paging_walks_every_item_once_and_ends_with_null(
    upstream: Upstream, tool: str, key: str, make: Any
) -> None:
    items = [make(i) for i in range(1, 8)]
    upstream.handler = paged(items, key, 3)
    seen: list[str] = []
    token = None
    async with Client(build_server(make_settings(), transport=upstream.transport())) as client:
        for _ in range(10):
            arguments = IDS | {"page_size": 3} | ({"page_token": token} if token else {})
            answer = data(await client.call_tool(tool, arguments))
            seen += [item["id"] for item in answer[key]]
            token = answer["next_page_token"]
            if token is None:
                break
    assert seen == [item["id"] for item in items]
    assert [request.url.params.get("pageToken") for request in upstream.requests] == [None, "p3", "p6"]


async def test_list_observations_passes_every_filter(upstream: Upstream) -> None:
    upstream.handler = lambda request: ok({"observations": []})
    arguments = IDS | {
        "source": "customer service platform",
        "created_after": "2025-01-01T00:00:00Z",
        "created_before": "2025-02-01T00:00:00+01:00",
        "conversation_id": CONVERSATION,
        "order_by": "ASC",
        "page_size": 10,
    }
    answer = data(await call(upstream, "list_observations", arguments))
    assert answer["observations"] == [] and answer["next_page_token"] is None
    assert dict(upstream.requests[0].url.params) == {
        "source": "customer service platform",
        "createdAfter": "2025-01-01T00:00:00Z",
        "createdBefore": "2025-02-01T00:00:00+01:00",
        "conversationId": CONVERSATION,
        "orderBy": "ASC",
        "pageSize": "10",
    }


async def test_list_summaries_on_a_merged_profile(upstream: Upstream) -> None:
    upstream.handler = lambda request: (
        moved(301) if profile_of(request) == PROFILE else ok({"summaries": [summary(1)]})
    )
    answer = data(
        await call(upstream, "list_conversation_summaries", IDS | {"conversation_id": CONVERSATION})
    )
    assert (answer["profile_id"], answer["requested_profile_id"]) == (CANONICAL, PROFILE)
    assert upstream.requests[1].url.params["conversationId"] == CONVERSATION


# Errors


@pytest.mark.parametrize("tool", CONTEXT)
async def test_errors_are_structured_results(upstream: Upstream, tool: str) -> None:
    upstream.handler = lambda request: httpx2.Response(
        404, json={"code": 20404, "message": "Not Found", "status": 404}
    )
    result = await call(upstream, tool, IDS)
    error = data(result)["error"]
    assert (result.is_error, error["code"], error["twilio_code"]) == (True, "not_found", 20404)


# Privacy


SECRET_TEXT = (
    "Customer Dana (dana.whitfield@Example.com, +1 (512) 555-0104) asked to be called on "
    "512.555.0199 after 2025-01-15 10:30; her WhatsApp is whatsapp:+447911123456."
)
SEEDED = [
    "dana.whitfield@Example.com",
    "dana.whitfield@example.com",
    "+1 (512) 555-0104",
    "+15125550104",
    "512.555.0199",
    "+15125550199",
    "+447911123456",
    "Alyssa",
    "+13175551234",
    "Dana Whitfield",
]


def privacy_upstream(request: httpx2.Request) -> httpx2.Response:
    tail = request.url.path.rsplit("/", 1)[1]
    if tail == "Recall":
        customer = participant(1, "Dana Whitfield", "+13175551234")
        agent = participant(2, "Agent Smith", "agent@example.com", "EMAIL")
        body = recall_body()
        body["observations"][0]["content"] = SECRET_TEXT
        body["summaries"][0]["content"] = "Call +13175551234 back. " + SECRET_TEXT
        body["communications"] = [communication(1, "I am Dana Whitfield, +13175551234", customer, agent)]
        return ok(body)
    if tail == "Observations":
        return ok({"observations": [observation(1, SECRET_TEXT)]})
    if tail == "ConversationSummaries":
        return ok({"summaries": [summary(1, SECRET_TEXT)]})
    traits = {
        "Contact": {"firstName": "Alyssa", "phone": "+13175551234", "emails": ["dana.whitfield@Example.com"]}
    }
    return ok(profile_body(PROFILE, traits))


async def exercise(settings: Settings) -> list[str]:
    upstream = Upstream(handler=privacy_upstream)
    seen = []
    async with Client(build_server(settings, transport=upstream.transport())) as client:
        for tool in CONTEXT:
            extra = {"communications_limit": 5, "query": "callback"} if tool == "recall_memories" else {}
            result = await client.call_tool(tool, IDS | extra)
            assert result.is_error is False, result
            seen.append(json.dumps(result.model_dump(mode="json"), ensure_ascii=False))
    return seen


async def test_without_redaction_the_text_is_whole() -> None:
    everything = "\n".join(await exercise(make_settings()))
    assert SECRET_TEXT in everything
    assert "Alyssa" in everything


async def test_redaction_masks_traits_and_every_email_and_phone_in_memory_text(tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    seen = await exercise(make_settings(redact=True, audit_log=str(audit)))
    everything = "\n".join(seen)
    leaked = [value for value in SEEDED if value in everything or value.lower() in everything.lower()]
    assert leaked == []
    assert "2025-01-15 10:30" in everything  # dates are not phone numbers
    assert "asked to be called on" in everything  # the text around stays
    # One number, three spellings, one mask: the model can still tell it is the same.
    recall = json.loads(seen[1])["structured_content"]
    phone_masks = {word.rstrip(".,;)") for word in recall["summaries"][0]["content"].split() if "#" in word}
    assert any(mask.startswith("+1******1234#") for mask in phone_masks)
    assert recall["communications"][0]["author"]["address"] in recall["summaries"][0]["content"]
    log = audit.read_text()
    assert [value for value in SEEDED if value in log] == []
    assert "callback" not in log and "Customer Dana" not in log


async def test_the_audit_records_ids_counts_and_outcome(tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    upstream = Upstream(handler=privacy_upstream)
    settings = make_settings(audit_log=str(audit))
    async with Client(build_server(settings, transport=upstream.transport())) as client:
        await client.call_tool(
            "recall_memories", IDS | {"conversation_id": CONVERSATION, "query": "callback"}
        )
        await client.call_tool("list_observations", IDS)
    recall, listing = [json.loads(line) for line in audit.read_text().splitlines()]
    assert recall["tool"] == "recall_memories" and recall["outcome"] == "ok"
    assert (recall["conversation_id"], recall["items"], recall["omitted"]) == (CONVERSATION, 4, 0)
    assert (listing["tool"], listing["items"], listing["canonical_profile_id"]) == (
        "list_observations",
        1,
        PROFILE,
    )
    text = audit.read_text()
    assert "callback" not in text and "whatsapp" not in text.lower()


async def test_under_redaction_twilio_text_that_may_quote_the_query_is_dropped(upstream: Upstream) -> None:
    upstream.handler = lambda request: httpx2.Response(
        400, json={"code": 20001, "message": "query 'my secret' is invalid", "status": 400}
    )
    result = await call(upstream, "recall_memories", IDS | {"query": "my secret"}, make_settings(redact=True))
    error = data(result)["error"]
    assert (error["twilio_code"], error["twilio_message"]) == (20001, None)
    assert "my secret" not in json.dumps(result.model_dump(mode="json"))


# The prompt walks contact -> identity -> context, following the tools exposed


async def prompt_text(settings: Settings, arguments: dict[str, str]) -> str:
    async with Client(build_server(settings)) as client:
        result = await client.get_prompt("investigate_customer", arguments)
    [message] = result.messages
    assert isinstance(message.content, TextContent)
    return message.content.text


async def test_the_prompt_walks_from_identity_to_context_for_the_conversation_at_hand() -> None:
    text = await prompt_text(make_settings(), {"contact": "+1 206 555 0101", "conversation_id": CONVERSATION})
    order = ["lookup_profiles", "list_profile_identifiers", "get_profile", "recall_memories"]
    positions = [text.index(name) for name in order]
    assert positions == sorted(positions)
    assert f"conversation_id {CONVERSATION}" in text and "communications_limit" in text
    assert "'phone'" in text and "+1 206 555 0101" in text


async def test_the_prompt_follows_the_tools_exposed() -> None:
    identity = await prompt_text(
        make_settings(enabled_toolsets=frozenset({"identity"})), {"contact": "a@example.com"}
    )
    assert "list_profile_identifiers" in identity
    assert "get_profile " not in identity and "recall_memories" not in identity
    lists_only = make_settings(enabled_tools=frozenset({"lookup_profiles", "list_observations"}))
    text = await prompt_text(lists_only, {"contact": "a@example.com", "conversation_id": "not-an-id"})
    assert "list_observations" in text and "recall_memories" not in text
    assert "not-an-id" not in text  # an id that is not one is not passed on


async def test_the_prompt_lists_its_arguments() -> None:
    async with Client(build_server(make_settings())) as client:
        [prompt] = (await client.list_prompts()).prompts
    assert [argument.name for argument in prompt.arguments or []] == [
        "contact",
        "store_id",
        "conversation_id",
    ]
