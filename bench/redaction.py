"""Redaction's cost (TWILIO_MEMORY_REDACT=1; issue 16 item 1), in two parts.

1. In process: ``Redactor.text`` over texts of each size in ``--sizes`` (MiB), in several
   shapes: prose with a phone number or an email now and then, text dense with them, and
   hostile text (a word of letters without a space, "a@" repeated, a run of digit groups).
   Printed: milliseconds per MiB at each size. Linear time shows as a flat row.
2. Real processes over loopback HTTP: a fake Memory API (uvicorn, on a thread of this process)
   answers Recall with one message of just under 4 MiB (the server reads no larger answer)
   dense with phone numbers and emails, sent to 100 recipients; the server is the console
   script with redaction on. While one client's ``recall_memories`` is in flight, a second
   client calls ``get_profile_identifiers`` and a plain HTTP client GETs ``/healthz``, each
   one request after the other. Printed: the recall's duration, and for each probe how many
   answered during it, the median and the worst latency.

    .venv/bin/python bench/redaction.py [--sizes 1 2 4] [--shapes prose dense ...] [--no-server]

Nothing leaves the machine: every socket is on 127.0.0.1. tests/tools/test_redaction_off_loop.py
uses the same fake API (:class:`RecallUpstream`) and answer (:func:`recall_answer`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx2
import uvicorn
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from bench.http_throughput import console_script, free_port, process
from tools.redaction import Redactor

MIB = 1024 * 1024
STORE = "mem_store_01kpttrksqe08rhv122gzq52ax"
PROFILE = "mem_profile_01kpttrksqe08rhv122gzq52ax"
CONVERSATION = "conv_conversation_01kpttrksqe08rhv122gzq52ax"
WHEN = "2025-01-15T10:30:45Z"
API_KEY = "SK" + "7" * 32
API_SECRET = "bench-redaction-secret"
ANSWER_BYTES = 4 * MIB - 64 * 1024  # under the server's limit on an upstream answer (4 MiB)
STARTUP_DEADLINE = 30.0

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

_WORDS = ("the", "customer", "called", "about", "billing", "and", "asked", "to", "move", "the", "meeting")


def prose(size: int) -> str:
    """English words, a phone number or an email every twenty words or so."""
    out, total, n = [], 0, 0
    while total < size:
        n += 1
        word = _WORDS[n % len(_WORDS)]
        if n % 23 == 0:
            word = f"(206) 555-{n % 10_000:04d}"
        elif n % 37 == 0:
            word = f"dana{n % 1000}@example.com"
        out.append(word)
        total += len(word) + 1
    return " ".join(out)[:size]


def dense(size: int) -> str:
    """Phone numbers and emails, many spellings, one after the other (a contact list)."""
    out, total, n = [], 0, 0
    while total < size:
        n += 1
        line = n % 10_000
        piece = f"call 206-555-{line:04d} or +1 206 555 {line:04d}, write to dana.{n}@example.com; "
        out.append(piece)
        total += len(piece)
    return "".join(out)[:size]


def repeat(unit: str) -> Callable[[int], str]:
    return lambda size: (unit * (size // len(unit) + 1))[:size]


def long_words(size: int) -> str:
    """Words of a thousand letters, a phone number between them: cheap in linear time, and
    seconds of work per MiB for a pattern quadratic in a word's length."""
    return repeat("x" * 1000 + " 206-555-0115 ")(size)


SHAPES: dict[str, Callable[[int], str]] = {
    "prose": prose,
    "dense": dense,
    "long-words": long_words,
    "letters": repeat("a"),  # one word without a space: the old email pattern's quadratic case
    "at-signs": repeat("a@"),
    "digit-groups": repeat("7 "),
}


def per_mib(shape: Callable[[int], str], mib: float) -> float:
    """Milliseconds per MiB to redact one text of ``mib`` MiB (the best of three)."""
    text = shape(int(mib * MIB))
    best = float("inf")
    for _ in range(3):
        redactor = Redactor(True)
        started = time.perf_counter()
        redactor.text(text)
        best = min(best, time.perf_counter() - started)
    return best * 1000 / mib


# The fake Memory API


def _participant(n: int, name: str, address: str) -> dict[str, Any]:
    return {"id": f"conv_participant_0{n:025d}", "name": name, "address": address, "channel": "SMS"}


def recall_answer(size: int = ANSWER_BYTES, text: Callable[[int], str] = dense) -> bytes:
    """Recall's answer: one message of ``size`` bytes or so (by default dense with numbers and
    emails), from a customer to 100 recipients (each a name and an address the text is
    searched for)."""
    recipients = [_participant(n, f"Agent{n} Person{n}", f"+1312555{n:04d}") for n in range(2, 102)]
    message = {
        "id": f"conv_communication_0{1:025d}",
        "author": _participant(1, "Dana Whitfield", "+12065550100"),
        "content": {"text": ""},
        "channelId": "SM" + "0" * 32,
        "createdAt": WHEN,
        "recipients": recipients,
    }
    body = {"observations": [], "summaries": [], "communications": [message], "meta": {"queryTime": 1}}
    envelope = len(json.dumps(body))
    message["content"] = {"text": text(size - envelope)}
    return json.dumps(body).encode()


