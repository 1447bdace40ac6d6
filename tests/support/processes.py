"""The real console script as a child process: over stdio with raw JSON-RPC lines, or over HTTP
(the console script or the README's gunicorn command), ready when ``/healthz`` answers.

Raw lines rather than the SDK's stdio client, so a test sees what a client would: which
requests got no answer at all, every byte on stdout, and the exit status.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

from tests.support.console import GUNICORN, HANG_GUARD, ROOT, SCRIPT, clean_environment
from tests.support.ports import free_port

LEGACY_VERSION = "2025-11-25"
TOKEN = "limits-test-bearer-token-0123456789"


def token_environment(**settings: str) -> dict[str, str]:
    """Credentials and a bearer token, plus ``settings``: what an HTTP server needs to start
    under either runner (gunicorn's app factory cannot see the address bound, so needs a token)."""
    return {
        "TWILIO_API_KEY": "SK" + "2" * 32,
        "TWILIO_API_SECRET": "limits-test-secret",
        "TWILIO_MEMORY_MCP_TOKEN": TOKEN,
    } | settings


@dataclass
class StdioServer:
    """``twilio-memory-mcp`` on stdio; stdout is read line by line on a thread."""

    process: subprocess.Popen[bytes]
    stderr_path: Path
    lines: list[bytes] = field(default_factory=list)
    _answers: queue.Queue[dict[str, Any]] = field(default_factory=queue.Queue)
    _next_id: int = 0
    _reader: threading.Thread | None = None

    def start_reader(self) -> None:
        def read() -> None:
            assert self.process.stdout is not None
            for line in iter(self.process.stdout.readline, b""):
                self.lines.append(line)
                with contextlib.suppress(ValueError):
                    message = json.loads(line)
                    if isinstance(message, dict) and "id" in message:
                        self._answers.put(message)

        self._reader = threading.Thread(target=read, daemon=True)
        self._reader.start()

    def release(self) -> None:
        """Kill the process if it still runs, and close every pipe to it."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        if self._reader is not None:
            self._reader.join(HANG_GUARD)
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()

    def send(self, method: str, params: dict[str, Any] | None = None, *, notify: bool = False) -> int:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self._next_id += 1
        if not notify:
            message["id"] = self._next_id
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message).encode() + b"\n")
        self.process.stdin.flush()
        return self._next_id

    def answers(self, ids: set[int], timeout: float = HANG_GUARD) -> dict[int, dict[str, Any]]:
        """The answers to ``ids`` that arrive before ``timeout``; missing ones are left out."""
        found: dict[int, dict[str, Any]] = {}
        deadline = time.monotonic() + timeout
        while ids - found.keys():
            try:
                message = self._answers.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            found[message["id"]] = message
        return found

    def request(
        self, method: str, params: dict[str, Any] | None = None, timeout: float = HANG_GUARD
    ) -> dict[str, Any]:
        number = self.send(method, params)
        answer = self.answers({number}, timeout).get(number)
        assert answer is not None, f"no answer to {method} within {timeout}s"
        return answer

    def initialize(self) -> None:
        self.request(
            "initialize",
            {
                "protocolVersion": LEGACY_VERSION,
                "capabilities": {},
                "clientInfo": {"name": "t", "version": "0"},
            },
        )
        self.send("notifications/initialized", notify=True)

    def call_tool(self, name: str, arguments: dict[str, Any], timeout: float = HANG_GUARD) -> dict[str, Any]:
        return self.request("tools/call", {"name": name, "arguments": arguments}, timeout)

    def close(self, timeout: float = HANG_GUARD) -> int:
        """Close stdin as a client does when it is done, and wait for the exit status."""
        assert self.process.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            self.process.stdin.close()
        return self.process.wait(timeout)

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")


@contextlib.contextmanager
def stdio_server(env: Mapping[str, str], tmp_path: Path, *args: str) -> Iterator[StdioServer]:
    stderr_path = tmp_path / f"stderr-{time.monotonic_ns()}.log"
    with open(stderr_path, "wb") as errors:
        process = subprocess.Popen(
            [SCRIPT, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            env=clean_environment(env),
        )
    server = StdioServer(process, stderr_path)
    server.start_reader()
    try:
        yield server
    finally:
        server.release()


@dataclass
class HttpServer:
    """An HTTP server process (the console script or gunicorn) on a loopback port."""

    process: subprocess.Popen[bytes]
    url: str  # http://127.0.0.1:PORT
    stderr_path: Path

    @property
    def mcp(self) -> str:
        return self.url + "/mcp"

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def terminate(self) -> None:
        self.process.send_signal(signal.SIGTERM)

    def accepts_connections(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def kill(self) -> None:
        """Kill the server's session: the server and any workers, never orphaned."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


def wait_until_ready(server: HttpServer, timeout: float = HANG_GUARD) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"the server exited with {server.process.returncode}:\n{server.stderr}")
        try:
            if httpx2.get(server.url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx2.HTTPError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"the server did not answer /healthz within {timeout}s:\n{server.stderr}")


