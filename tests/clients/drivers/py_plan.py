"""What both Python drivers do once connected: run the plan's cases and print the outcome, in
the same shape as drivers/common.mjs. Only the standard library and anyio (every mcp has it),
so it runs under mcp 1.x's venv and the project's alike; each driver brings ``connect``."""

import json
import sys
import traceback
import urllib.request

import anyio


def prepare(control, setup):
    body = {"faults": (setup or {}).get("faults") or {}, "answer": (setup or {}).get("answer")}
    request = urllib.request.Request(
        control, data=json.dumps(body).encode(), method="PUT", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 204


def describe(error):
    return " | ".join(traceback.format_exception_only(type(error), error)).strip()[:500]


async def run_group(group, version, connect):
    """``connect(group, version)``: an async context manager giving (protocol version, client)."""
    outcome = {"server": group["name"], "version": None, "tools": None, "cases": [], "connectError": None}
    try:
        async with connect(group, version) as (spoken, client):
            outcome["version"] = spoken
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


def main(connect):
    async def run():
        with open(sys.argv[1]) as file:
            plan = json.load(file)
        groups = [await run_group(group, plan["version"], connect) for group in plan["groups"]]
        sys.stdout.write(json.dumps({"groups": groups}) + "\n")

    anyio.run(run)
