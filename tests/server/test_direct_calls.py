"""server/direct_calls.py answers a read tool's call as the SDK's own path would, byte for byte.

The same conversations, in process over the SDK's ``Server.run``, against a server that answers
read tools' calls itself and one that leaves them to the SDK: on every protocol version, for
every read tool, answers and errors, refused arguments, a crash, a call before the handshake.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import anyio
import httpx2
import pytest
from mcp.server.mcpserver import MCPServer
from mcp.shared.message import SessionMessage
from mcp_types import JSONRPCNotification, JSONRPCRequest

from emulator import create_app
from memory.client import MemoryApiClient
from server import direct_calls
from server.direct_calls import DirectCalls
from server.mcp_server import build_server
from tests.support.console import HANG_GUARD
from tests.support.emulated import IDS, emulator_settings
from tests.support.raw_client import CLIENT_INFO, HANDSHAKE_VERSIONS, MODERN_VERSION, VERSIONS

pytestmark = pytest.mark.anyio

PROFILE = {"profile_id": IDS.profile_id}
MEMORIES = {"profile_id": IDS.memory_profile_id}
# (tool, arguments): answers, Twilio's errors and refused arguments, for each read tool.
CALLS: list[tuple[str, dict[str, Any]]] = [
    ("get_profile_identifiers", PROFILE | {"id_type": "email"}),
    ("get_profile_identifiers", {"profile_id": IDS.missing_profile_id, "id_type": "email"}),
    ("get_profile_identifiers", {"store_id": IDS.other_account_store_id} | PROFILE | {"id_type": "email"}),
    ("get_profile_identifiers", PROFILE | {"id_type": "email", "extra": 1}),  # ignored, as by the SDK
    ("list_profile_identifiers", {"profile_id": IDS.merged_profile_id}),
    ("lookup_profiles", {"id_type": "email", "value": "nobody@example.com"}),
    ("get_profile", PROFILE),
    ("recall_memories", MEMORIES | {"query": "billing", "conversation_id": IDS.memory_conversation_id}),
    ("list_observations", {"profile_id": IDS.paged_profile_id, "page_size": 2}),
    ("list_conversation_summaries", MEMORIES),
]
# Arguments the tools' schemas refuse: the SDK's to answer (and ArgumentCheck's to explain).
REFUSED: list[tuple[str, dict[str, Any]]] = [
    ("get_profile_identifiers", {"profile_id": "mem_profile_x", "id_type": "e"}),
    ("get_profile_identifiers", {"id_type": "email"}),
    ("get_profile", PROFILE | {"trait_groups": ["no such group!"]}),
    ("recall_memories", MEMORIES | {"begin_date": "2025-01-31 23:59:59Z"}),
]
MODERN_META = {
    "io.modelcontextprotocol/protocolVersion": MODERN_VERSION,
    "io.modelcontextprotocol/clientCapabilities": {},
    "io.modelcontextprotocol/clientInfo": CLIENT_INFO,
}


def server(direct: bool, monkeypatch: pytest.MonkeyPatch) -> MCPServer[Any]:
    with monkeypatch.context() as patch:
        if not direct:
            patch.setattr(direct_calls, "install", lambda server, tools: False)
        built = build_server(emulator_settings(), transport=httpx2.ASGITransport(app=create_app()))
    assert any(isinstance(step, DirectCalls) for step in built.middleware) is direct
    return built


def tool_call(number: int, version: str, name: str, arguments: Any) -> JSONRPCRequest:
    params: dict[str, Any] = {"name": name, "arguments": arguments}
    if version == MODERN_VERSION:
        params["_meta"] = MODERN_META
    return JSONRPCRequest(jsonrpc="2.0", id=number, method="tools/call", params=params)


def opening(version: str) -> Iterator[JSONRPCRequest | JSONRPCNotification]:
    if version != MODERN_VERSION:
        initialize = {"protocolVersion": version, "capabilities": {}, "clientInfo": CLIENT_INFO}
        yield JSONRPCRequest(jsonrpc="2.0", id=0, method="initialize", params=initialize)
        yield JSONRPCNotification(jsonrpc="2.0", method="notifications/initialized")


async def conversation(
    built: MCPServer[Any], messages: list[JSONRPCRequest | JSONRPCNotification]
) -> list[str]:
    """Each message in turn (a request waits for its answer); the answers, as JSON text."""
    lowlevel = built._lowlevel_server
    to_server, server_reads = anyio.create_memory_object_stream[SessionMessage | Exception](10)
    server_writes, from_server = anyio.create_memory_object_stream[SessionMessage](10)
    answers: list[str] = []
    with server_reads, server_writes, from_server, anyio.fail_after(HANG_GUARD):
        async with anyio.create_task_group() as tg:
            tg.start_soon(lowlevel.run, server_reads, server_writes, lowlevel.create_initialization_options())
            async with to_server:
                for message in messages:
                    await to_server.send(SessionMessage(message))
                    if isinstance(message, JSONRPCRequest):
                        answer = await from_server.receive()
                        answers.append(answer.message.model_dump_json(by_alias=True, exclude_unset=True))
    return answers


async def both(
    messages: list[JSONRPCRequest | JSONRPCNotification], monkeypatch: pytest.MonkeyPatch
) -> list[str]:
    """The answers of both servers, which must be the same; the direct server's."""
    direct = await conversation(server(True, monkeypatch), messages)
    sdk = await conversation(server(False, monkeypatch), messages)
    assert direct == sdk
    return direct


