"""A raw JSON-RPC client speaking any MCP protocol version, over stdio or streamable HTTP.

Real clients each speak the versions they choose; this one speaks whichever a test names, and
sends what a test gives it byte for byte (bad params, array params, non-JSON lines), so tests
can see exactly what the server answers. Synchronous on purpose: tests drive it step by step.

Handshake era (2024-11-05 to 2025-11-25): ``initialize`` then ``notifications/initialized``;
over HTTP every later request carries ``MCP-Protocol-Version`` (streamable HTTP, "Protocol
Version Header"). 2026-07-28: no handshake; every request carries the ``_meta`` envelope
(protocol version, client capabilities, client info) and the header.
"""

from __future__ import annotations

import itertools
import json
import os
import select
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2
from mcp.shared.inbound import MCP_METHOD_HEADER, MCP_NAME_HEADER, NAME_BEARING_METHODS, encode_header_value

HANDSHAKE_VERSIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
MODERN_VERSION = "2026-07-28"
LATEST_HANDSHAKE = HANDSHAKE_VERSIONS[-1]
VERSIONS = (*HANDSHAKE_VERSIONS, MODERN_VERSION)
CLIENT_INFO = {"name": "twilio-memory-mcp-raw-test-client", "version": "1"}
# The headers a streamable HTTP client sends with a JSON-RPC POST.
POST_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
ANSWER_DEADLINE = 30.0  # seconds to wait for one answer: a hang guard, not a measurement


class NoAnswer(AssertionError):
    """The server sent no answer to a request within the deadline."""


