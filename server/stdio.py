"""The stdio transport: stdin and stdout served from the event loop where they are pipes
(server/stdio_pipes.py), else the SDK's; plus an answer for every request line it would drop.

The SDK's stdio reader turns a line that is not a valid JSON-RPC message into an exception
on its read stream, and the dispatcher drops it with a DEBUG line: a request whose ``params``
is an array (JSON-RPC allows by-position params; MCP does not) would go unanswered, and its
client wait for ever (issue 9, item 7). Over HTTP the SDK already answers such a body 400.

Here the read stream is wrapped: a line that decodes to a request with a usable ``id`` gets
the JSON-RPC 2.0 error it is owed (section 5.1: ``-32602`` for params that are not an
object, ``-32600`` for anything else malformed), a line that is not JSON gets ``-32700``
with a null id, and a malformed notification stays unanswered, as JSON-RPC says.

It also serves the handshake to a client whose opening ``server/discover`` timed out before
this process could read it (see :meth:`AnsweringReadStream._open_with_discover`).
"""

from __future__ import annotations

import logging
from typing import Any

import anyio
from anyio.abc import ObjectReceiveStream
from mcp.server.mcpserver import MCPServer
from mcp.server.stdio import stdio_server
from mcp.shared._stream_protocols import ReadStream, WriteStream
from mcp.shared.message import SessionMessage
from mcp_types import INVALID_REQUEST, JSONRPCError, JSONRPCRequest
from pydantic import ValidationError

from server.jsonrpc_shape import error_answer, malformed, not_json
from server.stdio_loop import serve_connection
from server.stdio_pipes import pipe_streams

logger = logging.getLogger("twilio_memory_mcp.stdio")

_NOT_JSON = object()
_UNKNOWN = object()


# How long a server/discover that opens a connection waits for an initialize queued behind it
# (see AnsweringReadStream._open_with_discover); paid once, by 2026-07-28 stdio clients. When
# both lines are queued, the second reaches us 0.6-0.9 ms after the first (measured with
# --sandbox, 5 runs): the window leaves a wide margin for a loaded machine.
_FALLBACK_WINDOW = 0.025


def _is_request(item: SessionMessage | Exception) -> bool:
    return isinstance(item, SessionMessage) and isinstance(item.message, JSONRPCRequest)


def _method(item: SessionMessage | Exception) -> str | None:
    return (
        item.message.method
        if isinstance(item, SessionMessage) and isinstance(item.message, JSONRPCRequest)
        else None
    )


async def serve_stdio(server: MCPServer[Any]) -> None:
    """What ``MCPServer.run_stdio_async`` does (mcp 2.3), with the read stream wrapped.

    The SDK offers no public way to hand ``MCPServer`` other streams, so this reaches its
    low-level server as ``run_stdio_async`` itself does; tests/server/test_stdio_protocol.py fails
    loudly if that attribute goes away.
    """
    lowlevel = server._lowlevel_server
    options = lowlevel.create_initialization_options()
    async with pipe_streams() as pipes:
        if pipes is not None:
            logger.debug("stdio: stdin and stdout served from the event loop")
            read_pipe, write_pipe = pipes
            await serve_connection(lowlevel, AnsweringReadStream(read_pipe, write_pipe), write_pipe, options)
            return
    logger.debug("stdio: stdin and stdout served by the SDK's transport")
    async with stdio_server() as (read_stream, write_stream):
        await serve_connection(
            lowlevel, AnsweringReadStream(read_stream, write_stream), write_stream, options
        )


class AnsweringReadStream(ObjectReceiveStream[SessionMessage | Exception]):
    """A read stream that answers malformed requests itself, serves the handshake to a client
    that gave up on discovery, and passes everything else on."""

    def __init__(
        self, inner: ReadStream[SessionMessage | Exception], answers: WriteStream[SessionMessage]
    ) -> None:
        self._inner = inner
        self._answers = answers
        self._held: list[SessionMessage | Exception] = []
        self._opened = False

    @property
    def last_context(self) -> Any:
        # The SDK reads the sender's context off the stream it was given (ReadStream docs).
        return getattr(self._inner, "last_context", None)

    async def receive(self) -> SessionMessage | Exception:
        if self._held:
            return self._held.pop(0)
        item = await self._next()
        if self._opened or not _is_request(item):
            return item
        self._opened = True
        if _method(item) != "server/discover":
            return item
        return await self._open_with_discover(item)

    async def _open_with_discover(self, discover: SessionMessage | Exception) -> SessionMessage | Exception:
        """The SDK decides a stdio connection's era by its first request, once. A client whose
        ``server/discover`` went unanswered for its timeout (the Vercel AI SDK waits 1 s; this
        server takes about that long to start) falls back to ``initialize`` on the same pipe,
        which a connection opened by ``server/discover`` refuses (-32022), so it never
        connects. When ``initialize`` is already queued right behind the opening
        ``server/discover``, serve the handshake the client fell back to, and drop the
        discovery it abandoned (answering it would reach a client that forgot the id)."""
        follower: SessionMessage | Exception | None = None
        with anyio.move_on_after(_FALLBACK_WINDOW):
            follower = await self._next()
        if follower is None:
            return discover
        if _method(follower) == "initialize":
            logger.info("server/discover was abandoned for initialize: serving the handshake")
            return follower
        self._held.append(follower)
        return discover

    async def _next(self) -> SessionMessage | Exception:
        while True:
            item = await self._inner.receive()
            if not isinstance(item, ValidationError):
                return item
            answer = answer_for(item)
            if answer is None:
                return item  # nothing to answer (a notification): the SDK drops it
            logger.info("refused a malformed message: %s", answer.error.message)
            with anyio.CancelScope(shield=True):  # an answer is never half sent
                await self._answers.send(SessionMessage(answer))

    async def aclose(self) -> None:
        await self._inner.aclose()


def answer_for(error: ValidationError) -> JSONRPCError | None:
    """The JSON-RPC error owed for a line that failed to parse as a message, if any."""
    message = _message_of(error)
    if message is _UNKNOWN:
        return None
    if message is _NOT_JSON:
        return not_json()
    answer = malformed(message)
    if answer is None and isinstance(message, dict) and "id" in message:
        # A request with every part we check right that still is not a message (no method
        # and no result, say): owed an answer all the same.
        return error_answer(message["id"], INVALID_REQUEST, "Invalid Request: not a JSON-RPC 2.0 request")
    return answer


def _message_of(error: ValidationError) -> object:
    """The decoded line, as pydantic saw it: the message union's model-level errors carry it."""
    for item in error.errors():
        if item["type"] == "json_invalid":
            return _NOT_JSON
        if len(item["loc"]) == 1 or (item["type"] == "missing" and len(item["loc"]) == 2):
            return item["input"]
    return _UNKNOWN
