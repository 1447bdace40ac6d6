"""A response's head goes out with the first piece of its body: one ``send``, not two.

uvicorn's h11 protocol writes the status line and headers to the socket as soon as the app
sends ``http.response.start``, and the body on ``http.response.body``. The SDK's answer to a
tool call sends both in the same step, so each answer cost two ``send`` calls and reached the
client as two segments: the client woke for a head it could not use without the body, then
again for the body (issue 17: over loopback, with a sleeping client, the body followed its
head by 0.5-0.9 ms). Held here, the head is written with the body's first write; a head whose
body does not follow in the same loop step (a stream waiting for its first event) is written
on the next one, so no response waits on this.

Only a response's head is held: the ``100 Continue`` a client may wait for before sending a
body, the protocol's own ``400`` and the connection refusal are written at once.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol


class HeadWithBody:
    """The connection's transport as uvicorn's protocol and request cycles see it."""

    def __init__(self, transport: asyncio.Transport, protocol: H11Protocol) -> None:
        self._transport = transport
        self._protocol = protocol
        self._held: bytes | None = None
        self._held_for: object = None  # the request cycle whose head was held last
        self._later: asyncio.Handle | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._held is not None:
            held, self._held = self._held, None
            self._cancel_later()
            self._transport.write(held + bytes(data))
            return
        cycle = self._protocol.cycle
        if cycle is not None and cycle.response_started and cycle is not self._held_for:
            # The first write of a cycle whose response has started is that response's head
            # (uvicorn sets response_started just before writing it).
            self._held, self._held_for = bytes(data), cycle
            self._later = self._protocol.loop.call_soon(self._write_held)
            return
        self._transport.write(data)

    def close(self) -> None:
        self._write_held()
        self._transport.close()

    def _write_held(self) -> None:
        self._later = None
        held, self._held = self._held, None
        if held is not None and not self._transport.is_closing():
            self._transport.write(held)

    def _cancel_later(self) -> None:
        if self._later is not None:
            self._later.cancel()
            self._later = None

    def __getattr__(self, name: str) -> Any:
        # Everything else (is_closing, get_extra_info, pause_reading, ...) is the transport's.
        return getattr(self._transport, name)