@dataclass(frozen=True)
class _Launch:
    env: Mapping[str, str]
    stderr_path: Path
    runner: str = "cli"
    args: tuple[str, ...] = ()
    preexec_fn: Callable[[], None] | None = None
    workers: int = 2

    def start(self) -> HttpServer:
        port = free_port()
        if self.runner == "cli":
            command = [SCRIPT, *self.args, "--transport", "http", "--port", str(port)]
        else:
            # docs/http.md's command; its --graceful-timeout outlasts the longest grace a test sets
            # (30 s), as the docs ask of it (15 s there, for the default grace of 10).
            command = [
                GUNICORN, "server.http.app:create_app()", "-k", "server.http.worker.UvicornWorker",
                "-w", str(self.workers), "-b", f"127.0.0.1:{port}", "--graceful-timeout", "45", *self.args,
            ]  # fmt: skip
        with open(self.stderr_path, "ab") as errors:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=errors,
                stderr=errors,
                env=clean_environment(self.env),
                cwd=ROOT,
                preexec_fn=self.preexec_fn,
                start_new_session=True,
            )
        return HttpServer(process, f"http://127.0.0.1:{port}", self.stderr_path)


def _ready(launch: _Launch, server: HttpServer) -> HttpServer:
    """``server`` once it answers; a new one when the port was taken between free_port() and bind
    (another test, or another xdist worker, got it first)."""
    for attempt in range(3):
        try:
            wait_until_ready(server)
            return server
        except AssertionError:
            exited = server.process.poll() is not None
            server.kill()
            if not (exited and "address already in use" in server.stderr.lower()) or attempt == 2:
                raise
            server = launch.start()
    raise AssertionError("unreachable")  # the loop returns or raises


@contextlib.contextmanager
def http_servers(launches: Mapping[str, _Launch]) -> Iterator[dict[str, HttpServer]]:
    """Several servers started side by side, then each waited for; all killed at the end."""
    started: dict[str, HttpServer] = {}
    try:
        for name, launch in launches.items():
            started[name] = launch.start()
        for name, launch in launches.items():
            started[name] = _ready(launch, started[name])
        yield started
    finally:
        for server in started.values():
            server.kill()


def launch(
    env: Mapping[str, str],
    stderr_path: Path,
    *args: str,
    runner: str = "cli",
    preexec_fn: Callable[[], None] | None = None,
    workers: int = 2,
) -> _Launch:
    """How to start one server: ``twilio-memory-mcp ARGS --transport http`` (runner "cli") or the
    README's gunicorn command (runner "gunicorn"; ``args``: more gunicorn options), with ``env``
    (no TWILIO_ setting of this process), its output appended to ``stderr_path``."""
    return _Launch(env, stderr_path, runner, args, preexec_fn, workers)


@contextlib.contextmanager
def http_server(
    env: Mapping[str, str],
    tmp_path: Path,
    *args: str,
    runner: str = "cli",
    preexec_fn: Callable[[], None] | None = None,
    workers: int = 2,
) -> Iterator[HttpServer]:
    """One server (see :func:`launch`), logging into ``tmp_path``. It runs in a session of its
    own, so whatever is left of it at the end (gunicorn's workers too) is killed with it."""
    stderr_path = tmp_path / f"http-stderr-{time.monotonic_ns()}.log"
    one = launch(env, stderr_path, *args, runner=runner, preexec_fn=preexec_fn, workers=workers)
    with http_servers({"server": one}) as started:
        yield started["server"]
