"""The write toolset through the Python mcp 2.x Client, in memory, against the emulator (issue 19).

Each case runs on both protocol eras: 2026-07-28 (elicitation in input_required rounds) and
2025-11-25 (a server-to-client elicitation/create), through the SDK's own client and its
elicitation callback.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp import types as mt
from mcp.types import CallToolResult, TextContent
from pydantic import SecretStr
from starlette.applications import Starlette

from emulator import EmulatorConfig, create_app, default_examples
from emulator.faults import Faults
from server.mcp_server import build_server
from server.settings import Credentials, Settings, SettingsError, load_settings
from tests.support.doubles import FakeTime, settings_of
from tools import TOOLSETS, ToolSelectionError, enabled_tools
from tools.redaction import Redactor
from tools.writes.common import holds_mask

pytestmark = pytest.mark.anyio

IDS = default_examples()
BASE = "http://emulator.localhost"
WRITE_TOOLS = set(TOOLSETS["write"])
NOTE = "Prefers SMS after 6 pm"
ERAS = ["auto", "legacy"]  # 2026-07-28 and 2025-11-25


def settings(**overrides: Any) -> Settings:
    base = settings_of(
        credentials=Credentials(IDS.api_key, SecretStr(IDS.api_secret), "test"),
        base_url=BASE,
        default_store_id=IDS.store_id,
        enabled_toolsets=frozenset({"identity", "context", "write"}),
        max_retries=2,
        attempt_timeout=0.5,
        deadline=5.0,
    )
    return settings_of(base, **overrides)


class Person:
    """The elicitation callback: answers as told and keeps what it was shown."""

    def __init__(self, action: str = "accept", confirm: bool = True) -> None:
        self.action = action
        self.confirm = confirm
        self.asked: list[mt.ElicitRequestParams] = []

    async def __call__(self, context: Any, params: mt.ElicitRequestParams) -> mt.ElicitResult:
        self.asked.append(params)
        content = {"confirm": self.confirm} if self.action == "accept" else None
        return mt.ElicitResult(action=self.action, content=content)  # type: ignore[arg-type]


@dataclasses.dataclass
class Rig:
    emulator: Starlette
    fake_time: FakeTime

    def server(self, **overrides: Any) -> Any:
        return build_server(
            settings(**overrides),
            transport=httpx2.ASGITransport(app=self.emulator),
            sleep=self.fake_time.sleep,
            clock=anyio.current_time,
        )

    def client(self, person: Person | None, mode: str = "auto", **overrides: Any) -> Client:
        return Client(self.server(**overrides), elicitation_callback=person, mode=mode)

    def writes(self) -> list[str]:
        return [w.outcome for w in self.emulator.state.emulator.received]


@pytest.fixture
def rig(fake_time: FakeTime) -> Rig:
    return Rig(create_app(), fake_time)


def data(result: CallToolResult) -> dict[str, Any]:
    assert result.structured_content is not None
    [block] = result.content
    assert isinstance(block, TextContent)
    structured: dict[str, Any] = result.structured_content
    return structured


async def observations(client: Client, profile_id: str = IDS.profile_id) -> list[str]:
    result = await client.call_tool("list_observations", {"profile_id": profile_id, "page_size": 50})
    return [o["content"] for o in data(result)["observations"]]


OBSERVE = {"profile_id": IDS.profile_id, "content": NOTE}


@pytest.mark.parametrize("mode", ERAS)
async def test_accepting_the_form_writes_and_the_observation_is_then_read(rig: Rig, mode: str) -> None:
    person = Person("accept")
    async with rig.client(person, mode) as client:
        assert client.protocol_version == ("2025-11-25" if mode == "legacy" else "2026-07-28")
        result = await client.call_tool("add_observation", OBSERVE)
        answer = data(result)
        assert not result.is_error, answer
        assert answer["outcome"] == "written" and answer["confirmed_by"] == "person"
        assert "may take a moment to appear" in answer["message"]
        assert NOTE in await observations(client)
    [asked] = person.asked
    assert isinstance(asked, mt.ElicitRequestFormParams)
    assert NOTE in asked.message and IDS.profile_id in asked.message and IDS.store_id in asked.message
    assert rig.writes() == ["applied"]


@pytest.mark.parametrize("mode", ERAS)
@pytest.mark.parametrize(("action", "confirm"), [("decline", True), ("cancel", True), ("accept", False)])
async def test_declining_or_cancelling_writes_nothing(
    rig: Rig, mode: str, action: str, confirm: bool
) -> None:
    async with rig.client(Person(action, confirm), mode) as client:
        before = await observations(client)
        result = await client.call_tool("add_observation", OBSERVE)
        assert not result.is_error
        assert data(result)["outcome"] == "declined"
        assert "nothing was written" in data(result)["message"]
        assert await observations(client) == before
    assert rig.writes() == []


@pytest.mark.parametrize("mode", ERAS)
async def test_a_client_without_elicitation_is_refused_naming_the_setting(rig: Rig, mode: str) -> None:
    async with rig.client(None, mode) as client:
        result = await client.call_tool("add_observation", OBSERVE)
    assert result.is_error
    error = data(result)["error"]
    assert error["code"] == "confirmation_unavailable"
    assert "TWILIO_MEMORY_WRITE_CONFIRM" in error["message"]
    assert rig.writes() == []


@pytest.mark.parametrize("mode", ERAS)
async def test_host_mode_asks_nothing_and_writes(rig: Rig, mode: str) -> None:
    person = Person("decline")
    async with rig.client(person, mode, write_confirm="host") as client:
        result = await client.call_tool("add_observation", OBSERVE)
        assert data(result)["outcome"] == "written" and data(result)["confirmed_by"] == "host"
    assert person.asked == []
    assert rig.writes() == ["applied"]


async def test_a_dry_run_returns_the_exact_request_and_sends_nothing(rig: Rig) -> None:
    person = Person("accept")
    async with rig.client(person) as client:
        args = {**OBSERVE, "occurred_at": "2026-12-04T18:00:00Z", "dry_run": True}
        answer = data(await client.call_tool("add_observation", args))
    assert answer["outcome"] == "dry_run"
    assert answer["request"] == {
        "method": "POST",
        "url": f"{BASE}/v1/Stores/{IDS.store_id}/Profiles/{IDS.profile_id}/Observations",
        "body": {
            "observations": [
                {"content": NOTE, "source": "twilio-memory-mcp", "occurredAt": "2026-12-04T18:00:00Z"}
            ]
        },
    }
    assert person.asked == [] and rig.writes() == []


async def test_a_timeout_after_sending_is_not_retried(fake_time: FakeTime) -> None:
    app = create_app(EmulatorConfig(faults=Faults(write_faults={"*": ["timeout"]}, write_hold=30.0)))
    rig = Rig(app, fake_time)
    async with rig.client(Person("accept")) as client:
        result = await client.call_tool("add_observation", OBSERVE)
    assert result.is_error
    error = data(result)["error"]
    assert error["code"] == "outcome_unknown" and error["retryable"] is False
    assert "list_observations" in error["hint"]
    assert rig.writes() == ["timeout"]  # exactly one request reached the upstream


async def test_a_500_after_sending_is_not_retried(fake_time: FakeTime) -> None:
    rig = Rig(create_app(EmulatorConfig(faults=Faults(write_faults={"*": ["500", "500"]}))), fake_time)
    async with rig.client(Person("accept")) as client:
        error = data(await client.call_tool("add_observation", OBSERVE))["error"]
    assert error["code"] == "outcome_unknown" and error["http_status"] == 500
    assert rig.writes() == ["500"]


async def test_a_429_is_retried_and_the_write_lands_once(fake_time: FakeTime) -> None:
    rig = Rig(create_app(EmulatorConfig(faults=Faults(write_faults={"*": ["429"]}))), fake_time)
    async with rig.client(Person("accept")) as client:
        result = await client.call_tool("add_observation", OBSERVE)
        assert data(result)["outcome"] == "written"
        assert (await observations(client)).count(NOTE) == 1
    assert rig.writes() == ["429", "applied"]
    assert fake_time.sleeps  # it waited for Retry-After


async def test_a_write_on_a_merged_profile_lands_on_the_canonical_one(rig: Rig) -> None:
    async with rig.client(Person("accept")) as client:
        args = {"profile_id": IDS.merged_profile_id, "content": NOTE}
        answer = data(await client.call_tool("add_observation", args))
        assert answer["outcome"] == "written"
        assert (answer["requested_profile_id"], answer["profile_id"]) == (
            IDS.merged_profile_id,
            IDS.canonical_profile_id,
        )
        assert NOTE in await observations(client, IDS.canonical_profile_id)


async def test_deleting_a_trait_is_shown_in_the_form_and_done(rig: Rig) -> None:
    person = Person("accept")
    async with rig.client(person) as client:
        traits = data(await client.call_tool("get_profile", {"profile_id": IDS.profile_id}))["traits"]
        group = next(iter(traits))
        name = next(iter(traits[group]))
        patch = {"profile_id": IDS.profile_id, "traits": {group: {name: None, "channel": "sms"}}}
        answer = data(await client.call_tool("update_profile_traits", patch))
        assert answer["outcome"] == "written"
        assert answer["effects"] == [f"delete trait(s) {group}.{name}"]
        after = data(await client.call_tool("get_profile", {"profile_id": IDS.profile_id}))["traits"]
    assert name not in after[group] and after[group]["channel"] == "sms"
    assert f"This may: delete trait(s) {group}.{name}" in person.asked[0].message


async def test_an_identifier_held_by_another_profile_is_reported_then_merges(rig: Rig) -> None:
    person = Person("accept")
    email = IDS.memory_emails[-2]  # held by the canonical (memory) profile
    async with rig.client(person) as client:
        args = {"profile_id": IDS.profile_id, "id_type": "email", "value": email}
        answer = data(await client.call_tool("add_profile_identifier", args))
        assert answer["outcome"] == "written"
        assert answer["effects"] and IDS.canonical_profile_id in answer["effects"][0]
        assert "merge" in person.asked[0].message and IDS.canonical_profile_id in person.asked[0].message
        found = data(await client.call_tool("lookup_profiles", {"id_type": "email", "value": email}))
    assert len(found["profile_ids"]) == 1


async def test_input_is_checked_against_the_spec_before_anything_is_asked(rig: Rig) -> None:
    person = Person("accept")
    async with rig.client(person) as client:
        bad: list[tuple[str, dict[str, Any]]] = [
            ("add_observation", {**OBSERVE, "content": "x" * 4097}),
            ("add_observation", {**OBSERVE, "source": "bad<source>"}),
            ("add_observation", {**OBSERVE, "occurred_at": "yesterday"}),
            (
                "add_conversation_summary",
                {"profile_id": IDS.profile_id, "content": "x", "conversation_id": "c1"},
            ),
            ("update_profile_traits", {"profile_id": IDS.profile_id, "traits": {"G": {"t": [[1]]}}}),
            (
                "update_profile_traits",
                {"profile_id": IDS.profile_id, "traits": {f"G{i}": {"t": 1} for i in range(51)}},
            ),
            ("add_profile_identifier", {"profile_id": IDS.profile_id, "id_type": "e", "value": "a@b.co"}),
        ]
        for tool, args in bad:
            result = await client.call_tool(tool, args)
            assert result.is_error and data(result)["error"]["code"] == "invalid_argument", (tool, args)
    assert person.asked == [] and rig.writes() == []


async def test_under_redaction_a_masked_value_is_refused_and_the_form_is_masked(rig: Rig) -> None:
    person = Person("accept")
    async with rig.client(person, redact=True) as client:
        masked = data(await client.call_tool("list_profile_identifiers", {"profile_id": IDS.profile_id}))
        value = json.dumps(masked)
        mask = value[value.index("***") - 1 : value.index("#", value.index("***")) + 7]
        refused = await client.call_tool("add_observation", {**OBSERVE, "content": f"email {mask}"})
        assert data(refused)["error"]["code"] == "invalid_argument"
        assert "redaction mask" in data(refused)["error"]["message"]
        answer = data(
            await client.call_tool("add_observation", {**OBSERVE, "content": "mail me at jane@example.com"})
        )
    assert "jane@example.com" not in json.dumps(answer)
    assert "jane@example.com" not in person.asked[0].message
    assert rig.writes() == ["applied"]  # the real address was written; only the view is masked


async def test_every_write_attempt_is_audited_with_a_hash_never_the_content(rig: Rig, tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    async with rig.client(Person("accept"), audit_log=str(audit)) as client:
        await client.call_tool("add_observation", {**OBSERVE, "occurred_at": "2026-12-04T18:00:00Z"})
    async with rig.client(Person("decline"), audit_log=str(audit)) as client:
        await client.call_tool("add_observation", OBSERVE)
    async with rig.client(None, audit_log=str(audit)) as client:
        await client.call_tool("add_observation", OBSERVE)
    text = audit.read_text()
    assert NOTE not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert [(line["outcome"], line["consent"], line["consent_answer"]) for line in lines] == [
        ("written", "elicit", "accept"),
        ("declined", "elicit", "decline"),
        ("confirmation_unavailable", "elicit", "not_asked"),
    ]
    body = json.dumps(
        {
            "observations": [
                {"content": NOTE, "source": "twilio-memory-mcp", "occurredAt": "2026-12-04T18:00:00Z"}
            ]
        },
        separators=(",", ":"),
    ).encode()
    assert lines[0]["content_sha256"] == hashlib.sha256(body).hexdigest()
    assert lines[0]["tool"] == "add_observation" and lines[0]["profile_id"] == IDS.profile_id


async def test_the_default_deployment_lists_no_write_tool(rig: Rig) -> None:
    async with rig.client(None, enabled_toolsets=None) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
    assert names and not names & WRITE_TOOLS


async def test_write_tools_carry_their_annotations_and_short_descriptions(rig: Rig) -> None:
    async with rig.client(None) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools if tool.name in WRITE_TOOLS}
    assert set(tools) == WRITE_TOOLS
    for name, tool in tools.items():
        hints = tool.annotations
        assert hints is not None and hints.read_only_hint is False, name
        assert hints.destructive_hint is (name in {"update_profile_traits", "add_profile_identifier"}), name
        assert hints.idempotent_hint is (name == "update_profile_traits"), name
        assert "dry_run" in tool.input_schema["properties"], name
        assert "consent" not in tool.input_schema["properties"], name
        model_view = {"name": name, "description": tool.description, "inputSchema": tool.input_schema}
        size = len(json.dumps(model_view, separators=(",", ":")))
        assert size <= 2048, (name, size)  # the model reads it every turn (issue 17)
    assert "DELETES" in (tools["update_profile_traits"].description or "")
    assert "MERGE" in (tools["add_profile_identifier"].description or "")


@pytest.mark.parametrize(
    "value", ["jane@example.com", "+13175550142", "(317) 555-0142", "acct-1234567", "abc"]
)
def test_every_mask_the_redactor_writes_is_recognised(value: str) -> None:
    mask = Redactor(True).mask(value)
    assert holds_mask(mask) and holds_mask(f"write {mask} please")
    assert not holds_mask(value)


@pytest.mark.parametrize(("raw", "mode"), [("", "elicit"), ("elicit", "elicit"), (" HOST ", "host")])
def test_the_consent_setting_reads_elicit_or_host(raw: str, mode: str) -> None:
    assert load_settings({"TWILIO_MEMORY_WRITE_CONFIRM": raw}).write_confirm == mode


@pytest.mark.parametrize("raw", ["never", "none", "0", "auto"])
def test_no_setting_skips_confirmation(raw: str) -> None:
    with pytest.raises(SettingsError, match="no setting that skips confirmation"):
        load_settings({"TWILIO_MEMORY_WRITE_CONFIRM": raw})


def test_a_write_tool_named_without_the_write_toolset_refuses_to_start() -> None:
    with pytest.raises(ToolSelectionError, match="TWILIO_MEMORY_TOOLSETS names their toolset"):
        enabled_tools(frozenset({"add_observation"}), frozenset({"identity"}))
    with pytest.raises(ToolSelectionError):
        enabled_tools(frozenset({"add_observation"}), None)
    both = enabled_tools(frozenset({"add_observation"}), frozenset({"identity", "write"}))
    assert both >= WRITE_TOOLS
