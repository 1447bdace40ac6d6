"""``twilio-memory-mcp demo``: see the server work end to end, with no Twilio account.

It starts the emulator on a loopback port, starts the real server as a subprocess over stdio
pointed at it (the write toolset on: TWILIO_MEMORY_TOOLSETS=identity,context,write), connects
with the MCP client, and walks through eight steps. Each step checks what it shows; the exit
status is 0 only when every step behaved as expected. The client stands in for the person: it
shows each confirmation form it is sent and accepts it.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio
from mcp import Client
from mcp import types as mt
from mcp.client.stdio import StdioServerParameters
from mcp.types import CallToolResult
from starlette.types import ASGIApp, Receive, Scope, Send

from emulator import EmulatorState, SeedExamples, create_app, default_examples, serve_in_background

TOOL = "get_profile_identifiers"
WRITE_TOOLS = (
    "add_observation",
    "add_conversation_summary",
    "update_profile_traits",
    "add_profile_identifier",
)
NOTE = "Prefers SMS after 6 pm; asked not to be called at work."


class RequestCounter:
    """Counts the requests that reach the emulator, to show what never left the server."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.count = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith("/_emulator"):
            self.count += 1
        await self.app(scope, receive, send)


@dataclass
class Demo:
    client: Client
    emulator: EmulatorState
    counter: RequestCounter
    ids: SeedExamples
    forms: list[str]

    async def call(self, arguments: dict[str, Any], tool: str = TOOL) -> CallToolResult:
        return await self.client.call_tool(tool, {"store_id": self.ids.store_id, **arguments})


Step = Callable[[Demo], Awaitable[bool]]


def run_demo() -> int:
    return anyio.run(_main)


async def _main() -> int:
    ids = default_examples()
    app = create_app()
    state: EmulatorState = app.state.emulator
    counter = RequestCounter(app)
    async with serve_in_background(counter) as base_url:  # type: ignore[arg-type]
        _say(f"Emulator (fake data) on {base_url}; starting the server over stdio: python -m server\n")
        server = StdioServerParameters(
            command=sys.executable,
            args=["-m", "server"],
            env={
                "TWILIO_MEMORY_BASE_URL": base_url,
                "TWILIO_API_KEY": ids.api_key,
                "TWILIO_API_SECRET": ids.api_secret,
                "TWILIO_MEMORY_LOG_LEVEL": os.environ.get("TWILIO_MEMORY_LOG_LEVEL", "WARNING"),
                "TWILIO_MEMORY_TOOLSETS": "identity,context,write",
            },
        )
        forms: list[str] = []

        async def person(context: Any, params: mt.ElicitRequestParams) -> mt.ElicitResult:
            """The demo's stand-in for the person: show the form, accept it."""
            forms.append(params.message)
            for line in params.message.splitlines():
                _say("   | " + line)
            _say("   (the demo client accepts the form)")
            return mt.ElicitResult(action="accept", content={"confirm": True})

        async with Client(server, elicitation_callback=person) as client:
            demo = Demo(client, state, counter, ids, forms)
            results = []
            for number, step in enumerate(STEPS, 1):
                _say(f"{number}. {(step.__doc__ or '').strip()}")
                passed = await step(demo)
                _say("   [ok]\n" if passed else "   [FAILED]\n")
                results.append(passed)
    _say(f"{sum(results)} of {len(results)} steps behaved as expected.")
    return 0 if all(results) else 1


async def tools_list(demo: Demo) -> bool:
    """tools/list: what an assistant sees (the write tools are there because the demo asks for them)."""
    tools = (await demo.client.list_tools()).tools
    for tool in tools:
        hints = tool.annotations
        read_only = bool(hints and hints.read_only_hint)
        destructive = bool(hints and hints.destructive_hint)
        _say(f"   {tool.name:26} read-only={read_only!s:5} destructive={destructive!s:5}")
    return any(tool.name == TOOL for tool in tools) and all(
        tool.annotations is not None and tool.annotations.read_only_hint is (tool.name not in WRITE_TOOLS)
        for tool in tools
    )


async def plain_fetch(demo: Demo) -> bool:
    """A plain fetch: the email addresses on a profile, oldest first."""
    result = await demo.call({"profile_id": demo.ids.profile_id, "id_type": "email"})
    data = _show(result)
    return not result.is_error and bool(data["values"]) and data["profile_id"] == demo.ids.profile_id


