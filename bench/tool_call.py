"""Server-side cost of one get_profile_identifiers call, the upstream round trip excluded.

The upstream is an httpx2.MockTransport answering at once with a canned 200, so what is
timed is the server's own work: argument validation, the request, body checks, mapping,
and serialization. Two figures:

- "server": the tools/call handler alone, timed by an outermost middleware (what the
  server adds to a call);
- "round trip": the whole call through the in-memory MCP Client (client and stream
  overhead included, an upper bound).

    .venv/bin/python bench/tool_call.py [--calls 2000]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time
from typing import Any

import anyio
import httpx2
from mcp import Client
from pydantic import SecretStr

from server.app import build_server
from server.settings import Credentials, Settings

STORE = "mem_store_01kpttrksqe08rhv122gzq52ax"
PROFILE = "mem_profile_01kpttrksqe08rhv122gzq52ax"
BODY = {"idType": "email", "values": [f"customer{i}@example.com" for i in range(10)]}


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


async def measure(calls: int) -> None:
    # Log as in production (INFO, one line per call), but to /dev/null rather than the terminal.
    root = logging.getLogger()
    root.addHandler(logging.StreamHandler(open(os.devnull, "w")))  # noqa: SIM115
    root.setLevel(logging.INFO)
    settings = Settings(credentials=Credentials("SKbench", SecretStr("secret"), "bench"))
    transport = httpx2.MockTransport(lambda request: httpx2.Response(200, json=BODY))
    server = build_server(settings, transport=transport)
    stopwatch = Stopwatch()
    server._lowlevel_server.middleware.insert(0, stopwatch)  # bench only: outermost
    arguments = {"store_id": STORE, "profile_id": PROFILE, "id_type": "email"}
    round_trips = []
    async with Client(server) as client:
        for _ in range(200):  # warm up
            await client.call_tool("get_profile_identifiers", arguments)
        stopwatch.samples.clear()
        for _ in range(calls):
            started = time.perf_counter()
            result = await client.call_tool("get_profile_identifiers", arguments)
            round_trips.append(time.perf_counter() - started)
            assert not result.is_error
    for name, samples in (("server", stopwatch.samples), ("round trip", round_trips)):
        ordered = sorted(samples)
        print(
            f"  {name:10}  median {statistics.median(ordered) * 1000:.3f} ms"
            f"   p90 {ordered[int(len(ordered) * 0.9)] * 1000:.3f} ms"
            f"   p99 {ordered[int(len(ordered) * 0.99)] * 1000:.3f} ms"
        )
    print("  target: server median under 1 ms")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    print(f"get_profile_identifiers, {args.calls} calls, upstream answered at once by a MockTransport")
    anyio.run(measure, args.calls)


if __name__ == "__main__":
    main()
