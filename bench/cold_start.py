"""Cold start: time from spawn to the answer of tools/list over stdio.

Compares the real console script (twilio-memory-mcp, every tool listed) with a one-tool
MCPServer hello world (bench/hello_server.py), measured the same way: spawn, send initialize,
initialized and tools/list as raw JSON-RPC lines, stop the clock at the tools/list response.
Runs alternate between the two so machine noise hits both alike. The CPU time each process
used is printed too, on a busy machine it moves less than the wall clock does: up to the
tools/list answer (Linux: the threads' run time in /proc/PID/task/*/schedstat, read when the
answer arrives), which is what a client waits for, and up to exit (user + system), which
adds the interpreter's teardown.

Both run as an installed package does, from .pyc files: the warm-up run writes them even
where PYTHONDONTWRITEBYTECODE is set (pip compiles a wheel's modules at install; without
the .pyc files our modules were compiled from source at every start, 30 ms of CPU, issue 17).

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


def cpu_so_far(pid: int) -> float | None:
    """CPU seconds the live process ``pid`` has run so far (all its threads), or None where
    /proc has no schedstat."""
    try:
        tasks = Path(f"/proc/{pid}/task").iterdir()
        return sum(int((task / "schedstat").read_text().split()[0]) for task in tasks) / 1e9
    except (OSError, ValueError, IndexError):
        return None


def time_to_tools_list(command: list[str], *, warm: bool = False) -> tuple[float, float | None, float]:
    """Wall seconds from spawn to the tools/list answer, CPU seconds to that answer (None where
    it cannot be read) and CPU seconds from spawn to exit. ``warm``: the run that writes .pyc files."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("TWILIO_")}
    if warm:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
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
            cpu_at_answer = cpu_so_far(process.pid)
            assert message["result"]["tools"], message
            break
    else:
        raise RuntimeError(f"{command[0]} exited without answering tools/list")
    process.stdin.close()
    process.wait(timeout=10)
    return elapsed, cpu_at_answer, cpu_of_children() - cpu_before


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
    for command in commands.values():  # warm the file cache and write the .pyc files
        time_to_tools_list(command, warm=True)
    samples: dict[str, list[float]] = {name: [] for name in commands}
    to_answer: dict[str, list[float]] = {name: [] for name in commands}
    to_exit: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, command in commands.items():
            wall, at_answer, used = time_to_tools_list(command)
            samples[name].append(wall)
            if at_answer is not None:
                to_answer[name].append(at_answer)
            to_exit[name].append(used)
    print(f"spawn -> tools/list answer over stdio, {args.runs} runs each, alternating")
    for name, values in samples.items():
        answered = f"{statistics.median(to_answer[name]) * 1000:7.1f} ms" if to_answer[name] else "    n/a"
        print(
            f"  {name:18} median {statistics.median(values) * 1000:7.1f} ms"
            f"   min {min(values) * 1000:7.1f} ms   max {max(values) * 1000:7.1f} ms"
            f"   CPU median to answer {answered}, to exit {statistics.median(to_exit[name]) * 1000:7.1f} ms"
        )

    def ratio(figures: dict[str, list[float]]) -> str:
        if not figures["hello world"]:
            return "n/a"
        ours, floor = (statistics.median(figures[name]) for name in ("twilio-memory-mcp", "hello world"))
        return f"{ours / floor:.2f}x"

    print(
        f"  ratio of medians: {ratio(samples)} wall, {ratio(to_answer)} CPU to answer, "
        f"{ratio(to_exit)} CPU to exit (target: at most 1.05x, issue 17)"
    )


if __name__ == "__main__":
    main()
