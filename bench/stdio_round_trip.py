"""Latency over stdio: a tools/call round trip against the direct GET it makes.

The emulator (no added latency) is the upstream. Three ways to the same identifiers, measured
in the same run, alternating in rounds so machine noise hits each alike:

- direct: this script's own GET of the resource (httpx2, one kept-alive connection);
- ours: ``twilio-memory-mcp`` over stdio (the console script), get_profile_identifiers;
- floor: a one-tool MCPServer over stdio making the same GET (bench/floor_servers.py).

Each server is driven with raw JSON-RPC lines (initialize, then tools/call after tools/call),
so the client's own cost is the same small write and read for both. Reported: the median round
trip of each, and what each server adds over the direct GET (target for ours: at most 1.0 ms).

    .venv/bin/python bench/stdio_round_trip.py [--calls 200] [--rounds 5]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import anyio
import httpx2

from bench.http_throughput import console_script, environments, free_port, process, wait_for
from emulator import default_examples

HERE = Path(__file__).resolve().parent
TOOL = "get_profile_identifiers"


class StdioServer:
    """A server process spoken to in raw JSON-RPC lines."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
        )
        self._next = 0
        self.request(
            "initialize",
            {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "bench", "version": "0"},
            },
        )
        self._send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def _send(self, message: dict[str, Any]) -> None:
        stdin: IO[bytes] = self.process.stdin  # type: ignore[assignment]
        stdin.write(json.dumps(message).encode() + b"\n")
        stdin.flush()

    def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self._next += 1
        self._send({"jsonrpc": "2.0", "id": self._next, "method": method, "params": params})
        stdout: IO[bytes] = self.process.stdout  # type: ignore[assignment]
        for line in stdout:
            message: dict[str, Any] = json.loads(line)
            if message.get("id") == self._next:
                return message
        raise RuntimeError(f"the server exited without answering {method}")

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=15)


def timed(call: Any, calls: int) -> list[float]:
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=200, help="calls per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    examples = default_examples()
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env, server_env = environments(base_url)
    arguments = {"store_id": examples.store_id, "profile_id": examples.profile_id, "id_type": "email"}
    path = f"/v1/Stores/{examples.store_id}/Profiles/{examples.profile_id}/Identifiers/email"
    script = console_script()
    with process([script, "emulator", "--port", str(port)], env, Path(os.devnull)):
        anyio.run(wait_for, base_url + "/_emulator/faults", None)
        servers = {
            "ours": StdioServer([script], server_env),
            "floor": StdioServer(
                [sys.executable, str(HERE / "floor_servers.py"), TOOL, base_url], server_env
            ),
        }
        with httpx2.Client(base_url=base_url, auth=(examples.api_key, examples.api_secret)) as http:
            contenders: dict[str, Callable[[], object]] = {
                "direct": lambda: http.get(path).raise_for_status()
            }
            for name, server in servers.items():
                contenders[name] = functools.partial(
                    server.request, "tools/call", {"name": TOOL, "arguments": arguments}
                )
            for call in contenders.values():  # warm up: connections, imports, first-call paths
                timed(call, 20)
            samples: dict[str, list[float]] = {name: [] for name in contenders}
            rounds: dict[str, list[float]] = {name: [] for name in contenders}
            for _ in range(args.rounds):
                for name, call in contenders.items():
                    got = timed(call, args.calls)
                    samples[name] += got
                    rounds[name].append(statistics.median(got))
        for server in servers.values():
            server.close()
    medians = {name: statistics.median(values) for name, values in samples.items()}
    load = os.getloadavg()[0]
    print(f"{TOOL} over stdio, {args.rounds} rounds of {args.calls} calls, load average {load:.2f}")
    for name, median in medians.items():
        extra = (median - medians["direct"]) * 1000
        over = "" if name == "direct" else f"   {extra:+.2f} ms over the direct GET"
        print(f"  {name:7} median {median * 1000:6.2f} ms{over}")
    print("target: ours at most +1.0 ms over the direct GET")
    # On a shared machine a burst of other work can slow a whole round of one contender:
    # each round's median shows which one it hit.
    for name, values in rounds.items():
        print(f"  {name:7} rounds (ms): " + " ".join(f"{value * 1000:.2f}" for value in values))


if __name__ == "__main__":
    main()
