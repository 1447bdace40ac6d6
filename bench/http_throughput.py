"""Throughput of the streamable HTTP transport against an upstream with fixed latency.

Beside ours, where Twilio's ``twilio`` package is installed, the naive peer
(bench/naive_server.py: one tool on Twilio's library) serves the same calls in the same run,
the two alternating. The processes, as in production: the emulator (with ``--latency``
added to every request), the server (``twilio-memory-mcp --transport http`` through the
console script, bearer auth on, logging at its default INFO level to a file), and this
script as the fleet of callers.
Each caller is one MCP client (the SDK's, 2026-07-28 protocol, its own connection) making
``--calls`` sequential tools/call requests; all callers start together. Before the measured
rounds each server gets one round of 5 calls per caller that is not counted: the run measured
first after the processes started was often the slowest of all, whichever server it was.

With upstream latency L and C callers, no server can do better than C / L calls a second:
the figure reported is the achieved rate as a fraction of that ideal. Also reported: the CPU
used during the run by the server (as a share of one CPU, and per call, the figure least
moved by what else runs on the machine), by this process (the callers) and by the emulator,
all three sharing the machine; the 1-minute load average when the run ended; and each
server's peak resident memory (VmHWM from /proc).

    .venv/bin/python bench/http_throughput.py [--callers 16 64] [--calls 20] [--latency 0.1]
        [--max-concurrency N]   # default: the server's own default

Linux only (/proc). Nothing leaves the machine: every socket is on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from emulator import default_examples
from server.settings import Settings

TOKEN = "bench-token-0123456789abcdef"
TOOL = "get_profile_identifiers"
STARTUP_DEADLINE = 30.0
WARM_UP_CALLS = 5  # per caller, per server, before the measured rounds
HERE = Path(__file__).resolve().parent


@dataclass
class Run:
    callers: int
    calls: int
    elapsed: float
    errors: int
    server_cpu: float  # seconds of the server process's CPU time
    client_cpu: float  # and of this process's (the callers')
    upstream_cpu: float  # and of the emulator's

    @property
    def rate(self) -> float:
        return self.callers * self.calls / self.elapsed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def console_script() -> str:
    beside = Path(sys.executable).with_name("twilio-memory-mcp")
    found = str(beside) if beside.exists() else shutil.which("twilio-memory-mcp")
    if found is None:
        raise SystemExit("twilio-memory-mcp is not installed (pip install -e .)")
    return found


def environments(emulator_url: str) -> tuple[dict[str, str], dict[str, str]]:
    """This process's environment without TWILIO_* (for the emulator), and that plus the
    emulator's example credentials and URL (for the server)."""
    examples = default_examples()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    return env, env | {
        "TWILIO_API_KEY": examples.api_key,
        "TWILIO_API_SECRET": examples.api_secret,
        "TWILIO_MEMORY_BASE_URL": emulator_url,
    }


@contextlib.contextmanager
def process(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as output:
        child = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=output)
        try:
            yield child
        finally:
            child.terminate()
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


async def wait_for(url: str, headers: dict[str, str] | None = None) -> None:
    with anyio.fail_after(STARTUP_DEADLINE):
        while True:
            with contextlib.suppress(httpx2.TransportError):
                async with httpx2.AsyncClient(headers=headers) as http:
                    if (await http.get(url)).status_code < 500:
                        return
            await anyio.sleep(0.05)


def proc_status(pid: int, field: str) -> str:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return line.split(":", 1)[1].strip()
    return "?"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


@contextlib.asynccontextmanager
async def connected(url: str) -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=300)) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):
        await client.list_tools()  # the client validates results against the listed schema
        yield client


async def measure(
    url: str, callers: int, calls: int, arguments: dict[str, str], server_pid: int, upstream_pid: int
) -> Run:
    errors = 0
    ready = 0
    go = anyio.Event()
    all_ready = anyio.Event()

    async def caller() -> None:
        nonlocal errors, ready
        async with connected(url) as client:
            await client.call_tool(TOOL, arguments)  # warm-up: connection, schema, server paths
            ready += 1
            if ready == callers:
                all_ready.set()
            await go.wait()
            for _ in range(calls):
                result = await client.call_tool(TOOL, arguments)
                errors += bool(result.is_error)

    async with anyio.create_task_group() as group:
        for _ in range(callers):
            group.start_soon(caller)
        await all_ready.wait()
        cpu_before, own_before = cpu_seconds(server_pid), time.process_time()
        upstream_before = cpu_seconds(upstream_pid)
        started = time.perf_counter()
        go.set()
    elapsed = time.perf_counter() - started
    server_cpu, client_cpu = cpu_seconds(server_pid) - cpu_before, time.process_time() - own_before
    upstream_cpu = cpu_seconds(upstream_pid) - upstream_before
    return Run(callers, calls, elapsed, errors, server_cpu, client_cpu, upstream_cpu)


