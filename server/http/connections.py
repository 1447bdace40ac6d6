"""Bounds on the HTTP transport's connections (issue 9 item 5).

uvicorn (0.54) waits forever for a request head that never completes, and accepts every
connection until the process runs out of file descriptors; then ``accept()`` fails in a loop
and asyncio logs a traceback for each failure. So, in ``twilio-memory-mcp --transport http``:

- **A request head must arrive within** ``TWILIO_MEMORY_HEADER_TIMEOUT`` seconds of the
  connection opening, or of the previous response ending; else the connection is closed
  (slowloris). uvicorn's keep-alive timeout (5 s) still closes idle keep-alive connections
  sooner; once a head is in, the request's own time is the tool call's deadline.
- **At most** ``TWILIO_MEMORY_MAX_CONNECTIONS`` **connections** are held, below the process's
  file-descriptor limit (raised to its hard limit at start; the cap is lowered to fit). One
  over the cap is answered ``503`` with ``Retry-After`` and closed at once, before reading
  anything: a prompt refusal a load balancer can act on, rather than a timeout. (uvicorn's
  ``limit_concurrency`` counts the same connections but answers only once a request arrives,
  so idle sockets would still be held.)
- **A response's head goes out with its body**, in one ``send`` (:mod:`server.http.one_write`).
- **Said once per interval**: refusals, slow heads and ``accept()`` failures are counted and
  logged at most once a minute each, not once per connection.

The proxy in front should bound the same things closer to the clients (README, Behind a
reverse proxy). Under gunicorn the worker builds uvicorn's protocol itself: only the
``accept()`` log bound applies there (:func:`quiet_accept_errors`, from the app's lifespan).
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from server.http.one_write import HeadWithBody

logger = logging.getLogger("twilio_memory_mcp.connections")

REPORT_INTERVAL = 60.0  # seconds between two log lines about the same kind of trouble
# File descriptors kept aside from the cap: the upstream pool (added per settings), the
# listening socket, the audit log, stdio, the loop's own.
FD_RESERVE = 64
REFUSAL = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: 32\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
    b"too many connections, try again\n"
)


@dataclass
class Reporter:
    """Counts events of one kind and logs them at most once per :data:`REPORT_INTERVAL`."""

    message: str
    count: int = 0
    last: float = field(default=-REPORT_INTERVAL)

    def note(self, *args: Any) -> None:
        self.count += 1
        now = time.monotonic()
        if now - self.last >= REPORT_INTERVAL:
            logger.warning(self.message, self.count, *args)
            self.count = 0
            self.last = now


@dataclass
class ConnectionLimits:
    max_connections: int
    header_timeout: float
    refused: Reporter = field(
        default_factory=lambda: Reporter(
            "%d connection(s) refused with 503: at the cap of %d (TWILIO_MEMORY_MAX_CONNECTIONS); "
            "logged at most once a minute"
        )
    )
    slow: Reporter = field(
        default_factory=lambda: Reporter(
            "%d connection(s) closed for not sending a request head within %gs "
            "(TWILIO_MEMORY_HEADER_TIMEOUT); logged at most once a minute"
        )
    )

    def protocol(self) -> type[H11Protocol]:
        """uvicorn's h11 protocol class, bounded by these limits (``uvicorn.Config(http=...)``)."""
        limits = self

        class GuardedH11Protocol(H11Protocol):
            _header_timer: asyncio.TimerHandle | None = None
            _seen_cycle: object = None

            def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
                super().connection_made(transport)
                if len(self.connections) > limits.max_connections:
                    transport.write(REFUSAL)
                    transport.close()
                    limits.refused.note(limits.max_connections)
                    return
                # After uvicorn's own setup, whose flow control stays on the real transport.
                self.transport = HeadWithBody(transport, self)  # type: ignore[assignment]
                self._arm()

            def handle_events(self) -> None:
                super().handle_events()
                if self.cycle is not None and self.cycle is not self._seen_cycle:
                    self._seen_cycle = self.cycle  # a request head was read: its timer is done
                    self._disarm()

            def on_response_complete(self) -> None:
                self._arm()  # the next head must come in time too (a pipelined one disarms it)
                super().on_response_complete()

            def connection_lost(self, exc: Exception | None) -> None:
                self._disarm()
                super().connection_lost(exc)

            def _arm(self) -> None:
                self._disarm()
                self._header_timer = self.loop.call_later(limits.header_timeout, self._too_slow)

            def _disarm(self) -> None:
                if self._header_timer is not None:
                    self._header_timer.cancel()
                    self._header_timer = None

            def _too_slow(self) -> None:
                self._header_timer = None
                if not self.transport.is_closing():
                    limits.slow.note(limits.header_timeout)
                    self.transport.close()

        return GuardedH11Protocol


def fit_to_descriptors(wanted: int, reserve: int) -> int:
    """Raise the soft file-descriptor limit to the hard one, and return the connection cap
    that fits under it (``wanted``, or less with a warning)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = 1_048_576 if hard == resource.RLIM_INFINITY else hard
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    fits = max(1, soft - reserve)
    if wanted > fits:
        logger.warning(
            "TWILIO_MEMORY_MAX_CONNECTIONS=%d does not fit under the file descriptor limit (%d); "
            "holding at most %d connections",
            wanted,
            soft,
            fits,
        )
        return fits
    return wanted


@asynccontextmanager
async def quiet_accept_errors() -> AsyncIterator[None]:
    """While serving: ``accept()`` failures for lack of descriptors are counted and logged
    once a minute, instead of asyncio's traceback per failure."""
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()
    reporter = Reporter("%d accept() failure(s): out of file descriptors (%s); logged at most once a minute")

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if str(context.get("message", "")).startswith("socket.accept() out of system resource"):
            reporter.note(type(context.get("exception")).__name__)
        elif previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)
    try:
        yield
    finally:
        loop.set_exception_handler(previous)