async def merged_profile(demo: Demo) -> bool:
    """A merged profile: asked for one id, answered by its canonical profile."""
    result = await demo.call({"profile_id": demo.ids.merged_profile_id, "id_type": "email"})
    data = _show(result)
    return (
        not result.is_error
        and data["requested_profile_id"] == demo.ids.merged_profile_id
        and data["profile_id"] == demo.ids.canonical_profile_id
    )


async def not_found(demo: Demo) -> bool:
    """A profile that does not exist: a not_found error the model can act on."""
    result = await demo.call({"profile_id": demo.ids.missing_profile_id, "id_type": "email"})
    data = _show(result)
    return bool(result.is_error) and data["error"]["code"] == "not_found"


async def invalid_id(demo: Demo) -> bool:
    """An invalid profile id: rejected by the server before the network."""
    before = demo.counter.count
    result = await demo.call({"profile_id": "+1 317 555 0100", "id_type": "email"})
    data = _show(result)
    sent = demo.counter.count - before
    _say(f"   requests that reached the emulator: {sent}")
    return bool(result.is_error) and data["error"]["code"] == "invalid_argument" and sent == 0


async def rate_limited(demo: Demo) -> bool:
    """A 429 with Retry-After: 1, waited out and retried to success."""
    demo.emulator.faults.retry_after = 1
    demo.emulator.faults.rate_limit_next = 1
    before = demo.counter.count
    result = await demo.call({"profile_id": demo.ids.profile_id, "id_type": "phone"})
    data = _show(result)
    sent = demo.counter.count - before
    _say(f"   requests that reached the emulator: {sent} (the 429, then the retry)")
    return not result.is_error and sent == 2 and bool(data["values"])


async def merged_recall(demo: Demo) -> bool:
    """Recall on a merged profile: a 308, re-sent to the canonical profile, which holds its memories."""
    arguments = {
        "profile_id": demo.ids.merged_profile_id,
        "query": "missing invoice PDF",
        "conversation_id": demo.ids.merged_conversation_id,
        "observations_limit": 2,
        "summaries_limit": 1,
        "communications_limit": 2,
    }
    before = demo.counter.count
    result = await demo.call(arguments, tool="recall_memories")
    data = _show(result)
    sent = demo.counter.count - before
    _say(f"   requests that reached the emulator: {sent} (the 308, then the same POST re-sent)")
    if result.is_error:
        return False
    merged = demo.ids.merged_conversation_id
    return (
        sent == 2
        and data["requested_profile_id"] == demo.ids.merged_profile_id
        and data["profile_id"] == demo.ids.canonical_profile_id
        and data["ranked"] is True
        and merged in data["observations"][0]["conversation_ids"]  # the best match is the merged one's
        and len(data["communications"]) == 2
    )


async def confirmed_write(demo: Demo) -> bool:
    """A write the person confirms (the form shows exactly what), then recalled."""
    before = demo.counter.count
    arguments = {"profile_id": demo.ids.profile_id, "content": NOTE}
    result = await demo.call(arguments, tool="add_observation")
    data = _show(result)
    sent = demo.counter.count - before
    _say(f"   requests that reached the emulator: {sent} (one write)")
    recalled = await demo.call(
        {"profile_id": demo.ids.profile_id, "query": "SMS after 6 pm", "observations_limit": 3},
        tool="recall_memories",
    )
    contents = [item["content"] for item in (recalled.structured_content or {}).get("observations", [])]
    _say(f"   recall_memories then finds it: {NOTE in contents}")
    return (
        not result.is_error
        and data["outcome"] == "written"
        and data["confirmed_by"] == "person"
        and sent == 1
        and len(demo.forms) == 1
        and NOTE in demo.forms[0]
        and NOTE in contents
    )


STEPS: list[Step] = [
    tools_list,
    plain_fetch,
    merged_profile,
    not_found,
    invalid_id,
    rate_limited,
    merged_recall,
    confirmed_write,
]


def _show(result: CallToolResult) -> dict[str, Any]:
    data: dict[str, Any] = result.structured_content or {}
    for line in json.dumps(data, indent=2).splitlines():
        _say("   " + line)
    return data


def _say(text: str) -> None:
    print(text, flush=True)
