"""Every tool, the resource and the prompt, end to end against the emulator.

In-process through httpx2's ASGITransport (no socket) for most tests, and once over a real
loopback socket. Includes redaction and the audit log, checked against every seeded value.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult, TextContent, TextResourceContents
from pydantic import SecretStr
from starlette.applications import Starlette

from emulator import EmulatorState, create_app, serve_in_background
from server.mcp_server import build_server
from server.settings import Credentials, SettingsError
from tests.support.doubles import FakeTime
from tests.support.emulated import IDS, emulator_settings, exercise_everything, resource_uri, seeded_values

pytestmark = pytest.mark.anyio


@pytest.fixture
def emulator() -> Starlette:
    return create_app()


def state_of(app: Starlette) -> EmulatorState:
    state: EmulatorState = app.state.emulator
    return state


@pytest.fixture
async def client(emulator: Starlette, fake_time: FakeTime) -> AsyncIterator[Client]:
    server = build_server(
        emulator_settings(),
        transport=httpx2.ASGITransport(app=emulator),
        sleep=fake_time.sleep,
        clock=fake_time.clock,
    )
    async with Client(server) as connected:
        yield connected


def data(result: CallToolResult) -> dict[str, Any]:
    assert result.structured_content is not None
    [block] = result.content
    assert isinstance(block, TextContent)
    if not result.is_error:
        assert json.loads(block.text) == result.structured_content
    structured: dict[str, Any] = result.structured_content
    return structured


def error_code(result: CallToolResult) -> str:
    assert result.is_error is True
    code: str = data(result)["error"]["code"]
    return code


# get_profile_identifiers


async def test_get_plain_profile(client: Client) -> None:
    result = await client.call_tool(
        "get_profile_identifiers", {"profile_id": IDS.profile_id, "id_type": "email"}
    )
    assert result.is_error is False
    # Normalized by the store's email rule, oldest first.
    assert data(result)["values"] == ["alice.nakamura@example.com", "a.nakamura@work.example.com"]


async def test_get_phone_is_e164(client: Client) -> None:
    result = await client.call_tool(
        "get_profile_identifiers", {"profile_id": IDS.profile_id, "id_type": "phone"}
    )
    assert data(result)["values"] == ["+12065550101"]


async def test_get_merged_profile_answers_from_the_canonical_one(client: Client) -> None:
    result = await client.call_tool(
        "get_profile_identifiers", {"profile_id": IDS.merged_profile_id, "id_type": "phone"}
    )
    answer = data(result)
    assert (answer["requested_profile_id"], answer["profile_id"]) == (
        IDS.merged_profile_id,
        IDS.canonical_profile_id,
    )
    assert answer["values"] == ["+15125550104", "+17375550113"]  # the union, oldest first


async def test_get_the_100_value_maximum(client: Client) -> None:
    result = await client.call_tool(
        "get_profile_identifiers", {"profile_id": IDS.full_profile_id, "id_type": IDS.full_id_type}
    )
    assert len(data(result)["values"]) == 100


@pytest.mark.parametrize(
    ("arguments", "code"),
    [
        ({"profile_id": IDS.missing_profile_id, "id_type": "email"}, "not_found"),
        ({"profile_id": IDS.profile_id, "id_type": "loyaltyNumber"}, "not_found"),  # not configured
        ({"profile_id": IDS.profile_id, "id_type": "Email"}, "not_found"),  # case-sensitive
        (
            {"store_id": IDS.other_account_store_id, "profile_id": IDS.profile_id, "id_type": "email"},
            "permission_denied",
        ),
        (
            {
                "store_id": "mem_store_01jq8p00000000000000nobody",
                "profile_id": IDS.profile_id,
                "id_type": "email",
            },
            "not_found",
        ),
        ({"profile_id": "alice", "id_type": "email"}, "invalid_argument"),
    ],
)
async def test_get_errors(client: Client, arguments: dict[str, str], code: str) -> None:
    assert error_code(await client.call_tool("get_profile_identifiers", arguments)) == code


async def test_wrong_credentials_are_unauthenticated(emulator: Starlette) -> None:
    settings = emulator_settings(credentials=Credentials(IDS.api_key, SecretStr("wrong"), "test"))
    async with Client(build_server(settings, transport=httpx2.ASGITransport(app=emulator))) as client:
        result = await client.call_tool(
            "get_profile_identifiers", {"profile_id": IDS.profile_id, "id_type": "email"}
        )
    assert error_code(result) == "unauthenticated"
    assert data(result)["error"]["twilio_code"] == 20003


async def test_account_sid_and_auth_token_work_too(emulator: Starlette) -> None:
    settings = emulator_settings(credentials=Credentials(IDS.account_sid, SecretStr(IDS.auth_token), "test"))
    async with Client(build_server(settings, transport=httpx2.ASGITransport(app=emulator))) as client:
        result = await client.call_tool(
            "get_profile_identifiers", {"profile_id": IDS.profile_id, "id_type": "email"}
        )
    assert result.is_error is False


async def test_rate_limit_and_server_errors_are_retried_to_success(
    client: Client, emulator: Starlette, fake_time: FakeTime
) -> None:
    faults = state_of(emulator).faults
    faults.retry_after = 2
    faults.rate_limit_next = 1
    faults.error_next = 2
    result = await client.call_tool(
        "get_profile_identifiers", {"profile_id": IDS.profile_id, "id_type": "email"}
    )
    assert result.is_error is False
    assert fake_time.sleeps[0] == 2.0  # the 429's Retry-After, then two backoffs
    assert len(fake_time.sleeps) == 3


async def test_persistent_503_is_upstream_unavailable(client: Client, emulator: Starlette) -> None:
    state_of(emulator).faults.error_next = 100
    result = await client.call_tool(
        "get_profile_identifiers", {"profile_id": IDS.profile_id, "id_type": "email"}
    )
    assert error_code(result) == "upstream_unavailable"
    assert data(result)["error"]["twilio_code"] == 20503


async def test_over_a_real_loopback_socket(emulator: Starlette) -> None:
    async with serve_in_background(emulator) as base_url:
        settings = emulator_settings(base_url=base_url)
        async with Client(build_server(settings)) as client:
            result = await client.call_tool(
                "get_profile_identifiers", {"profile_id": IDS.merged_profile_id, "id_type": "email"}
            )
    assert data(result)["profile_id"] == IDS.canonical_profile_id
    assert data(result)["values"] == ["dana.whitfield@example.com"]


# lookup_profiles


async def test_lookup_normalizes_and_finds_the_profile(client: Client) -> None:
    result = await client.call_tool("lookup_profiles", {"id_type": "phone", "value": "1-206-555-0101"})
    assert data(result) == {
        "store_id": IDS.store_id,
        "id_type": "phone",
        "normalized_value": "+12065550101",
        "profile_ids": [IDS.profile_id],
    }


async def test_lookup_with_no_match_is_an_empty_list(client: Client) -> None:
    result = await client.call_tool("lookup_profiles", {"id_type": "email", "value": "nobody@example.com"})
    assert result.is_error is False
    assert data(result)["profile_ids"] == []


async def test_lookup_of_a_merged_profiles_value_gives_the_canonical_id(client: Client) -> None:
    result = await client.call_tool("lookup_profiles", {"id_type": "phone", "value": "(737) 555-0113"})
    assert data(result)["profile_ids"] == [IDS.canonical_profile_id]


async def test_lookup_with_several_matches(client: Client) -> None:
    result = await client.call_tool("lookup_profiles", {"id_type": "externalId", "value": "household-4471"})
    profile_ids = data(result)["profile_ids"]
    assert len(profile_ids) == 2
    assert all(profile_id.startswith("mem_profile_") for profile_id in profile_ids)


@pytest.mark.parametrize(
    "arguments",
    [
        {"id_type": "phone"},
        {"id_type": "phone", "value": ""},
        {"id_type": "phone", "value": "1" * 256},
        {"id_type": "p", "value": "+12065550101"},
        {"id_type": "phone", "value": "+12065550101", "store_id": "acme"},
    ],
)
async def test_lookup_bad_input(client: Client, emulator: Starlette, arguments: dict[str, str]) -> None:
    assert error_code(await client.call_tool("lookup_profiles", arguments)) == "invalid_argument"


async def test_lookup_of_an_unconfigured_type_is_rejected_upstream(client: Client) -> None:
    result = await client.call_tool("lookup_profiles", {"id_type": "loyaltyNumber", "value": "42"})
    assert error_code(result) == "invalid_argument"
    assert data(result)["error"]["http_status"] == 400


# list_profile_identifiers


async def test_list_every_type_on_a_profile(client: Client) -> None:
    result = await client.call_tool("list_profile_identifiers", {"profile_id": IDS.profile_id})
    identifiers = {item["id_type"]: item["values"] for item in data(result)["identifiers"]}
    assert identifiers == {
        "email": ["alice.nakamura@example.com", "a.nakamura@work.example.com"],
        "phone": ["+12065550101"],
        "whatsapp": ["whatsapp:+12065550101"],
    }


async def test_list_follows_a_merge(client: Client) -> None:
    answer = data(await client.call_tool("list_profile_identifiers", {"profile_id": IDS.merged_profile_id}))
    assert (answer["profile_id"], answer["requested_profile_id"]) == (
        IDS.canonical_profile_id,
        IDS.merged_profile_id,
    )


async def test_list_not_found_and_bad_input(client: Client) -> None:
    assert (
        error_code(await client.call_tool("list_profile_identifiers", {"profile_id": IDS.missing_profile_id}))
        == "not_found"
    )
    assert (
        error_code(await client.call_tool("list_profile_identifiers", {"profile_id": "x"}))
        == "invalid_argument"
    )


# The resource template and the prompt


async def test_resource_template_is_listed_and_serves_the_tools_data(client: Client) -> None:
    templates = (await client.list_resource_templates()).resource_templates
    assert [t.uri_template for t in templates] == [
        "memory://stores/{store_id}/profiles/{profile_id}/identifiers/{id_type}"
    ]
    read = await client.read_resource(resource_uri(IDS.merged_profile_id, "email"))
    [contents] = read.contents
    assert isinstance(contents, TextResourceContents)
    assert contents.mime_type == "application/json"
    tool = await client.call_tool(
        "get_profile_identifiers", {"profile_id": IDS.merged_profile_id, "id_type": "email"}
    )
    assert json.loads(contents.text) == data(tool)


@pytest.mark.parametrize(
    "uri",
    [
        resource_uri(IDS.missing_profile_id, "email"),
        resource_uri("alice", "email"),
        resource_uri(IDS.profile_id, "e"),
    ],
)
async def test_resource_errors(client: Client, uri: str) -> None:
    with pytest.raises(MCPError):
        await client.read_resource(uri)


async def test_prompt_walks_from_contact_to_identifiers(client: Client) -> None:
    [prompt] = (await client.list_prompts()).prompts
    assert prompt.name == "investigate_customer"
    result = await client.get_prompt("investigate_customer", {"contact": "+1 206 555 0101"})
    [message] = result.messages
    assert isinstance(message.content, TextContent)
    text = message.content.text
    for step in ("lookup_profiles", "list_profile_identifiers", "'phone'", "+1 206 555 0101"):
        assert step in text
    email = await client.get_prompt("investigate_customer", {"contact": "jo@example.com"})
    assert isinstance(email.messages[0].content, TextContent)
    assert "'email'" in email.messages[0].content.text


# Tool selection


async def test_tool_selection_exposes_only_what_is_named(emulator: Starlette) -> None:
    settings = emulator_settings(enabled_tools=frozenset({"get_profile_identifiers"}))
    async with Client(build_server(settings, transport=httpx2.ASGITransport(app=emulator))) as client:
        tools = (await client.list_tools()).tools
        prompts = (await client.list_prompts()).prompts
        templates = (await client.list_resource_templates()).resource_templates
    assert [tool.name for tool in tools] == ["get_profile_identifiers"]
    assert "lookup_profiles" not in (tools[0].description or "")  # no chain advice for absent tools
    assert prompts == []
    assert len(templates) == 1


def test_unknown_tool_names_refuse_to_start() -> None:
    with pytest.raises(SettingsError, match="get_identifiers"):
        build_server(emulator_settings(enabled_tools=frozenset({"get_identifiers"})))


# Privacy: redaction and the audit log


async def test_redaction_masks_every_value_in_every_result(emulator: Starlette) -> None:
    settings = emulator_settings(redact=True)
    async with Client(build_server(settings, transport=httpx2.ASGITransport(app=emulator))) as client:
        seen = await exercise_everything(client)
        alice = data(
            await client.call_tool(
                "get_profile_identifiers", {"profile_id": IDS.profile_id, "id_type": "email"}
            )
        )
        phone = data(await client.call_tool("lookup_profiles", {"id_type": "phone", "value": "206-555-0101"}))
    everything = "\n".join(seen)
    leaked = sorted(value for value in seeded_values() if value in everything)
    assert leaked == []
    first, second = alice["values"]
    assert first.startswith("a***@example.com#") and second.startswith("a***@work.example.com#")
    assert first != second  # still told apart
    assert phone["normalized_value"].startswith("+1******0101#")
    assert phone["profile_ids"] == [IDS.profile_id]  # ids are not redacted


async def test_audit_log_records_calls_and_no_values(emulator: Starlette, tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    settings = emulator_settings(audit_log=str(audit))
    async with Client(build_server(settings, transport=httpx2.ASGITransport(app=emulator))) as client:
        await exercise_everything(client)
        await client.call_tool(
            "get_profile_identifiers", {"profile_id": IDS.missing_profile_id, "id_type": "email"}
        )
    text = audit.read_text()
    entries = [json.loads(line) for line in text.splitlines()]
    assert len(entries) > 50
    keys = {
        "time",
        "tool",
        "store_id",
        "profile_id",
        "id_type",
        "outcome",
        "http_status",
        "attempts",
        "latency_ms",
    }
    assert all(keys <= set(entry) for entry in entries)
    assert {"ok", "not_found"} <= {entry["outcome"] for entry in entries}
    assert {entry["tool"] for entry in entries} >= {
        "get_profile_identifiers",
        "lookup_profiles",
        "list_profile_identifiers",
    }
    merged = [e for e in entries if e["profile_id"] == IDS.merged_profile_id and e["outcome"] == "ok"]
    assert merged and merged[0]["canonical_profile_id"] == IDS.canonical_profile_id
    leaked = sorted(value for value in seeded_values() if value in text)
    assert leaked == []
    assert IDS.api_secret not in text


async def test_redaction_drops_twilio_text_that_may_quote_the_searched_value(emulator: Starlette) -> None:
    settings = emulator_settings(redact=True)
    async with Client(build_server(settings, transport=httpx2.ASGITransport(app=emulator))) as client:
        results = [
            await client.call_tool("lookup_profiles", {"id_type": "phone", "value": value})
            for value in ("555  12x", "555\t12x", "555-12x")
        ]
    for result in results:
        error = data(result)["error"]
        assert (error["code"], error["twilio_message"]) == ("invalid_argument", None)
        assert error["twilio_code"] is not None
        text = json.dumps(result.model_dump(mode="json"))
        assert "12x" not in text


async def test_a_crash_is_audited_as_internal_error_and_told_as_a_crash(tmp_path: Path) -> None:
    def explode(request: httpx2.Request) -> httpx2.Response:
        raise RuntimeError("a bug")

    audit = tmp_path / "audit.jsonl"
    settings = emulator_settings(audit_log=str(audit))
    async with Client(build_server(settings, transport=httpx2.MockTransport(explode))) as client:
        result = await client.call_tool(
            "get_profile_identifiers", {"profile_id": IDS.profile_id, "id_type": "email"}
        )
    assert result.is_error is True
    [entry] = [json.loads(line) for line in audit.read_text().splitlines()]
    assert entry["outcome"] == "internal_error"


async def test_resource_ids_with_a_trailing_newline_never_go_upstream(emulator: Starlette) -> None:
    requests: list[httpx2.Request] = []

    def record(request: httpx2.Request) -> httpx2.Response:
        requests.append(request)
        return httpx2.Response(500)

    async with Client(build_server(emulator_settings(), transport=httpx2.MockTransport(record))) as client:
        with pytest.raises(MCPError):
            await client.read_resource(resource_uri(IDS.profile_id + "%0A", "email"))
    assert requests == []
