"""The write toolset through real clients with elicitation, against the real console script
(issue 19): Python mcp 2.x (both eras), the TypeScript SDK 1.x client (2025-11-25) and the
TypeScript client 2.x (2026-07-28 and 2025-11-25), each over stdio.

The console script's upstream is a served emulator whose write faults each case sets through
its admin endpoint; after a run, the emulator's write log says exactly which writes reached it,
so "a timeout after sending is not retried" is counted where it happens. Each run: accept
(then recalled), decline, cancel, dry_run, a timeout after receipt, a 429, a merged profile,
a client without elicitation, and host mode.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio.to_thread
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp import types as mt

from emulator import create_app, default_examples, serve_in_background
from tests.support.client_matrix import DRIVERS
from tests.support.console import SCRIPT, clean_environment

pytestmark = [pytest.mark.clients, pytest.mark.anyio]

IDS = default_examples()
AUTH = "Basic " + base64.b64encode(f"{IDS.api_key}:{IDS.api_secret}".encode()).decode()
TIMEOUT = 180


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def emulator() -> AsyncIterator[str]:
    async with serve_in_background(create_app()) as url:
        yield url


def server(url: str, **more: str) -> dict[str, Any]:
    env = clean_environment(
        TWILIO_API_KEY=IDS.api_key,
        TWILIO_API_SECRET=IDS.api_secret,
        TWILIO_MEMORY_BASE_URL=url,
        TWILIO_MEMORY_STORE_ID=IDS.store_id,
        TWILIO_MEMORY_TOOLSETS="identity,context,write",
        TWILIO_MEMORY_ATTEMPT_TIMEOUT="3",
        TWILIO_MEMORY_DEADLINE="20",
        **more,
    )
    return {"command": SCRIPT, "args": [], "env": env}


def plan(url: str, version: str, note: str) -> dict[str, Any]:
    observe = {"profile_id": IDS.profile_id, "content": note}
    # Held 10 s, three times the attempt timeout: long enough to time out on a busy machine, and
    # short enough that the served emulator's shutdown, which waits for it, costs little.
    timeout = {"write_faults": {"*": ["timeout"]}, "write_hold": 10}
    elicit_cases = [
        {"id": "accept", "tool": "add_observation", "arguments": observe, "answer": "accept"},
        {
            "id": "recall",
            "tool": "list_observations",
            "arguments": {"profile_id": IDS.profile_id, "page_size": 50},
        },
        {"id": "decline", "tool": "add_observation", "arguments": observe, "answer": "decline"},
        {"id": "cancel", "tool": "add_observation", "arguments": observe, "answer": "cancel"},
        {
            "id": "dry_run",
            "tool": "add_observation",
            "arguments": {**observe, "dry_run": True},
            "answer": "accept",
        },
        {
            "id": "timeout",
            "tool": "add_observation",
            "arguments": observe,
            "answer": "accept",
            "faults": timeout,
        },
        {
            "id": "rate_limited",
            "tool": "add_observation",
            "arguments": observe,
            "answer": "accept",
            "faults": {"write_faults": {"*": ["429"]}},
        },
        {
            "id": "merged",
            "tool": "add_observation",
            "arguments": {**observe, "profile_id": IDS.merged_profile_id},
            "answer": "accept",
        },
    ]
    return {
        "admin": {"url": f"{url}/_emulator/faults", "authorization": AUTH},
        "sessions": [
            {
                "name": "elicit",
                "version": version,
                "elicitation": True,
                "server": server(url),
                "cases": elicit_cases,
            },
            {
                "name": "no-elicitation",
                "version": version,
                "elicitation": False,
                "server": server(url),
                "cases": [{"id": "unavailable", "tool": "add_observation", "arguments": observe}],
            },
            {
                "name": "host",
                "version": version,
                "elicitation": True,
                "server": server(url, TWILIO_MEMORY_WRITE_CONFIRM="host"),
                "cases": [
                    {"id": "host", "tool": "add_observation", "arguments": observe, "answer": "decline"}
                ],
            },
        ],
    }


async def run_python(the_plan: dict[str, Any], mode: str) -> dict[str, Any]:
    """The plan through mcp 2.x's own Client over stdio, as the node driver runs it."""
    sessions = []
    async with httpx2.AsyncClient(timeout=30) as admin:
        for session in the_plan["sessions"]:
            state: dict[str, Any] = {"asked": [], "answer": None}

            async def person(
                context: Any, params: mt.ElicitRequestParams, state: dict[str, Any] = state
            ) -> Any:
                state["asked"].append(params.message)
                if state["answer"] == "accept":
                    return mt.ElicitResult(action="accept", content={"confirm": True})
                return mt.ElicitResult(action=state["answer"] or "cancel")

            parameters = StdioServerParameters(**session["server"])
            callback = person if session["elicitation"] else None
            outcome: dict[str, Any] = {"name": session["name"], "cases": []}
            async with Client(parameters, elicitation_callback=callback, mode=mode) as client:
                outcome["version"] = client.protocol_version
                for case in session["cases"]:
                    response = await admin.put(
                        the_plan["admin"]["url"],
                        json=case.get("faults") or {},
                        headers={"Authorization": AUTH},
                    )
                    assert response.status_code == 200
                    state["asked"], state["answer"] = [], case.get("answer")
                    result = await client.call_tool(case["tool"], case["arguments"])
                    dumped = result.model_dump(mode="json", by_alias=True, exclude_none=True)
                    outcome["cases"].append({"id": case["id"], "result": dumped, "asked": state["asked"]})
            await admin.put(the_plan["admin"]["url"], json={}, headers={"Authorization": AUTH})
            sessions.append(outcome)
    return {"sessions": sessions}


