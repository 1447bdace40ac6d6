"""stdin and stdout served from the event loop (server/stdio_pipes.py).

In process, over two os.pipe() pairs, where the bytes and their order are exact: lines in
pieces, a last line without a newline, lines of megabytes, invalid UTF-8, answers larger than a
pipe holds, a client that closes its end of stdout. Then the console script itself: where
stdin is a file or stderr shares stdout's pipe it falls back to the SDK's transport, and it
stops promptly on SIGINT or when the client closes stdout.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp.shared.message import SessionMessage
from mcp_types import JSONRPCNotification, JSONRPCRequest, JSONRPCResponse
from pydantic import ValidationError

from server.stdio_pipes import PipeReadStream, open_streams
from tests.support.console import HANG_GUARD, SCRIPT, clean_environment

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "t", "version": "0"},
    },
}


class Pipes:
    """The server's ends (stdin's read end, stdout's write end) and the client's."""

    def __init__(self) -> None:
        self.server_in, self.client_out = os.pipe()
        self.client_in, self.server_out = os.pipe()

    def send(self, *chunks: bytes, close: bool = False) -> threading.Thread:
        """Write chunks to the server's stdin from a thread (a pipe holds 64 KiB)."""

        def write() -> None:
            for chunk in chunks:
                view = memoryview(chunk)
                while view:
                    view = view[os.write(self.client_out, view) :]
            if close:
                fd, self.client_out = self.client_out, -1
                os.close(fd)

        thread = threading.Thread(target=write, daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        for fd in (self.server_in, self.client_out, self.client_in, self.server_out):
            if fd >= 0:
                os.close(fd)


@pytest.fixture
def pipes() -> Iterator[Pipes]:
    pair = Pipes()
    try:
        yield pair
    finally:
        pair.close()


async def read_all(stream: PipeReadStream) -> list[SessionMessage | Exception]:
    with anyio.fail_after(HANG_GUARD):
        return [item async for item in stream]


def line(message: dict[str, Any]) -> bytes:
    return json.dumps(message).encode() + b"\n"


def methods(items: list[SessionMessage | Exception]) -> list[str]:
    found = []
    for item in items:
        assert isinstance(item, SessionMessage), item
        assert isinstance(item.message, JSONRPCRequest | JSONRPCNotification)
        found.append(item.message.method)
    return found


@pytest.mark.anyio
async def test_lines_in_pieces_in_order_and_a_last_line_without_a_newline(pipes: Pipes) -> None:
    ping = line({"jsonrpc": "2.0", "id": 2, "method": "ping"})
    initialized = line({"jsonrpc": "2.0", "method": "notifications/initialized"})[:-1] + b"\r\n"  # CRLF
    many = b"".join(line({"jsonrpc": "2.0", "id": n, "method": f"m{n}"}) for n in range(300))
    last = b'{"jsonrpc": "2.0", "id": 9, "method": "last"}'  # no newline: EOF ends it
    async with open_streams(pipes.server_in, pipes.server_out) as (read, _):
        pipes.send(ping[:7], ping[7:20], ping[20:] + initialized[:5], initialized[5:], many, last, close=True)
        items = await read_all(read)
    assert methods(items) == ["ping", "notifications/initialized", *(f"m{n}" for n in range(300)), "last"]


@pytest.mark.anyio
async def test_a_line_of_megabytes_arrives_whole(pipes: Pipes) -> None:
    text = "x" * (8 * 1024 * 1024)
    call = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "t", "arguments": {"text": text}},
    }
    async with open_streams(pipes.server_in, pipes.server_out) as (read, _):
        pipes.send(line(call), close=True)
        items = await read_all(read)
    assert len(items) == 1
    item = items[0]
    assert isinstance(item, SessionMessage) and isinstance(item.message, JSONRPCRequest)
    assert item.message.params is not None
    assert item.message.params["arguments"]["text"] == text


@pytest.mark.anyio
async def test_bad_bytes_are_replaced_and_bad_lines_handed_on_as_errors(pipes: Pipes) -> None:
    # As the SDK's reader: UTF-8 with invalid bytes replaced; a line that is not a message is
    # handed to the dispatcher as the validation error (server/stdio.py answers it).
    bad_utf8 = b'{"jsonrpc": "2.0", "id": 1, "method": "caf\xff"}\n'
    async with open_streams(pipes.server_in, pipes.server_out) as (read, _):
        pipes.send(bad_utf8, b"not json\n", b"\n", b'{"jsonrpc": "2.0", "id": 2}\r\n', close=True)
        items = await read_all(read)
    assert len(items) == 4
    first = items[0]
    assert isinstance(first, SessionMessage) and isinstance(first.message, JSONRPCRequest)
    assert first.message.method == "caf\ufffd"
    assert all(isinstance(item, ValidationError) for item in items[1:])


@pytest.mark.anyio
async def test_answers_are_compact_lines_even_larger_than_a_pipe_holds(pipes: Pipes) -> None:
    big = JSONRPCResponse(jsonrpc="2.0", id=1, result={"text": "y" * (4 * 1024 * 1024)})
    small = JSONRPCResponse(jsonrpc="2.0", id=2, result={})
    received = bytearray()

    def drain() -> None:  # the client reads stdout as a client does, at its own pace
        while received.count(b"\n") < 2:
            chunk = os.read(pipes.client_in, 65536)
            if not chunk:
                return
            received.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    async with open_streams(pipes.server_in, pipes.server_out) as (_, write):
        reader.start()
        with anyio.fail_after(HANG_GUARD):
            await write.send(SessionMessage(big))
            await write.send(SessionMessage(small))
        assert not os.get_blocking(pipes.server_out)
        assert os.get_blocking(pipes.server_in)  # stdin's open file is never made non-blocking
    reader.join(HANG_GUARD)
    assert os.get_blocking(pipes.server_out)  # and stdout's is blocking again after
    lines = bytes(received).split(b"\n")
    assert lines[:2] == [
        message.model_dump_json(by_alias=True, exclude_unset=True).encode() for message in (big, small)
    ]
    assert lines[2:] == [b""]


