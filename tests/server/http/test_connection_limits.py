"""Unauthenticated connection exhaustion is bounded (issue 9 item 5), with real sockets against
``twilio-memory-mcp --transport http`` and the documented gunicorn command (its worker,
``server.http.worker.UvicornWorker``, carries the same bounds): slowloris clients are closed after the header
timeout, connections over the cap are refused at once with 503, a low file-descriptor limit
gives prompt refusals instead of timeouts and an accept-error flood, and each kind of trouble
is logged once per interval, not once per connection."""

from __future__ import annotations

import contextlib
import resource
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx2
import pytest

from tests.support.console import HANG_GUARD
from tests.support.processes import TOKEN, HttpServer, http_server
from tests.support.processes import token_environment as environment

REQUEST_START = b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n"


def port_of(server: HttpServer) -> int:
    return server.port


@contextlib.contextmanager
def sockets(server: HttpServer, count: int) -> Iterator[list[socket.socket]]:
    opened: list[socket.socket] = []
    try:
        for _ in range(count):
            opened.append(socket.create_connection(("127.0.0.1", port_of(server)), timeout=HANG_GUARD))
        yield opened
    finally:
        for sock in opened:
            sock.close()


def closed_by_server(sock: socket.socket) -> bool:
    """True once the server has closed ``sock`` (EOF or reset); never blocks."""
    sock.setblocking(False)
    try:
        return sock.recv(65536) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        sock.setblocking(True)


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + HANG_GUARD
    while not condition():
        assert time.monotonic() < deadline, f"not within {HANG_GUARD}s: {what}"
        time.sleep(0.05)


def refused_at_once(server: HttpServer) -> bool:
    """A new connection is answered 503 before it sends anything."""
    with socket.create_connection(("127.0.0.1", port_of(server)), timeout=HANG_GUARD) as sock:
        answer = b""
        with contextlib.suppress(OSError):
            while chunk := sock.recv(4096):
                answer += chunk
        return answer.startswith(b"HTTP/1.1 503 ") and b"retry-after: 1" in answer.lower()


def tools_list(server: HttpServer) -> int:
    headers = {
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": "2025-11-25",
        "Authorization": f"Bearer {TOKEN}",
    }
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    return httpx2.post(server.mcp, json=body, headers=headers, timeout=HANG_GUARD).status_code


RUNNERS = pytest.mark.parametrize("runner", ["cli", "gunicorn"])


@RUNNERS
def test_slowloris_clients_are_closed_after_the_header_timeout(tmp_path: Path, runner: str) -> None:
    env = environment(TWILIO_MEMORY_HEADER_TIMEOUT="1")
    with http_server(env, tmp_path, runner=runner) as server, sockets(server, 30) as clients:
        for sock in clients:
            sock.sendall(REQUEST_START)
        # A header line now and then, never the blank line that ends the head.
        deadline = time.monotonic() + HANG_GUARD
        while not all(closed_by_server(sock) for sock in clients):
            assert time.monotonic() < deadline, "slow request heads are still held"
            for sock in clients:
                with contextlib.suppress(OSError):
                    sock.sendall(b"X-Slow: 1\r\n")
            time.sleep(0.2)
        assert tools_list(server) == 200  # the server itself is fine
        logs = server.stderr
    reports = logs.count("closed for not sending a request head within 1s")
    assert 1 <= reports <= (1 if runner == "cli" else 2)  # once per process, not 30 times


@RUNNERS
def test_connections_over_the_cap_are_refused_at_once(tmp_path: Path, runner: str) -> None:
    env = environment(TWILIO_MEMORY_MAX_CONNECTIONS="20", TWILIO_MEMORY_HEADER_TIMEOUT="120")
    # One gunicorn worker: the cap is per worker, and which worker accepts a socket is the kernel's.
    with http_server(env, tmp_path, runner=runner, workers=1) as server:
        with sockets(server, 20):  # idle: they send nothing
            wait_until(lambda: refused_at_once(server), "the 21st connection is refused")
            assert all(refused_at_once(server) for _ in range(30))
            assert tools_list(server) == 503  # a legitimate call is refused, promptly
        wait_until(lambda: tools_list(server) == 200, "calls are served again")
        logs = server.stderr
    assert logs.count("refused with 503: at the cap of 20") == 1


def test_a_low_descriptor_limit_gives_refusals_not_timeouts_nor_a_log_flood(tmp_path: Path) -> None:
    def low_limit() -> None:  # in the child: 256 descriptors, as a small container might have
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))

    with http_server(environment(), tmp_path, preexec_fn=low_limit) as server:
        with sockets(server, 300):  # more idle sockets than the server has descriptors
            wait_until(lambda: refused_at_once(server), "connections over the fitted cap are refused")
            assert tools_list(server) == 503
        wait_until(lambda: tools_list(server) == 200, "calls are served again")
        logs = server.stderr
    assert "does not fit under the file descriptor limit (256)" in logs
    assert "out of system resource" not in logs and "Traceback" not in logs
    assert len(logs) < 20_000, f"{len(logs)} characters of log"


@pytest.mark.parametrize("name", ["TWILIO_MEMORY_MAX_CONNECTIONS", "TWILIO_MEMORY_HEADER_TIMEOUT"])
def test_the_bounds_are_settings(name: str) -> None:
    from server.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match=name):
        load_settings({name: "0"})
