"""Python ``mcp`` 1.x ClientSession (run by the venv tests/clients/.venv-mcp1, mcp 1.30.0).

It offers 2025-11-25 (types.LATEST_PROTOCOL_VERSION; no option to offer another) and checks
structuredContent against outputSchema on successes only. Same plan and output as the node
drivers (drivers/common.mjs).
"""

import json
import sys
import traceback

import anyio
import httpx
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamablehttp_client


def prepare(control, setup):
    body = {"faults": (setup or {}).get("faults") or {}, "answer": (setup or {}).get("answer")}
    assert httpx.put(control, json=body, timeout=10).status_code == 204


def describe(error):
    return " | ".join(traceback.format_exception_only(type(error), error)).strip()[:500]


async def run_group(group):
    outcome = {"server": group["name"], "version": None, "tools": None, "cases": [], "connectError": None}
    if "url" in group:
        transport = streamablehttp_client(group["url"])
    else:
        params = StdioServerParameters(command=group["command"], args=group["args"], env=group["env"])
        transport = stdio_client(params)
    try:
        async with transport as streams, ClientSession(streams[0], streams[1]) as session:
            initialized = await session.initialize()
            outcome["version"] = initialized.protocolVersion
            listed = await session.list_tools()
            outcome["tools"] = [
                tool.model_dump(by_alias=True, exclude_none=True, mode="json") for tool in listed.tools
            ]
            for case in group["cases"]:
                await anyio.to_thread.run_sync(prepare, group["control"], case.get("setup"))
                try:
                    result = await session.call_tool(case["tool"], case["arguments"])
                    dumped = result.model_dump(by_alias=True, exclude_none=True, mode="json")
                    outcome["cases"].append({"id": case["id"], "outcome": "result", "result": dumped})
                except Exception as error:  # what the application would see
                    outcome["cases"].append({"id": case["id"], "outcome": "threw", "error": describe(error)})
            await anyio.to_thread.run_sync(prepare, group["control"], {})
    except Exception as error:
        if outcome["tools"] is None:
            outcome["connectError"] = describe(error)
        else:
            outcome["closeError"] = describe(error)
    return outcome


async def main():
    with open(sys.argv[1]) as file:
        plan = json.load(file)
    groups = [await run_group(group) for group in plan["groups"]]
    sys.stdout.write(json.dumps({"groups": groups}) + "\n")


anyio.run(main)