def run_node(client: str, the_plan: dict[str, Any], node_bin: Path, tmp: Path) -> dict[str, Any]:
    path = tmp / "writes-plan.json"
    path.write_text(json.dumps(the_plan))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    env |= {"PATH": f"{node_bin}{os.pathsep}{env.get('PATH', '')}", "HOME": str(tmp)}
    done = subprocess.run(
        [str(node_bin / "node"), str(DRIVERS / "writes.mjs"), client, str(path)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=env,
        cwd=DRIVERS.parent,
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise AssertionError(f"writes.mjs {client} exited {done.returncode}:\n{done.stderr[-4000:]}")
    outcome: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return outcome


def cases_of(outcome: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = {}
    for session in outcome["sessions"]:
        assert not session.get("connectError"), session
        for case in session["cases"]:
            assert "error" not in case, case  # the client returned the result, it did not throw
            found[case["id"]] = case
    return found


def structured(case: dict[str, Any]) -> dict[str, Any]:
    content: dict[str, Any] = case["result"].get("structuredContent")
    assert isinstance(content, dict), case
    return content


async def writes_received(url: str) -> list[str]:
    async with httpx2.AsyncClient() as http:
        response = await http.get(f"{url}/_emulator/writes", headers={"Authorization": AUTH})
    return [write["outcome"] for write in response.json()["writes"]]


async def check(outcome: dict[str, Any], url: str, note: str, version: str) -> None:
    assert [session["version"] for session in outcome["sessions"]] == [version] * 3
    cases = cases_of(outcome)
    accepted = structured(cases["accept"])
    assert accepted["outcome"] == "written" and accepted["confirmed_by"] == "person", accepted
    [shown] = cases["accept"]["asked"]
    assert note in shown and IDS.profile_id in shown
    recalled = [o["content"] for o in structured(cases["recall"])["observations"]]
    assert recalled.count(note) == 1  # written once, then read back
    for refused in ("decline", "cancel"):
        assert structured(cases[refused])["outcome"] == "declined", cases[refused]
        assert len(cases[refused]["asked"]) == 1
    dry = structured(cases["dry_run"])
    assert dry["outcome"] == "dry_run" and dry["request"]["body"]["observations"][0]["content"] == note
    assert cases["dry_run"]["asked"] == []
    unknown = cases["timeout"]["result"]
    assert unknown["isError"] is True and "(outcome_unknown)" in unknown["content"][0]["text"]
    assert structured(cases["rate_limited"])["outcome"] == "written"
    merged = structured(cases["merged"])
    assert (merged["requested_profile_id"], merged["profile_id"]) == (
        IDS.merged_profile_id,
        IDS.canonical_profile_id,
    )
    unavailable = cases["unavailable"]["result"]
    assert (
        unavailable["isError"] is True and "(confirmation_unavailable)" in unavailable["content"][0]["text"]
    )
    assert "TWILIO_MEMORY_WRITE_CONFIRM" in unavailable["content"][0]["text"]
    host = structured(cases["host"])
    assert host["outcome"] == "written" and host["confirmed_by"] == "host" and cases["host"]["asked"] == []
    # Every write that reached the emulator, in order: the timeout reached it once and was
    # not sent again; the 429 was sent again once; nothing for decline, cancel, dry run or
    # the client that could not be asked.
    assert await writes_received(url) == ["applied", "timeout", "429", "applied", "applied", "applied"]


@pytest.mark.parametrize(("mode", "version"), [("auto", "2026-07-28"), ("legacy", "2025-11-25")])
async def test_python_mcp2_client(emulator: str, mode: str, version: str) -> None:
    note = f"Prefers SMS after 6 pm ({uuid.uuid4().hex[:8]})"
    outcome = await run_python(plan(emulator, version, note), mode)
    await check(outcome, emulator, note, version)


@pytest.mark.parametrize(
    ("client", "version"),
    [("ts-sdk-1", "2025-11-25"), ("ts-client-2", "2026-07-28"), ("ts-client-2", "2025-11-25")],
)
async def test_typescript_clients(
    emulator: str, client: str, version: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    node_bin = request.getfixturevalue("node_bin")
    note = f"Prefers SMS after 6 pm ({uuid.uuid4().hex[:8]})"
    outcome = await anyio_run_node(client, plan(emulator, version, note), node_bin, tmp_path)
    await check(outcome, emulator, note, version)


async def anyio_run_node(client: str, the_plan: dict[str, Any], node_bin: Path, tmp: Path) -> dict[str, Any]:
    """The driver in a worker thread: the emulator it talks to is served by this event loop."""
    return await anyio.to_thread.run_sync(run_node, client, the_plan, node_bin, tmp)


async def test_sandbox_with_the_write_toolset_confirms_then_recalls() -> None:
    """The issue's "done when": --sandbox, TOOLSETS=identity,context,write, a client accepting
    the form adds an observation and then recalls it."""
    note = f"Sandbox: prefers SMS after 6 pm ({uuid.uuid4().hex[:8]})"
    shown: list[str] = []

    async def person(context: Any, params: mt.ElicitRequestParams) -> mt.ElicitResult:
        shown.append(params.message)
        return mt.ElicitResult(action="accept", content={"confirm": True})

    env = clean_environment(TWILIO_MEMORY_TOOLSETS="identity,context,write")
    parameters = StdioServerParameters(command=SCRIPT, args=["--sandbox"], env=env)
    async with Client(parameters, elicitation_callback=person) as client:
        written = await client.call_tool("add_observation", {"profile_id": IDS.profile_id, "content": note})
        query = {"profile_id": IDS.profile_id, "query": note, "observations_limit": 3}
        recalled = await client.call_tool("recall_memories", query)
    assert written.structured_content is not None and written.structured_content["outcome"] == "written"
    assert len(shown) == 1 and note in shown[0]
    assert recalled.structured_content is not None
    assert note in [item["content"] for item in recalled.structured_content["observations"]]
