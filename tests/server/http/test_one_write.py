"""A response's head and body leave in one write (issue 17, server/http/one_write.py), on the
protocol the console script and the gunicorn worker run, fed bytes in process."""

from __future__ import annotations

import asyncio
from typing import Any

import anyio
import pytest
import uvicorn
from starlette.types import Receive, Scope, Send
from uvicorn.server import ServerState

from server.http.connections import ConnectionLimits
from tests.support.console import HANG_GUARD

pytestmark = pytest.mark.anyio

POST = b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}"


class Transport(asyncio.Transport):
    """Records what is written, in how many calls."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closing = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if data:
            self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 5555) if name in ("sockname", "peername") else default

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def connection(app: Any) -> tuple[asyncio.Protocol, ServerState, Transport]:
    config = uvicorn.Config(app, log_config=None, lifespan="off")
    state = ServerState()
    protocol = ConnectionLimits(10, 30.0).protocol()(config, state, {}, _loop=asyncio.get_running_loop())
    transport = Transport()
    protocol.connection_made(transport)
    return protocol, state, transport


async def answered(state: ServerState, count: int) -> None:
    with anyio.fail_after(HANG_GUARD):
        while state.total_requests < count or state.tasks:
            await asyncio.sleep(0)


async def serve(app: Any, *requests: bytes) -> list[bytes]:
    """The writes the protocol makes answering ``requests``, sent one after the other on one
    connection."""
    protocol, state, transport = connection(app)
    for number, request in enumerate(requests, start=1):
        protocol.data_received(request)
        await answered(state, number)
    protocol.connection_lost(None)
    return transport.writes


async def answer(scope: Scope, receive: Receive, send: Send) -> None:
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"7")]})
    await send({"type": "http.response.body", "body": b'{"a":1}'})


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # the protocol is asyncio's, as under uvicorn


async def test_head_and_body_are_one_write_on_every_request_of_a_connection() -> None:
    writes = await serve(answer, POST, POST)
    assert len(writes) == 2, writes
    for write in writes:
        assert write.startswith(b"HTTP/1.1 200 OK\r\n") and write.endswith(b'\r\n\r\n{"a":1}')


async def test_a_head_whose_body_comes_later_is_written_first_and_alone() -> None:
    async def stream(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        headers = [(b"content-type", b"text/plain")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for _ in range(3):
            await asyncio.sleep(0)
        await send({"type": "http.response.body", "body": b"event", "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    writes = await serve(stream, POST)
    assert writes[0].startswith(b"HTTP/1.1 200 OK\r\n") and writes[0].endswith(b"\r\n\r\n")
    assert b"event" in writes[1]
    assert writes[-1] == b"0\r\n\r\n"


async def test_100_continue_is_not_held() -> None:
    seen: list[int] = []

    async def expecting(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(len(written))  # nothing written before the app asks for the body
        await answer(scope, receive, send)

    protocol, state, transport = connection(expecting)
    written = transport.writes
    head = b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n"
    protocol.data_received(head)
    with anyio.fail_after(HANG_GUARD):
        while not written:  # the app is waiting for the body: the client must be told to send it
            await asyncio.sleep(0)
    assert seen == [0] and len(written) == 1 and written[0].startswith(b"HTTP/1.1 100 ")
    protocol.data_received(b"{}")
    await answered(state, 1)
    assert len(written) == 2
    assert written[1].startswith(b"HTTP/1.1 200 OK\r\n") and written[1].endswith(b'{"a":1}')
    protocol.connection_lost(None)
