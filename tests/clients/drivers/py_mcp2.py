"""Python ``mcp`` 2.x Client (the project's own venv). ``mode="legacy"`` runs the initialize
handshake at 2025-11-25; ``mode="2026-07-28"`` pins the sessionless protocol. Successes are
checked against outputSchema, errors are not. Same plan and output as drivers/common.mjs.
"""

import json
import sys
import traceback

import anyio
import httpx2
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client


def prepare(control, setup):
    body = {"faults": (setup or {}).get("faults") or {}, "answer": (setup or {}).get("answer")}
    assert httpx2.put(control, json=body, timeout=10).status_code == 204


def describe(error):
    return " | ".join(traceback.format_exception_only(type(error), error)).strip()[:500]


async def run_group(group, version):
    outcome = {"server": group["name"], "version": None, "tools": None, "cases": [], "connectError": None}
    mode = "2026-07-28" if version == "2026-07-28" else "legacy"
    if "url" in group:
        target = streamable_http_client(group["url"])
    else:
        target = StdioServerParameters(command=group["command"], args=group["args"], env=group["env"])
    try:
        async with Client(target, mode=mode) as client:
            outcome["version"] = client.protocol_version
            listed = await client.list_tools()
            outcome["tools"] = [
                tool.model_dump(by_alias=True, exclude_none=True, mode="json") for tool in listed.tools
            ]
            for case in group["cases"]:
                await anyio.to_thread.run_sync(prepare, group["control"], case.get("setup"))
                try:
                    result = await client.call_tool(case["tool"], case["arguments"])
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
    groups = [await run_group(group, plan["version"]) for group in plan["groups"]]
    sys.stdout.write(json.dumps({"groups": groups}) + "\n")


anyio.run(main)
