"""One stdio connection served as the SDK's ``Server.run`` serves it, without its era relay.

``Server.run`` (mcp 2.3) chooses a connection's protocol era from its first request
(``serve_dual_era_loop``), then relays every later message through a task and a memory stream
for the connection's life (``_replay_from_opening_request``): two more turns of the event loop
per message, 30 to 90 us of a ``tools/call`` round trip over stdio (docs/performance.md,
"Latency over stdio"). Here the first request is found the same way (at most eight frames
kept before it, as the SDK keeps) and everything after it is read straight from the
transport by the era's dispatcher.

The era's serving loops are the SDK's own, and private: where they are missing,
:func:`serve_connection` calls ``Server.run`` as before (tests/server/test_stdio_pipes.py fails
loudly if that happens).
"""

from __future__ import annotations

import logging
from typing import Any

import anyio
from anyio.abc import ObjectReceiveStream
from mcp.server.lowlevel.server import Server
from mcp.server.models import InitializationOptions
from mcp.shared._stream_protocols import ReadStream, WriteStream
from mcp.shared.message import SessionMessage
from mcp_types import JSONRPCRequest

try:
    from mcp.server.runner import _has_modern_envelope, _serve_legacy_stream, _serve_modern_stream
except ImportError:  # pragma: no cover - see the module's docstring
    _serve_legacy_stream = None  # type: ignore[assignment]

logger = logging.getLogger("twilio_memory_mcp.stdio")

# Frames kept from before the first request (the SDK's _PRE_REQUEST_REPLAY_LIMIT): a bare
# notifications/initialized is the one that matters; any further are dropped.
_KEPT_BEFORE_REQUEST = 8

Item = SessionMessage | Exception


async def serve_connection(
    server: Server[Any],
    read_stream: ReadStream[Item],
    write_stream: WriteStream[SessionMessage],
    options: InitializationOptions,
) -> None:
    """What ``server.run(read_stream, write_stream, options)`` does, without the relay."""
    if _serve_legacy_stream is None:  # pragma: no cover
        await server.run(read_stream, write_stream, options)
        return
    async with server.lifespan(server) as state:
        # As serve_dual_era_loop: the write stream is closed on every way out.
        try:
            lead, opening = await _until_first_request(read_stream)
            stream = Replayed(lead, read_stream)
            try:
                if (
                    opening is not None
                    and opening.method != "initialize"
                    and _has_modern_envelope(opening.params)
                ):
                    await _serve_modern_stream(
                        server, stream, write_stream, lifespan_state=state, raise_exceptions=False
                    )
                else:
                    await _serve_legacy_stream(
                        server,
                        stream,
                        write_stream,
                        lifespan_state=state,
                        session_id=None,
                        init_options=options,
                        raise_exceptions=False,
                    )
            finally:
                await read_stream.aclose()
        finally:
            await write_stream.aclose()


async def _until_first_request(read_stream: ReadStream[Item]) -> tuple[list[Item], JSONRPCRequest | None]:
    """The frames up to and including the first request, and that request (None at EOF)."""
    lead: list[Item] = []
    try:
        async for item in read_stream:
            if isinstance(item, SessionMessage) and isinstance(item.message, JSONRPCRequest):
                lead.append(item)
                return lead, item.message
            if len(lead) >= _KEPT_BEFORE_REQUEST:
                logger.debug("dropped a frame received before the first request")
                continue
            lead.append(item)
    except anyio.ClosedResourceError:
        pass  # closed under us: the end of the stream, as for the SDK
    return lead, None


class Replayed(ObjectReceiveStream[Item]):
    """The frames read before the era was chosen, then the transport's own stream."""

    def __init__(self, lead: list[Item], inner: ReadStream[Item]) -> None:
        self._lead = lead
        self._inner = inner

    @property
    def last_context(self) -> Any:
        # The SDK reads the sender's context off the stream it was given (ReadStream docs).
        return getattr(self._inner, "last_context", None)

    async def receive(self) -> Item:
        if self._lead:
            return self._lead.pop(0)
        return await self._inner.receive()

    async def aclose(self) -> None:
        await self._inner.aclose()
