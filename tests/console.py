"""The real console script and the upstreams it talks to, for tests of the whole path.

- :func:`console_script`: the installed ``twilio-memory-mcp``.
- :func:`http_server`: ``twilio-memory-mcp --transport http`` on a free loopback port, ready
  when ``/healthz`` answers; stopped with SIGTERM.
- :class:`ScriptedUpstream`: the emulator on a loopback port in a thread of its own (so tests
  may block on client subprocesses while it serves), behind a one-shot script set through
  ``PUT /_test/next``: emulator faults (429, 503, latency) and answers the emulator cannot
  give (rejected credentials, a body that is not JSON, a redirect to another origin).
- :func:`refusing_port`: a loopback port bound but not listening, so connections are refused.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
from starlette.types import ASGIApp, Receive, Scope, Send

from emulator import Faults, create_app, default_examples, serve_in_background

EXAMPLES = default_examples()
START_DEADLINE = 60.0  # seconds for a server to start: a hang guard on a busy machine
CONTROL_PATH = "/_test/next"
ANSWERS = ("bad_credentials", "not_json", "foreign_redirect")


def console_script() -> str:
    beside_python = Path(sys.executable).with_name("twilio-memory-mcp")
    found = str(beside_python) if beside_python.exists() else shutil.which("twilio-memory-mcp")
    if found is None:
        raise RuntimeError("the twilio-memory-mcp console script is not installed (pip install -e .)")
    return found


def clean_environment(**settings: str) -> dict[str, str]:
    """The process environment without any TWILIO_ setting, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    return env | settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def refusing_port() -> Iterator[int]:
    """A port bound for the whole block but never listening: every connect is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@contextmanager
def http_servers(envs: Mapping[str, Mapping[str, str]], logs: Path, *args: str) -> Iterator[dict[str, str]]:
    """One ``twilio-memory-mcp --transport http`` per environment, started side by side, each
    logging to ``logs/http-NAME.log``; yields each one's ``/mcp`` URL by name."""
    with _serving({name: (env, logs / f"http-{name}.log") for name, env in envs.items()}, args) as urls:
        yield urls


@contextmanager
def http_server(env: Mapping[str, str], log: Path, *args: str) -> Iterator[str]:
    """``twilio-memory-mcp --transport http`` on loopback, logging to ``log``; yields its URL."""
    with _serving({"server": (env, log)}, args) as urls:
        yield urls["server"]


@contextmanager
def _serving(
    specs: Mapping[str, tuple[Mapping[str, str], Path]], args: tuple[str, ...]
) -> Iterator[dict[str, str]]:
    processes: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
    try:
        for name, (env, log) in specs.items():
            processes[name] = _start_http(env, log, args)
        urls = {}
        for name, (env, log) in specs.items():
            for _attempt in range(3):  # a port taken between free_port() and bind: try another
                process, port = processes[name]
                if _wait_until_serving(process, port):
                    urls[name] = f"http://127.0.0.1:{port}/mcp"
                    break
                processes[name] = _start_http(env, log, args)
            else:
                raise RuntimeError(f"the HTTP server {name} did not start; its log: {log}")
        yield urls
    finally:
        for process, _port in processes.values():
            _stop(process)


def _start_http(
    env: Mapping[str, str], log: Path, args: tuple[str, ...]
) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    with log.open("ab") as stderr:
        process = subprocess.Popen(
            [console_script(), *args, "--transport", "http", "--port", str(port)],
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=stderr,
            stderr=stderr,
        )
    return process, port


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_serving(process: subprocess.Popen[bytes], port: int) -> bool:
    deadline = time.monotonic() + START_DEADLINE
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            if httpx2.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return True
        except httpx2.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"the HTTP server on port {port} did not answer /healthz in {START_DEADLINE:g}s")


class ScriptedUpstream:
    """The emulator, plus a one-shot script for the next request (see the module docstring)."""

    def __init__(self) -> None:
        self.emulator = create_app()
        self.url = ""
        self._answer: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- the script -------------------------------------------------------------------

    def set_next(self, faults: Mapping[str, Any] | None = None, answer: str | None = None) -> None:
        """Faults for every request until the next call, and ``answer`` for the next request."""
        body = {"faults": dict(faults or {}), "answer": answer}
        response = httpx2.put(self.url + CONTROL_PATH, json=body, timeout=10)
        response.raise_for_status()

    @property
    def control_url(self) -> str:
        return self.url + CONTROL_PATH

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == CONTROL_PATH:
            body = b""
            while True:
                message = await receive()
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
            script = json.loads(body)
            answer = script.get("answer")
            assert answer is None or answer in ANSWERS, answer
            self.emulator.state.emulator.faults = Faults.from_json(script.get("faults") or {})
            self._answer = answer
            await _respond(send, 204, b"")
            return
        if scope["type"] != "http":
            await self.emulator(scope, receive, send)
            return
        answer, self._answer = self._answer, None
        if answer == "bad_credentials":  # the emulator itself answers 401
            scope = dict(scope)
            scope["headers"] = [(k, v) for k, v in scope["headers"] if k.lower() != b"authorization"] + [
                (b"authorization", b"Basic U0t3cm9uZzp3cm9uZw==")
            ]
        elif answer == "not_json":
            await _respond(send, 200, b"<html><body>Service maintenance</body></html>", b"text/html")
            return
        elif answer == "foreign_redirect":
            # A merge redirect naming another origin: 301 for a read, 308 for a POST (the
            # spec's merge redirects), with Location and Canonical-Profile-Id.
            canonical = EXAMPLES.canonical_profile_id
            location = f"https://elsewhere.example/v1/Stores/{EXAMPLES.store_id}/Profiles/{canonical}"
            headers = [(b"location", location.encode()), (b"canonical-profile-id", canonical.encode())]
            status = 301 if scope["method"] in {"GET", "HEAD"} else 308
            await _respond(send, status, b"", b"application/json", headers)
            return
        await self.emulator(scope, receive, send)

    # --- running it -------------------------------------------------------------------

    def start(self) -> None:
        started = threading.Event()

        async def serve() -> None:
            app: ASGIApp = self
            async with serve_in_background(app) as url:  # type: ignore[arg-type]
                self.url = url
                started.set()
                await anyio.to_thread.run_sync(self._stop.wait)

        self._thread = threading.Thread(target=anyio.run, args=(serve,), daemon=True)
        self._thread.start()
        if not started.wait(START_DEADLINE):
            raise RuntimeError("the scripted upstream did not start")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)


async def _respond(
    send: Send,
    status: int,
    body: bytes,
    content_type: bytes = b"text/plain",
    headers: list[Any] | None = None,
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
            + (headers or []),
        }
    )
    await send({"type": "http.response.body", "body": body})


@contextmanager
def scripted_upstream() -> Iterator[ScriptedUpstream]:
    upstream = ScriptedUpstream()
    upstream.start()
    try:
        yield upstream
    finally:
        upstream.stop()
