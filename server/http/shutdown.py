"""Graceful shutdown of the HTTP transport: in-flight calls finish, or answer an error.

On SIGTERM (or SIGINT) uvicorn stops accepting connections and waits for the running
requests. Two things stood in the way of those requests being answered (issue 9 item 2):

1. sse-starlette (which the SDK uses for every 2025-protocol answer stream) patches
   ``uvicorn.Server.handle_exit`` and, at the signal, ends every ``EventSourceResponse`` at
   once (``AppStatus.should_exit``; its ``_shutdown_watcher`` also polls the server's own
   ``should_exit``). Every 2025-protocol call in flight lost its stream: no answer, an
   ``incomplete chunked read``. :func:`keep_streams_open_on_exit` turns that off; our streams
   are request-scoped and end with their answer.
2. A call still running when the grace runs out was cancelled by the server with its
   connection: a cut stream again. :class:`GracefulShutdown` hooks the same signals, starts
   its own clock of ``grace`` seconds, and then cuts the calls still running through
   :class:`tools.in_flight.InFlight`: each answers a JSON-RPC error, and only then does the
   connection close. The ASGI server's own bound must therefore be a little longer than
   ``grace`` (:data:`ANSWER_MARGIN`): ``twilio-memory-mcp --transport http`` sets uvicorn's
   so; under gunicorn, ``--graceful-timeout`` must be set so (README, Shutdown).

The signal is the only shutdown notice an ASGI app gets in time (the lifespan's shutdown
event comes after the server has waited), so the handler is installed from the app's
lifespan, chained to whatever handler the server installed (uvicorn's ``handle_exit``, under
``twilio-memory-mcp`` and under gunicorn's uvicorn worker alike), and removed at the end.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from types import FrameType
from typing import Any

import anyio

from tools.in_flight import InFlight

logger = logging.getLogger("twilio_memory_mcp.shutdown")

# Seconds the ASGI server must wait beyond the grace, for the cut calls' answers to be written.
ANSWER_MARGIN = 5
SIGNALS = (signal.SIGTERM, signal.SIGINT)


def keep_streams_open_on_exit() -> None:
    """Stop sse-starlette from ending every event stream at the exit signal (see above).

    Process-wide, like the patch it undoes: this process serves only this app."""
    from sse_starlette.sse import AppStatus

    AppStatus.disable_automatic_graceful_drain()  # type: ignore[no-untyped-call]


class GracefulShutdown:
    def __init__(self, in_flight: InFlight, grace: float) -> None:
        self._in_flight = in_flight
        self._grace = grace
        self._signalled = anyio.Event()

    @asynccontextmanager
    async def watching(self) -> AsyncIterator[None]:
        """For the app's lifespan: on the first SIGTERM or SIGINT, wait ``grace`` seconds,
        then cut whatever calls are still in flight."""
        loop = asyncio.get_running_loop()
        previous = self._hook(loop) if threading.current_thread() is threading.main_thread() else {}
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(self._cut_after_grace)
                try:
                    yield
                finally:
                    group.cancel_scope.cancel()
        finally:
            for sig, handler in previous.items():
                if getattr(signal.getsignal(sig), "owner", None) is self:
                    signal.signal(sig, handler)

    def _hook(self, loop: asyncio.AbstractEventLoop) -> dict[int, Any]:
        previous: dict[int, Any] = {}

        def on_signal(signum: int, frame: FrameType | None) -> None:
            # A signal handler runs between two bytecodes of the loop's thread: hand over.
            loop.call_soon_threadsafe(self._signalled.set)
            handler = previous[signum]
            if callable(handler):
                handler(signum, frame)
            elif handler == signal.SIG_DFL:  # nobody else listens: keep the default's effect
                signal.signal(signum, signal.SIG_DFL)
                os.kill(os.getpid(), signum)

        for sig in SIGNALS:
            previous[sig] = signal.getsignal(sig)
            signal.signal(sig, _Bound(self, on_signal))
        return previous

    async def _cut_after_grace(self) -> None:
        await self._signalled.wait()
        logger.info(
            "shutting down: %d call(s) in flight get %gs to finish", len(self._in_flight), self._grace
        )
        await anyio.sleep(self._grace)
        cut = self._in_flight.cut()
        if cut:
            logger.warning("shutdown grace over: %d call(s) cut, each answered with an error", cut)


class _Bound:
    """The installed handler, marked as ours so it is only removed while it is still ours."""

    def __init__(self, owner: GracefulShutdown, handler: Callable[[int, FrameType | None], None]) -> None:
        self.owner = owner
        self._handler = handler

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self._handler(signum, frame)