PLAIN = json.dumps({"idType": "email", "values": ["plain@example.com"]}).encode()


class RecallUpstream:
    """A Memory API on loopback: Recall answers with ``recall`` (bytes), anything else with
    one plain email identifier. Counts the Recall requests it answered."""

    def __init__(self, recall: bytes) -> None:
        self.recall = recall
        self.recalls = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        recall = scope["path"].endswith("/Recall")
        self.recalls += recall
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": self.recall if recall else PLAIN})


@contextlib.contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn on a loopback port, on a thread of its own; its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, args=([sock],), daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the fake Memory API did not start")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


def server_environment(base_url: str) -> dict[str, str]:
    return {
        "TWILIO_MEMORY_BASE_URL": base_url,
        "TWILIO_API_KEY": API_KEY,
        "TWILIO_API_SECRET": API_SECRET,
        "TWILIO_MEMORY_REDACT": "1",
    }


RECALL: dict[str, Any] = {"store_id": STORE, "profile_id": PROFILE, "conversation_id": CONVERSATION}
RECALL["communications_limit"] = 1  # the message of the conversation at hand
BESIDE = {"store_id": STORE, "profile_id": PROFILE, "id_type": "email"}


async def while_redacting(url: str) -> dict[str, list[float]]:
    """Latencies (seconds) of /healthz and of a small tool call, each probed one request after
    the other while a recall of the big answer is in flight; and the recall's own ("recall")."""
    latencies: dict[str, list[float]] = {"recall": [], "healthz": [], "call": []}
    async with (
        httpx2.AsyncClient(timeout=httpx2.Timeout(30, read=120)) as http,
        connected(http, url + "/mcp") as big,
        connected(http, url + "/mcp") as beside,
    ):
        await beside.call_tool("get_profile_identifiers", BESIDE)  # warm: connection and paths
        done = anyio.Event()

        async def recall() -> None:
            started = time.perf_counter()
            try:
                result = await big.call_tool("recall_memories", RECALL)
                if result.is_error:
                    raise RuntimeError(f"recall_memories failed: {result.structured_content}")
            finally:
                latencies["recall"].append(time.perf_counter() - started)
                done.set()

        async def probe(name: str, once: Callable[[], Awaitable[object]]) -> None:
            while not done.is_set():
                started = time.perf_counter()
                await once()
                if not done.is_set():  # answered while the recall was still in flight
                    latencies[name].append(time.perf_counter() - started)

        async def healthz() -> None:
            (await http.get(url + "/healthz")).raise_for_status()

        async def call() -> None:
            result = await beside.call_tool("get_profile_identifiers", BESIDE)
            if result.is_error:
                raise RuntimeError("the call beside failed")

        async with anyio.create_task_group() as group:
            group.start_soon(recall)
            group.start_soon(probe, "healthz", healthz)
            group.start_soon(probe, "call", call)
    return latencies


@contextlib.asynccontextmanager
async def connected(http: httpx2.AsyncClient, url: str) -> AsyncIterator[Client]:
    async with Client(streamable_http_client(url, http_client=http)) as client:
        await client.list_tools()  # the client checks results against the listed schemas
        yield client


@contextlib.contextmanager
def http_server(env: dict[str, str], log: Path) -> Iterator[str]:
    """The console script over HTTP on a loopback port; its base URL once /healthz answers."""
    port = free_port()
    base = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    command = [console_script(), "--transport", "http", "--port", str(port)]
    with process(command, base | env, log) as child:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + STARTUP_DEADLINE
        while True:
            with contextlib.suppress(httpx2.TransportError):
                if httpx2.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            if child.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.05)
        yield url


def summary(values: list[float]) -> str:
    if not values:
        return "none answered"
    return (
        f"{len(values):>4} answered, median {statistics.median(values) * 1000:7.1f} ms, "
        f"worst {max(values) * 1000:7.1f} ms"
    )


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--sizes", type=float, nargs="+", default=[1, 2, 4], help="MiB")
    parser.add_argument("--shapes", nargs="+", default=list(SHAPES), choices=list(SHAPES))
    parser.add_argument("--no-server", action="store_true", help="part 1 only")
    args = parser.parse_args()
    print(f"redaction, ms per MiB (best of 3), {os.cpu_count()} CPUs")
    print(f"{'shape':>13} " + " ".join(f"{size:>7g} MiB" for size in args.sizes))
    for name in args.shapes:
        print(f"{name:>13} " + " ".join(f"{per_mib(SHAPES[name], size):>11.0f}" for size in args.sizes))
    if args.no_server:
        return
    upstream = RecallUpstream(recall_answer())
    print(f"\nserver with TWILIO_MEMORY_REDACT=1, one Recall answer of {len(upstream.recall) / MIB:.2f} MiB")
    with (
        serve_in_thread(upstream) as base_url,
        tempfile.TemporaryDirectory() as logs,
        http_server(server_environment(base_url), Path(logs) / "server.log") as url,
    ):
        latencies = anyio.run(while_redacting, url)
    print(f"recall_memories took {latencies['recall'][0] * 1000:.0f} ms; meanwhile:")
    print(f"  /healthz                {summary(latencies['healthz'])}")
    print(f"  get_profile_identifiers {summary(latencies['call'])}")


if __name__ == "__main__":
    main()