class RawSession:
    """One client of one protocol version; subclasses move the bytes."""

    def __init__(self, version: str) -> None:
        if version not in VERSIONS:
            raise ValueError(f"unknown protocol version {version}")
        self.version = version
        self._ids = itertools.count(1)

    @property
    def modern(self) -> bool:
        return self.version == MODERN_VERSION

    def open(self) -> RawSession:
        if not self.modern:
            answer = self.request(
                "initialize",
                {"protocolVersion": self.version, "capabilities": {}, "clientInfo": CLIENT_INFO},
            )
            assert answer.get("result", {}).get("protocolVersion") == self.version, answer
            self.notify("notifications/initialized")
        return self

    def envelope(self, params: Any) -> Any:
        """``params`` with the 2026-07-28 ``_meta`` envelope added (dict params only)."""
        if not self.modern or not isinstance(params, dict):
            return params
        meta = {
            "io.modelcontextprotocol/protocolVersion": self.version,
            "io.modelcontextprotocol/clientCapabilities": {},
            "io.modelcontextprotocol/clientInfo": CLIENT_INFO,
        }
        return {**params, "_meta": {**meta, **params.get("_meta", {})}}

    def request(self, method: str, params: Any = None, *, enveloped: bool = True) -> dict[str, Any]:
        """Send one request and return the whole JSON-RPC answer (``result`` or ``error``)."""
        request_id = next(self._ids)
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None or (self.modern and enveloped):
            message["params"] = self.envelope(params if params is not None else {}) if enveloped else params
        return self.exchange(json.dumps(message), request_id)

    def call_tool(self, name: Any, arguments: Mapping[str, Any]) -> dict[str, Any]:
        return self.request("tools/call", {"name": name, "arguments": dict(arguments)})

    def notify(self, method: str, params: Mapping[str, Any] | None = None) -> None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = dict(params)
        self.send_only(json.dumps(message))

    def exchange(self, line: str, request_id: Any) -> dict[str, Any]:
        raise NotImplementedError

    def send_only(self, line: str) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class StdioSession(RawSession):
    """The server as a child process: one JSON-RPC message per line on its stdin/stdout."""

    def __init__(self, command: list[str], env: Mapping[str, str], version: str, stderr: Path) -> None:
        super().__init__(version)
        self._stderr = stderr.open("wb")
        self.process = subprocess.Popen(
            command, env=dict(env), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr
        )
        self._buffer = b""

    def send_only(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")
        self.process.stdin.flush()

    def exchange(self, line: str, request_id: Any) -> dict[str, Any]:
        self.send_only(line)
        return self.answer_to(request_id)

    def answer_to(self, request_id: Any) -> dict[str, Any]:
        """The next message answering ``request_id``; notifications in between are skipped."""
        deadline = time.monotonic() + ANSWER_DEADLINE
        while True:
            message = self._read_message(deadline)
            if message is None:
                raise NoAnswer(f"no answer to request {request_id!r} within {ANSWER_DEADLINE:g}s")
            if "method" not in message and message.get("id") == request_id:
                return message

    def _read_message(self, deadline: float) -> dict[str, Any] | None:
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        decoded: dict[str, Any] = json.loads(line)  # a non-JSON line on stdout fails the test
        return decoded

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        assert self.process.stdout is not None
        self.process.stdout.close()
        self._stderr.close()


class HttpSession(RawSession):
    """Streamable HTTP: one POST per message; the answer is JSON or a short SSE stream."""

    def __init__(self, url: str, version: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(version)
        self.url = url
        self.http = httpx2.Client(timeout=ANSWER_DEADLINE, headers=dict(headers or {}))
        self.last_status = 0
        self._initialized = False

    def headers(self) -> dict[str, str]:
        headers = dict(POST_HEADERS)
        if self.modern or self._initialized:
            headers["MCP-Protocol-Version"] = self.version
        return headers

    def open(self) -> RawSession:
        super().open()
        self._initialized = True
        return self

    def send_only(self, line: str) -> None:
        response = self.http.post(self.url, content=line, headers=self.headers() | self.routing_headers(line))
        self.last_status = response.status_code

    def routing_headers(self, line: str) -> dict[str, str]:
        """2026-07-28 over HTTP: the method and the name it acts on, repeated as headers
        (streamable HTTP, "Request Routing Headers"); the server checks they match the body."""
        if not self.modern:
            return {}
        try:
            message = json.loads(line)
        except ValueError:
            return {}
        if not isinstance(message, dict) or not isinstance(message.get("method"), str):
            return {}
        headers = {MCP_METHOD_HEADER: message["method"]}
        params = message.get("params")
        field = NAME_BEARING_METHODS.get(message["method"])
        if field and isinstance(params, dict) and isinstance(params.get(field), str):
            headers[MCP_NAME_HEADER] = encode_header_value(params[field])
        return headers

    def exchange(self, line: str, request_id: Any) -> dict[str, Any]:
        headers = self.headers() | self.routing_headers(line)
        response = self.http.post(self.url, content=line, headers=headers)
        self.last_status = response.status_code
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            for event in response.text.split("\n\n"):
                data = "".join(
                    part.removeprefix("data:").strip()
                    for part in event.splitlines()
                    if part.startswith("data:")
                )
                if data:
                    message: dict[str, Any] = json.loads(data)
                    if "method" not in message and message.get("id") == request_id:
                        return message
            raise NoAnswer(f"HTTP {response.status_code}: no answer to {request_id!r} in the event stream")
        if not response.content:
            raise NoAnswer(f"HTTP {response.status_code} with an empty body")
        answer: dict[str, Any] = response.json()
        return answer

    def close(self) -> None:
        self.http.close()


@contextmanager
def stdio_session(
    command: list[str], env: Mapping[str, str], version: str, stderr: Path
) -> Iterator[StdioSession]:
    session = StdioSession(command, env, version, stderr)
    try:
        session.open()
        yield session
    finally:
        session.close()


@contextmanager
def http_session(url: str, version: str, headers: Mapping[str, str] | None = None) -> Iterator[HttpSession]:
    session = HttpSession(url, version, headers)
    try:
        session.open()
        yield session
    finally:
        session.close()
