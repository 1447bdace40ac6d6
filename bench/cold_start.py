"""Cold start: time from spawn to the answer of tools/list over stdio.

Compares the real console script (twilio-memory-mcp, every tool listed) with a one-tool
MCPServer hello world (bench/hello_server.py), measured the same way: spawn, send initialize,
initialized and tools/list as raw JSON-RPC lines, stop the clock at the tools/list response.
Runs alternate between the two so machine noise hits both alike. The CPU time each process
used (spawn to exit, user + system) is printed too: on a busy machine it moves less than the
wall clock does.

    .venv/bin/python bench/cold_start.py [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MESSAGES = [
    {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "bench", "version": "0"},
        },
    },
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
    {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
]


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_to_tools_list(command: list[str]) -> tuple[float, float]:
    """Wall seconds from spawn to the tools/list answer, and CPU seconds from spawn to exit."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("TWILIO_")}
    cpu_before = cpu_of_children()
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(b"".join(json.dumps(m).encode() + b"\n" for m in MESSAGES))
    process.stdin.flush()
    for line in process.stdout:
        message = json.loads(line)
        if message.get("id") == 2:
            elapsed = time.perf_counter() - started
            assert message["result"]["tools"], message
            break
    else:
        raise RuntimeError(f"{command[0]} exited without answering tools/list")
    process.stdin.close()
    process.wait(timeout=10)
    return elapsed, cpu_of_children() - cpu_before


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    script = Path(sys.executable).with_name("twilio-memory-mcp")
    commands = {
        "twilio-memory-mcp": [str(script)],
        "hello world": [sys.executable, str(HERE / "hello_server.py")],
    }
    for command in commands.values():  # warm the file cache and .pyc files
        time_to_tools_list(command)
    samples: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, command in commands.items():
            wall, used = time_to_tools_list(command)
            samples[name].append(wall)
            cpu[name].append(used)
    print(f"spawn -> tools/list answer over stdio, {args.runs} runs each, alternating")
    for name, values in samples.items():
        print(
            f"  {name:18} median {statistics.median(values) * 1000:7.1f} ms"
            f"   min {min(values) * 1000:7.1f} ms   max {max(values) * 1000:7.1f} ms"
            f"   CPU median {statistics.median(cpu[name]) * 1000:7.1f} ms"
        )
    ratio = statistics.median(samples["twilio-memory-mcp"]) / statistics.median(samples["hello world"])
    cpu_ratio = statistics.median(cpu["twilio-memory-mcp"]) / statistics.median(cpu["hello world"])
    print(f"  ratio of medians: {ratio:.2f}x wall, {cpu_ratio:.2f}x CPU (target: at most 1.05x, issue 17)")


if __name__ == "__main__":
    main()
