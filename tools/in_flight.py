"""The tool calls running now, so that a shutdown can answer the ones that outlast its grace.

On SIGTERM the HTTP transport gives in-flight calls ``TWILIO_MEMORY_SHUTDOWN_GRACE`` seconds
(see ``server/http/shutdown.py``); the calls still running then are cut here, and each answers a
JSON-RPC error saying the server is shutting down, on either protocol, rather than leaving
its client a stream cut in the middle (issue 9 item 2).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import anyio
from mcp import MCPError

# JSON-RPC 2.0 §5.1 leaves -32000 to -32099 to the implementation: "server error". A client
# may send the same call again, to another replica.
SHUTTING_DOWN = -32000
SHUTTING_DOWN_MESSAGE = "the server is shutting down and did not finish this call; send it again"


def shutting_down() -> MCPError:
    return MCPError(SHUTTING_DOWN, SHUTTING_DOWN_MESSAGE, {"retryable": True})


@dataclass
class Tracked:
    """One call's mark: ``cut`` is true when the shutdown ended it."""

    cut: bool = False


class InFlight:
    def __init__(self) -> None:
        self._scopes: set[anyio.CancelScope] = set()
        self._closed = False

    def __len__(self) -> int:
        return len(self._scopes)

    @contextlib.contextmanager
    def track(self, mark: Tracked) -> Iterator[None]:
        """Run a call under a scope :meth:`cut` can cancel; raise :func:`shutting_down` if it
        does, with ``mark.cut`` set."""
        if self._closed:  # a call that arrives after the cut is refused at once
            mark.cut = True
            raise shutting_down()
        with anyio.CancelScope() as scope:
            self._scopes.add(scope)
            try:
                yield
            finally:
                self._scopes.discard(scope)
        if scope.cancelled_caught:
            mark.cut = True
            raise shutting_down()

    def cut(self) -> int:
        """Cancel every call in flight (they answer the shutdown error); return how many."""
        self._closed = True
        scopes = list(self._scopes)
        for scope in scopes:
            scope.cancel()
        return len(scopes)