@pytest.mark.parametrize("version", VERSIONS)
async def test_every_read_tool_answers_as_the_sdk_would(
    version: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = CALLS + REFUSED
    calls = [tool_call(n, version, name, arguments) for n, (name, arguments) in enumerate(asked, 1)]
    answers = await both([*opening(version), *calls], monkeypatch)
    results = [json.loads(answer)["result"] for answer in answers[-len(asked) :]]
    # The conversation covers what it means to: answers, Twilio's errors, refused arguments.
    codes = [result.get("structuredContent", {}).get("error", {}).get("code") for result in results]
    assert codes == [None, "not_found", "permission_denied", *[None] * 7, *["invalid_argument"] * 4]
    assert ("resultType" in results[0]) is (version == MODERN_VERSION)


@pytest.mark.parametrize("version", [HANDSHAKE_VERSIONS[-1], MODERN_VERSION])
async def test_a_crash_is_answered_as_the_sdk_would(version: str, monkeypatch: pytest.MonkeyPatch) -> None:
    async def crash(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the secret text of a crash")

    monkeypatch.setattr(MemoryApiClient, "fetch_profile_identifier", crash)
    call = tool_call(1, version, "get_profile_identifiers", PROFILE | {"id_type": "email"})
    [*_, answer] = await both([*opening(version), call], monkeypatch)
    result = json.loads(answer)["result"]
    assert result["isError"] is True
    assert result["content"] == [{"type": "text", "text": "Error executing tool get_profile_identifiers"}]


@pytest.mark.parametrize(
    ("version", "extra"),
    [
        (HANDSHAKE_VERSIONS[0], {"inputResponses": "garbage"}),
        (HANDSHAKE_VERSIONS[-1], {"inputResponses": "garbage"}),
        (MODERN_VERSION, {"task": "x"}),
        (MODERN_VERSION, {"task": {"ttl": "x"}}),
        (MODERN_VERSION, {"requestState": "opaque", "inputResponses": {}}),
        (MODERN_VERSION, {"_meta": None}),
    ],
)
async def test_params_beyond_a_read_are_the_sdks_to_judge(
    version: str, extra: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The version's surface ignores fields its schema lacks, which the SDK's params model
    # still checks (review of this round): such calls are the SDK's, refused or answered.
    call = tool_call(1, version, "get_profile", PROFILE)
    assert call.params is not None
    call.params.update(extra)
    await both([*opening(version), call], monkeypatch)


@pytest.mark.parametrize(
    ("version", "meta"),
    [
        (HANDSHAKE_VERSIONS[-1], {"progressToken": {"x": 1}}),
        (MODERN_VERSION, MODERN_META | {"io.modelcontextprotocol/logLevel": "bogus"}),
    ],
)
async def test_params_the_spec_refuses_are_explained(
    version: str, meta: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Refused alike on both paths, and RequestCheck names what was wrong (review of this round).
    call = tool_call(1, version, "get_profile", PROFILE)
    assert call.params is not None
    call.params["_meta"] = meta
    [*_, answer] = await both([*opening(version), call], monkeypatch)
    error = json.loads(answer)["error"]
    assert error["code"] == -32602
    assert "params._meta" in error["message"], error


async def test_a_crash_logs_as_the_sdk_logs_it(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def crash(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the secret text of a crash")

    monkeypatch.setattr(MemoryApiClient, "fetch_profile_identifier", crash)
    version = HANDSHAKE_VERSIONS[-1]
    call = tool_call(1, version, "get_profile_identifiers", PROFILE | {"id_type": "email"})
    logged = []
    for direct in (True, False):
        caplog.clear()
        with caplog.at_level(logging.DEBUG):
            await conversation(server(direct, monkeypatch), [*opening(version), call])
        [record] = [r for r in caplog.records if r.name.startswith("mcp.") and r.levelno >= logging.ERROR]
        assert record.exc_info is not None
        error = record.exc_info[1]
        assert error is not None
        logged.append((record.name, record.getMessage(), type(error), str(error), type(error.__cause__)))
    assert logged[0] == logged[1]


async def test_a_call_before_the_handshake_is_the_sdks_to_refuse(monkeypatch: pytest.MonkeyPatch) -> None:
    call = tool_call(1, HANDSHAKE_VERSIONS[-1], "get_profile_identifiers", PROFILE | {"id_type": "email"})
    [answer] = await both([call], monkeypatch)
    assert json.loads(answer)["error"]["code"] == -32602


async def test_read_tools_are_answered_here_and_writes_by_the_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    # With the SDK we install, the read tools' calls never reach its tools/call handler.
    reached: list[str] = []
    handler = MCPServer._handle_call_tool

    async def counted(self: MCPServer[Any], ctx: Any, params: Any) -> Any:
        reached.append(params.name)
        return await handler(self, ctx, params)

    monkeypatch.setattr(MCPServer, "_handle_call_tool", counted)
    version = HANDSHAKE_VERSIONS[-1]
    asked = CALLS + REFUSED
    calls = [tool_call(n, version, name, arguments) for n, (name, arguments) in enumerate(asked, 1)]
    await conversation(server(True, monkeypatch), [*opening(version), *calls])
    assert reached == [name for name, _ in REFUSED]
    assert direct_calls.install(MCPServer("probe"), [])
