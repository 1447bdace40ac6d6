"""A request body read once by the first ASGI gate that needs it, for every gate after it.

Under OAuth the bearer gate reads a POST's body (which tools does it call?) and the protocol
gate reads it again (which JSON-RPC id, is it well formed?), each with its own copy of the
buffering code and its own ``json.loads`` (issue 17). The first read is kept in the ASGI
scope (an extension key, which servers and other apps leave alone) with the body decoded
at most once; the gate after it gets the same bytes and the same decoded value, and hands on
the ``receive`` it was given, which already replays the body to the SDK (which parses it a
last time: its own reader is not ours to replace).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from starlette.types import Message, Receive, Scope

_KEY = "twilio_memory_mcp.body"
_UNDECODED = object()


@dataclass
class Body:
    """A request's body: its bytes (None when longer than the limit or the client left)."""

    raw: bytes | None
    _decoded: object = field(default=_UNDECODED, repr=False)

    def decoded(self) -> object:
        """The body as JSON, None when it is not JSON this server can read; decoded once."""
        if self._decoded is _UNDECODED:
            self._decoded = _decode(self.raw)
        return self._decoded


async def read_body(scope: Scope, receive: Receive, limit: int) -> tuple[Body, Receive]:
    """The request's :class:`Body` (up to ``limit`` bytes), and a ``receive`` that replays it.

    Read from the network by the first caller; a later gate gets the same :class:`Body` and
    its own ``receive`` back unchanged (it is the first gate's replay already)."""
    known = scope.get(_KEY)
    if isinstance(known, Body):
        return known, receive
    messages: list[Message] = []
    chunks: list[bytes] = []
    size = 0
    raw: bytes | None = None
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break  # the client left: no body
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            break  # too long: the MCP app answers 413 when the replay reaches it
        chunks.append(chunk)
        if not message.get("more_body", False):
            raw = b"".join(chunks)
            break
    body = Body(raw)
    scope[_KEY] = body

    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    return body, replay


def _decode(raw: bytes | None) -> object:
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):  # the SDK answers -32700 itself
        # RecursionError: a body nested deeper than Python's parser goes ("[[[[..." in 1 MiB
        # reaches it) is not JSON we can read either; uncaught, it is a 500 and a traceback.
        return None