@pytest.mark.anyio
async def test_a_client_that_closes_stdout_ends_the_connection(pipes: Pipes) -> None:
    async with open_streams(pipes.server_in, pipes.server_out) as (read, write):
        fd, pipes.client_in = pipes.client_in, -1
        os.close(fd)
        assert await read_all(read) == []  # the end of the read stream, with stdin still open
        await write.send(SessionMessage(JSONRPCResponse(jsonrpc="2.0", id=1, result={})))  # dropped


def run_to_end(stdin: Any) -> tuple[bytes, bytes]:
    process = subprocess.Popen(
        [SCRIPT, "--sandbox"],
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=clean_environment(TWILIO_MEMORY_LOG_LEVEL="DEBUG"),
    )
    out, err = process.communicate(timeout=HANG_GUARD)
    assert process.returncode == 0, err
    return out, err


def test_a_file_on_stdin_is_served_by_the_sdks_transport(tmp_path: Path) -> None:
    # Only initialize: at the end of stdin the SDK cancels requests still in flight.
    requests = tmp_path / "requests.jsonl"
    requests.write_bytes(line(INITIALIZE))
    with requests.open("rb") as stdin:
        out, err = run_to_end(stdin)
    assert json.loads(out)["id"] == 1
    assert b"served by the SDK's transport" in err


def test_pipes_are_served_from_the_event_loop() -> None:
    process = subprocess.Popen(
        [SCRIPT, "--sandbox"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=clean_environment(TWILIO_MEMORY_LOG_LEVEL="DEBUG"),
    )
    out, err = process.communicate(line(INITIALIZE), timeout=HANG_GUARD)
    assert process.returncode == 0, err
    assert json.loads(out)["id"] == 1
    assert b"served from the event loop" in err


def test_stderr_sharing_stdouts_pipe_is_served_by_the_sdks_transport() -> None:
    # Non-blocking stdout would make the shared stderr non-blocking too: left to the SDK.
    process = subprocess.Popen(
        [SCRIPT, "--sandbox"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=clean_environment(TWILIO_MEMORY_LOG_LEVEL="DEBUG"),
    )
    out, _ = process.communicate(line(INITIALIZE), timeout=HANG_GUARD)
    assert process.returncode == 0, out
    assert b"served by the SDK's transport" in out
    assert b'"id":1,"result"' in out


def started(tmp_path: Path) -> tuple[subprocess.Popen[bytes], Path]:
    stderr_path = tmp_path / "stderr.log"
    with stderr_path.open("wb") as errors:
        process = subprocess.Popen(
            [SCRIPT, "--sandbox"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            env=clean_environment(),
        )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(line(INITIALIZE))
    process.stdin.flush()
    assert json.loads(process.stdout.readline())["id"] == 1
    return process, stderr_path


def test_sigint_stops_the_server_while_it_waits_for_stdin(tmp_path: Path) -> None:
    process, _ = started(tmp_path)
    try:
        process.send_signal(signal.SIGINT)
        assert process.wait(HANG_GUARD) == 130  # server/cli.py's exit status for an interrupt
    finally:
        process.kill()
        process.communicate()


def test_a_client_that_closes_stdout_stops_the_server(tmp_path: Path) -> None:
    process, stderr_path = started(tmp_path)
    try:
        assert process.stdout is not None
        process.stdout.close()
        assert process.wait(HANG_GUARD) == 0  # with stdin still open
        assert "stdout was closed by the client" in stderr_path.read_text()
        assert "Traceback" not in stderr_path.read_text()
    finally:
        process.kill()
        process.communicate()


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_stopped_server_leaves_stdout_blocking_as_it_found_it(stop: int) -> None:
    # The loop makes stdout non-blocking; its open file may be a shell's or a supervisor's
    # too, which would then get EAGAIN on its own writes. Put back on SIGTERM as on SIGINT
    # (found in review: SIGTERM's default action ran no finally).
    read_end, write_end = os.pipe()  # write_end kept here, as a wrapping shell keeps its stdout
    process = subprocess.Popen(
        [SCRIPT, "--sandbox"],
        stdin=subprocess.PIPE,
        stdout=write_end,
        stderr=subprocess.DEVNULL,
        env=clean_environment(),
    )
    try:
        assert process.stdin is not None
        process.stdin.write(line(INITIALIZE))
        process.stdin.flush()
        with os.fdopen(read_end, "rb", closefd=False) as out:
            assert json.loads(out.readline())["id"] == 1  # serving: stdout is the loop's now
        process.send_signal(stop)
        process.wait(HANG_GUARD)
        assert os.get_blocking(write_end)
        if stop == signal.SIGTERM:
            assert process.returncode == -signal.SIGTERM  # still dies of it, as before
    finally:
        process.kill()
        process.wait()
        assert process.stdin is not None
        process.stdin.close()
        os.close(read_end)
        os.close(write_end)