async def main(args: argparse.Namespace) -> None:
    examples = default_examples()
    emulator_port, server_port = free_port(), free_port()
    emulator_url = f"http://127.0.0.1:{emulator_port}"
    env, server_env = environments(emulator_url)
    server_env["TWILIO_MEMORY_MCP_TOKEN"] = TOKEN
    if args.max_concurrency is not None:
        server_env["TWILIO_MEMORY_MAX_CONCURRENCY"] = str(args.max_concurrency)
    concurrency = args.max_concurrency or Settings().memory.max_concurrency
    script = console_script()
    arguments = {"store_id": examples.store_id, "profile_id": examples.profile_id, "id_type": "email"}
    naive = importlib.util.find_spec("twilio") is not None
    with tempfile.TemporaryDirectory() as logs, contextlib.ExitStack() as stack:
        emulator_command = [script, "emulator", "--port", str(emulator_port)]
        server_command = [script, "--transport", "http", "--port", str(server_port)]
        upstream = stack.enter_context(process(emulator_command, env, Path(logs) / "emulator.log"))
        servers = {
            "ours": stack.enter_context(process(server_command, server_env, Path(logs) / "server.log"))
        }
        urls = {"ours": f"http://127.0.0.1:{server_port}/mcp"}
        if naive:
            naive_port = free_port()
            naive_command = [sys.executable, str(HERE / "naive_server.py"), str(naive_port), emulator_url]
            servers["naive"] = stack.enter_context(
                process(naive_command, server_env, Path(logs) / "naive.log")
            )
            urls["naive"] = f"http://127.0.0.1:{naive_port}/mcp"
        auth = (examples.api_key, examples.api_secret)
        await wait_for(emulator_url + "/_emulator/faults", None)
        async with httpx2.AsyncClient(auth=auth) as http:
            faults = await http.put(emulator_url + "/_emulator/faults", json={"latency": args.latency})
            faults.raise_for_status()
        await wait_for(f"http://127.0.0.1:{server_port}/healthz/ready")
        for url in urls.values():
            await wait_for(url)
        print(
            f"upstream latency {args.latency * 1000:.0f} ms, {args.calls} calls per caller, "
            f"server max_concurrency {concurrency}, {os.cpu_count()} CPUs, load average "
            f"{os.getloadavg()[0]:.2f}"
            + ("" if naive else "; no naive peer (pip install twilio to include it)")
        )
        print(
            f"{'server':>6} {'callers':>7} {'calls/s':>9} {'ideal':>7} {'fraction':>8} {'errors':>6} "
            f"{'server CPU':>10} {'ms/call':>7} {'callers CPU':>11} {'upstream CPU':>12} {'load':>5}"
        )
        for callers in args.callers:
            ideal = callers / args.latency
            fractions: dict[str, list[float]] = {name: [] for name in urls}
            for name in urls:  # a round not counted: whatever is slow the first time, for each
                await measure(urls[name], callers, WARM_UP_CALLS, arguments, servers[name].pid, upstream.pid)
            for round_number in range(args.rounds):
                # Alternating, so noise hits both alike; each round in the other order, so neither
                # is always the one measured first.
                order = list(urls) if round_number % 2 == 0 else list(reversed(urls))
                for name in order:
                    pids = servers[name].pid, upstream.pid
                    run = await measure(urls[name], callers, args.calls, arguments, *pids)
                    fractions[name].append(run.rate / ideal)
                    print(
                        f"{name:>6} {callers:>7} {run.rate:>9.1f} {ideal:>7.0f} {run.rate / ideal:>8.2f} "
                        f"{run.errors:>6} {run.server_cpu / run.elapsed:>10.0%} "
                        f"{run.server_cpu * 1000 / (callers * args.calls):>7.2f} "
                        f"{run.client_cpu / run.elapsed:>11.0%} {run.upstream_cpu / run.elapsed:>12.0%} "
                        f"{os.getloadavg()[0]:>5.2f}"
                    )
            if args.rounds > 1:
                medians = ", ".join(f"{name} {statistics.median(got):.2f}" for name, got in fractions.items())
                print(f"{'':>14} median fraction of ideal over {args.rounds} rounds: {medians}")
            if callers > concurrency:
                cap = concurrency / args.latency
                print(f"{'':>14} (ours capped by max_concurrency: at most {cap:.0f} calls/s upstream)")
        for name, child in servers.items():
            print(f"{name} peak RSS (VmHWM): {proc_status(child.pid, 'VmHWM')}")


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--callers", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--calls", type=int, default=20, help="sequential calls per caller")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds added by the emulator")
    parser.add_argument("--max-concurrency", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=2, help="runs of each server per caller count")
    return parser.parse_args()


if __name__ == "__main__":
    anyio.run(main, parse())
