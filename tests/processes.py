"""The real console script as a child process: over stdio with raw JSON-RPC lines, or over HTTP.

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
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

SCRIPT = str(Path(sys.executable).with_name("twilio-memory-mcp"))
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
HANG_GUARD = 60.0  # seconds: a guard against a hung test, never a performance assertion
LEGACY_VERSION = "2025-11-25"


def clean_environment(extra: dict[str, str]) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    return base | extra


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


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
def stdio_server(env: dict[str, str], tmp_path: Path, *args: str) -> Iterator[StdioServer]:
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
    url: str
    stderr_path: Path

    @property
    def mcp(self) -> str:
        return self.url + "/mcp"

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def terminate(self) -> None:
        self.process.send_signal(signal.SIGTERM)

    def accepts_connections(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", int(self.url.rsplit(":", 1)[1])), timeout=1):
                return True
        except OSError:
            return False


def wait_until_ready(server: HttpServer, timeout: float = HANG_GUARD) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"the server exited with {server.process.returncode}:\n{server.stderr}")
        try:
            if httpx2.get(server.url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx2.HTTPError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"the server did not answer /healthz within {timeout}s:\n{server.stderr}")


@contextlib.contextmanager
def http_server(
    env: dict[str, str],
    tmp_path: Path,
    runner: str = "cli",
    preexec_fn: Callable[[], None] | None = None,
    workers: int = 2,
    extra: tuple[str, ...] = (),
) -> Iterator[HttpServer]:
    """``twilio-memory-mcp --transport http`` (runner "cli") or the README's gunicorn command
    (``extra``: more gunicorn options). It runs in a session of its own, so that whatever is
    left of it at the end (gunicorn's workers too) is killed with it, never orphaned."""
    port = free_port()
    if runner == "cli":
        command = [SCRIPT, "--transport", "http", "--port", str(port)]
    else:
        command = [
            GUNICORN, "server.http.app:create_app()", "-k", "server.http.worker.UvicornWorker",
            "-w", str(workers), "-b", f"127.0.0.1:{port}", "--graceful-timeout", "15", *extra,
        ]  # fmt: skip
    stderr_path = tmp_path / f"http-stderr-{time.monotonic_ns()}.log"
    with open(stderr_path, "wb") as errors:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=errors,
            stderr=errors,
            env=clean_environment(env),
            cwd=Path(__file__).resolve().parent.parent,
            preexec_fn=preexec_fn,
            start_new_session=True,
        )
    server = HttpServer(process, f"http://127.0.0.1:{port}", stderr_path)
    try:
        wait_until_ready(server)
        yield server
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # the session: the server and any workers
        process.wait()
