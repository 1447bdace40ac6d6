"""The context tools end to end against the emulator: in process, over stdio (the real console
script, --sandbox) and over HTTP (the real console script under uvicorn, --sandbox).
Redaction and the audit log are checked against every seeded value and every email and phone
number the seeded memories mention, raw and normalized."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.types import CallToolResult, TextContent

from emulator import EmulatorConfig, create_app
from emulator.seed import read_seed
from server.mcp_server import build_server
from server.settings import Settings
from tests.support.console import SCRIPT, TEE
from tests.support.emulated import IDS, emulator_settings, seeded_values
from tests.support.processes import http_server
from tools.redaction import normalize

pytestmark = pytest.mark.anyio


def client_for(settings: Settings | None = None, config: EmulatorConfig | None = None) -> Client:
    app = create_app(config) if config else create_app()
    server = build_server(settings or emulator_settings(), transport=httpx2.ASGITransport(app=app))
    return Client(server)


@pytest.fixture
async def client() -> AsyncIterator[Client]:
    async with client_for() as connected:
        yield connected


def data(result: CallToolResult) -> dict[str, Any]:
    assert result.is_error is False, result
    assert result.structured_content is not None
    [block] = result.content
    assert isinstance(block, TextContent)
    assert json.loads(block.text) == result.structured_content
    structured: dict[str, Any] = result.structured_content
    return structured


def seed_profile(profile_id: str) -> dict[str, Any]:
    profiles: list[dict[str, Any]] = read_seed()["stores"][0]["profiles"]
    [profile] = [p for p in profiles if p["id"] == profile_id]
    return profile


# get_profile


async def test_get_profile_reads_every_group_or_the_ones_named(client: Client) -> None:
    every = data(await client.call_tool("get_profile", {"profile_id": IDS.profile_id}))
    assert every["traits"] == seed_profile(IDS.profile_id)["traits"]
    assert every["created_at"] and every["profile_id"] == every["requested_profile_id"] == IDS.profile_id
    contact = data(
        await client.call_tool("get_profile", {"profile_id": IDS.profile_id, "trait_groups": ["Contact"]})
    )
    assert list(contact["traits"]) == ["Contact"]


@pytest.mark.parametrize("merged_answer", ["redirect", "direct"])
async def test_get_profile_on_the_merged_profile_answers_from_the_canonical_one(merged_answer: str) -> None:
    async with client_for(config=EmulatorConfig(merged_answer=merged_answer)) as client:  # type: ignore[arg-type]
        answer = data(await client.call_tool("get_profile", {"profile_id": IDS.merged_profile_id}))
    assert (answer["requested_profile_id"], answer["profile_id"]) == (
        IDS.merged_profile_id,
        IDS.canonical_profile_id,
    )
    assert answer["traits"]["Billing"]["plan"] == "Pro"  # the canonical profile's own group


# recall_memories


async def test_recall_with_a_query_is_ranked(client: Client) -> None:
    answer = data(
        await client.call_tool(
            "recall_memories", {"profile_id": IDS.memory_profile_id, "query": "duplicate charge"}
        )
    )
    assert answer["ranked"] is True
    top = answer["observations"][0]
    assert "duplicate" in top["content"].lower() and 0 < top["score"] <= 1
    scores = [item["score"] for item in answer["observations"]]
    assert scores == sorted(scores, reverse=True)


async def test_recall_for_the_conversation_at_hand_returns_its_messages(client: Client) -> None:
    arguments = {
        "profile_id": IDS.memory_profile_id,
        "conversation_id": IDS.memory_conversation_id,
        "communications_limit": 10,
    }
    answer = data(await client.call_tool("recall_memories", arguments))
    messages = answer["communications"]
    assert messages and all(message["id"].startswith("conv_communication_") for message in messages)
    assert {message["author"]["name"] for message in messages} >= {"Dana Whitfield"}


async def test_recall_without_query_or_conversation_is_most_recent_first(client: Client) -> None:
    answer = data(await client.call_tool("recall_memories", {"profile_id": IDS.profile_id}))
    assert answer["ranked"] is False
    assert all(item["score"] is None for item in answer["observations"])
    occurred = [item["occurred_at"] for item in answer["observations"]]
    assert occurred == sorted(occurred, reverse=True)


async def test_recall_on_the_merged_profile_follows_the_308(tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    async with client_for(emulator_settings(audit_log=str(audit))) as client:
        arguments = {
            "profile_id": IDS.merged_profile_id,
            "query": "invoice",
            "conversation_id": IDS.merged_conversation_id,
        }
        answer = data(await client.call_tool("recall_memories", arguments | {"communications_limit": 5}))
    assert (answer["requested_profile_id"], answer["profile_id"]) == (
        IDS.merged_profile_id,
        IDS.canonical_profile_id,
    )
    assert answer["observations"] and answer["communications"]
    [entry] = [json.loads(line) for line in audit.read_text().splitlines()]
    assert (entry["canonical_profile_id"], entry["conversation_id"]) == (
        IDS.canonical_profile_id,
        IDS.merged_conversation_id,
    )


async def test_recall_errors_come_back_as_results(client: Client) -> None:
    result = await client.call_tool("recall_memories", {"profile_id": IDS.missing_profile_id})
    assert result.is_error is True and result.structured_content is not None
    assert result.structured_content["error"]["code"] == "not_found"


# The lists


async def walk(client: Client, tool: str, key: str, arguments: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    token = None
    for _ in range(50):
        answer = data(await client.call_tool(tool, arguments | ({"page_token": token} if token else {})))
        items += answer[key]
        token = answer["next_page_token"]
        if token is None:
            return items
    raise AssertionError("paging did not end")


async def test_list_observations_pages_through_all_120(client: Client) -> None:
    items = await walk(client, "list_observations", "observations", {"profile_id": IDS.paged_profile_id})
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)) == IDS.paged_observation_count
    created = [item["created_at"] for item in items]
    assert created == sorted(created, reverse=True)  # newest first by default
    oldest_first = await walk(
        client,
        "list_observations",
        "observations",
        {"profile_id": IDS.paged_profile_id, "order_by": "ASC", "page_size": 50},
    )
    assert [item["id"] for item in oldest_first] == ids[::-1]


async def test_list_observations_filters(client: Client) -> None:
    arguments = {"profile_id": IDS.memory_profile_id, "conversation_id": IDS.memory_conversation_id}
    answer = data(await client.call_tool("list_observations", arguments))
    assert answer["observations"]
    assert all(IDS.memory_conversation_id in item["conversation_ids"] for item in answer["observations"])
    later = data(
        await client.call_tool(
            "list_observations", {"profile_id": IDS.paged_profile_id, "created_after": "2100-01-01T00:00:00Z"}
        )
    )
    assert later == later | {"observations": [], "next_page_token": None}


async def test_list_conversation_summaries(client: Client) -> None:
    every = await walk(
        client,
        "list_conversation_summaries",
        "summaries",
        {"profile_id": IDS.memory_profile_id, "page_size": 1},
    )
    assert len(every) == len({item["id"] for item in every}) >= 2
    one = data(
        await client.call_tool(
            "list_conversation_summaries",
            {"profile_id": IDS.memory_profile_id, "conversation_id": IDS.memory_conversation_id},
        )
    )
    assert one["summaries"] and all(
        item["conversation_id"] == IDS.memory_conversation_id for item in one["summaries"]
    )


async def test_lists_on_the_merged_profile_name_both_ids(client: Client) -> None:
    for tool in ("list_observations", "list_conversation_summaries"):
        answer = data(await client.call_tool(tool, {"profile_id": IDS.merged_profile_id}))
        assert (answer["requested_profile_id"], answer["profile_id"]) == (
            IDS.merged_profile_id,
            IDS.canonical_profile_id,
        )


# Privacy: every seeded value, every email and phone number in the seeded memories


def trait_strings(value: Any) -> list[str]:
    if isinstance(value, list):
        return [text for item in value for text in trait_strings(item)]
    if isinstance(value, bool) or value is None:
        return []
    return [str(value)]


def memory_texts() -> str:
    texts = []
    for profile in read_seed()["stores"][0]["profiles"]:
        texts += [item["content"] for item in profile.get("observations", []) + profile.get("summaries", [])]
        texts += [item["content"].get("text", "") for item in profile.get("communications", [])]
    return "\n".join(texts)


def private_values() -> set[str]:
    """Identifier values, trait values, and every email and phone in the memories' text, as
    written and normalized (lowercased emails, E.164 numbers). Trait values that are ordinary
    words of some memory (a city, a plan name) or of an id stay out: they are no secret."""
    values = set(seeded_values())
    profiles = read_seed()["stores"][0]["profiles"]
    # Words that are public by design: ids (mem_profile_...bruno), identifier types, channels.
    public = " ".join(
        [p["id"] for p in profiles] + [i["idType"] for p in profiles for i in p["identifiers"]] + ["whatsapp"]
    ).casefold()
    words = memory_texts()
    for profile in profiles:
        for group in (profile.get("traits") or {}).values():
            for value in group.values():
                values.update(
                    text
                    for text in trait_strings(value)
                    if len(text) >= 5 and text not in words and text.casefold() not in public
                )
    for found in (*IDS.memory_emails, *IDS.memory_phones):
        values.update({found, found.lower(), normalize(found)})
    return {value for value in values if len(value) >= 5}


async def exercise_context(client: Client) -> list[str]:
    seen = []
    for profile in read_seed()["stores"][0]["profiles"]:
        ids = {"profile_id": profile["id"]}
        calls = [
            ("get_profile", ids),
            (
                "recall_memories",
                ids
                | {
                    "query": "invoice email phone callback",
                    "observations_limit": 100,
                    "summaries_limit": 100,
                },
            ),
            ("list_observations", ids),
            ("list_conversation_summaries", ids),
            ("list_profile_identifiers", ids),
        ]
        conversations = {c["conversationId"] for c in profile.get("communications", [])}
        calls += [
            ("recall_memories", ids | {"conversation_id": c, "communications_limit": 100})
            for c in conversations
        ]
        for tool, arguments in calls:
            result = await client.call_tool(tool, arguments)
            assert result.is_error is False, (tool, arguments, result)
            seen.append(json.dumps(result.model_dump(mode="json"), ensure_ascii=False))
    return seen


async def test_without_redaction_the_private_values_are_there() -> None:
    async with client_for() as client:
        everything = "\n".join(await exercise_context(client))
    shown = {value for value in private_values() if value in everything}
    assert set(IDS.memory_emails) <= shown and set(IDS.memory_phones) <= shown  # the search can find them


async def test_redaction_masks_every_private_value_in_every_result_and_the_audit_never_holds_text(
    tmp_path: Path,
) -> None:
    audit = tmp_path / "audit.jsonl"
    async with client_for(emulator_settings(redact=True, audit_log=str(audit))) as client:
        seen = await exercise_context(client)
    everything = "\n".join(seen)
    folded = everything.casefold()
    leaked = sorted(value for value in private_values() if value in everything or value.casefold() in folded)
    assert leaked == []
    digits = re.sub(r"\D", "", everything)
    assert all(re.sub(r"\D", "", phone)[-10:] not in digits for phone in IDS.memory_phones)
    assert "#" in everything and "duplicate charge" in everything  # masked in place, text kept
    log = audit.read_text()
    assert [value for value in private_values() if value in log] == []
    assert "invoice email phone" not in log  # no query
    assert not [text for text in memory_texts().splitlines() if text and text[:30] in log]
    entries = [json.loads(line) for line in log.splitlines()]
    assert {entry["tool"] for entry in entries} >= {"get_profile", "recall_memories", "list_observations"}
    assert all(entry["outcome"] == "ok" and entry["items"] is not None for entry in entries)


# Over stdio and HTTP, the real console script


def context_calls(store_id: str) -> list[tuple[str, dict[str, Any]]]:
    ids = {"store_id": store_id, "profile_id": IDS.merged_profile_id}
    return [
        ("get_profile", ids),
        ("recall_memories", ids | {"query": "invoice"}),
        ("list_conversation_summaries", ids),
        ("list_observations", ids | {"page_size": 1}),
    ]


def check_context_answers(results: list[CallToolResult]) -> None:
    for result in results:
        answer = data(result)
        assert (answer["requested_profile_id"], answer["profile_id"]) == (
            IDS.merged_profile_id,
            IDS.canonical_profile_id,
        )
    assert data(results[3])["next_page_token"] is not None


async def test_over_stdio_with_the_sandbox(tmp_path: Path) -> None:
    stdout_copy, stderr_file = tmp_path / "stdout.jsonl", tmp_path / "stderr.log"
    server = StdioServerParameters(
        command=sys.executable, args=[TEE, str(stdout_copy), str(stderr_file), SCRIPT, "--sandbox"], env={}
    )
    async with Client(server) as client:
        names = [tool.name for tool in (await client.list_tools()).tools]
        results = [await client.call_tool(tool, arguments) for tool, arguments in context_calls(IDS.store_id)]
    assert len(names) == 7
    check_context_answers(results)
    for line in stdout_copy.read_bytes().splitlines():
        assert json.loads(line)["jsonrpc"] == "2.0"


@pytest.fixture
def http_sandbox(tmp_path: Path) -> Iterator[str]:
    with http_server({}, tmp_path, "--sandbox") as server:
        yield server.mcp


async def test_over_http_with_the_sandbox(http_sandbox: str) -> None:
    async with Client(http_sandbox) as client:
        names = [tool.name for tool in (await client.list_tools()).tools]
        results = [await client.call_tool(tool, arguments) for tool, arguments in context_calls(IDS.store_id)]
    assert len(names) == 7
    check_context_answers(results)
