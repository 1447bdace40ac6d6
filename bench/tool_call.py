"""Server-side cost of one call of each tool, the upstream round trip excluded.

The upstream is an httpx2.MockTransport answering at once with a canned 200 of a typical
size for each operation, so what is timed is the server's own work: argument validation,
the request, body checks, mapping, redaction (off, as by default), the size budget check,
and serialization. Two figures per tool:

- "server": the tools/call handler alone, timed by an outermost middleware (what the
  server adds to a call);
- "round trip": the whole call through the in-memory MCP Client (client and stream
  overhead included, an upper bound).

    .venv/bin/python bench/tool_call.py [--calls 1000] [--tool NAME]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import time
from typing import Any

import anyio
import httpx2
from mcp import Client
from pydantic import SecretStr

from server.mcp_server import build_server
from server.settings import Credentials, Settings

STORE = "mem_store_01kpttrksqe08rhv122gzq52ax"
PROFILE = "mem_profile_01kpttrksqe08rhv122gzq52ax"
CONVERSATION = "conv_conversation_01kpttrksqe08rhv122gzq52ax"
WHEN = "2025-01-15T10:30:45Z"
IDS = {"store_id": STORE, "profile_id": PROFILE}


def observation(n: int) -> dict[str, Any]:
    return {
        "id": f"mem_observation_0{n:025d}",
        "content": f"Observation {n}: the customer asked about a duplicate charge on the March invoice "
        "and prefers text messages after 5pm on weekdays.",
        "source": "conversational-intelligence",
        "occurredAt": WHEN,
        "createdAt": WHEN,
        "updatedAt": WHEN,
        "conversationIds": [CONVERSATION],
        "score": 0.8,
    }


def summary(n: int) -> dict[str, Any]:
    return {
        "id": f"mem_summary_0{n:025d}",
        "conversationId": CONVERSATION,
        "content": f"Summary {n}: customer disputed a duplicate charge; the agent refunded it and agreed "
        "to email receipts.",
        "source": "summary_operator",
        "occurredAt": WHEN,
        "createdAt": WHEN,
        "updatedAt": WHEN,
        "score": 0.7,
    }


# A tool, its arguments, and the upstream body of a typical answer.
CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "get_profile_identifiers": (
        IDS | {"id_type": "email"},
        {"idType": "email", "values": [f"customer{i}@example.com" for i in range(10)]},
    ),
    "get_profile": (
        IDS,
        {
            "id": PROFILE,
            "createdAt": WHEN,
            "traits": {
                "Contact": {
                    "firstName": "Dana",
                    "lastName": "Whitfield",
                    "city": "Austin",
                    "phone": "+15125550104",
                },
                "Billing": {"plan": "Pro", "autopay": True, "openInvoices": 2, "tags": ["vip", "annual"]},
            },
        },
    ),
    "recall_memories": (
        IDS | {"query": "duplicate charge"},
        {
            "observations": [observation(i) for i in range(20)],
            "summaries": [summary(i) for i in range(5)],
            "communications": [],
            "meta": {"queryTime": 120},
        },
    ),
    "list_observations": (
        IDS | {"page_size": 20},
        {
            "observations": [observation(i) for i in range(20)],
            "meta": {"pageSize": 20, "nextToken": "eyJuIjoyMH0"},
        },
    ),
    "list_conversation_summaries": (
        IDS,
        {"summaries": [summary(i) for i in range(10)], "meta": {"pageSize": 50}},
    ),
}


class Stopwatch:
    """Outermost middleware: times each tools/call from arrival to result."""

    def __init__(self) -> None:
        self.samples: list[float] = []

    async def __call__(self, ctx: Any, call_next: Any) -> Any:
        if ctx.method != "tools/call":
            return await call_next(ctx)
        started = time.perf_counter()
        result = await call_next(ctx)
        self.samples.append(time.perf_counter() - started)
        return result


async def measure(tool: str, calls: int) -> None:
    arguments, body = CASES[tool]
    settings = Settings(credentials=Credentials("SKbench", SecretStr("secret"), "bench"))
    encoded = json.dumps(body).encode()  # once: the fake upstream's own work is not the server's
    headers = {"Content-Type": "application/json"}
    transport = httpx2.MockTransport(lambda request: httpx2.Response(200, content=encoded, headers=headers))
    server = build_server(settings, transport=transport)
    stopwatch = Stopwatch()
    server._lowlevel_server.middleware.insert(0, stopwatch)  # bench only: outermost
    round_trips = []
    async with Client(server) as client:
        for _ in range(200):  # warm up
            await client.call_tool(tool, arguments)
        stopwatch.samples.clear()
        for _ in range(calls):
            started = time.perf_counter()
            result = await client.call_tool(tool, arguments)
            round_trips.append(time.perf_counter() - started)
            assert not result.is_error, result
    print(f"{tool} ({len(result.content[0].text):,} characters of text)")  # type: ignore[union-attr]
    for name, samples in (("server", stopwatch.samples), ("round trip", round_trips)):
        ordered = sorted(samples)
        print(
            f"  {name:10}  median {statistics.median(ordered) * 1000:.3f} ms"
            f"   p90 {ordered[int(len(ordered) * 0.9)] * 1000:.3f} ms"
            f"   p99 {ordered[int(len(ordered) * 0.99)] * 1000:.3f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=1000, help="calls per tool")
    parser.add_argument("--tool", choices=sorted(CASES), help="one tool only (default: each)")
    args = parser.parse_args()
    # Log as in production (INFO, one line per call), but to /dev/null rather than the terminal.
    root = logging.getLogger()
    root.addHandler(logging.StreamHandler(open(os.devnull, "w")))  # noqa: SIM115
    root.setLevel(logging.INFO)
    print(f"{args.calls} calls per tool, upstream answered at once by a MockTransport")
    for tool in [args.tool] if args.tool else CASES:
        anyio.run(measure, tool, args.calls)
    print("target: server median under 1 ms")


if __name__ == "__main__":
    main()
