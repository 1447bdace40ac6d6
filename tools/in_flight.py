"""The tool calls running now, so that a shutdown can answer the ones that outlast its grace.

On SIGTERM the HTTP transport gives in-flight calls ``TWILIO_MEMORY_SHUTDOWN_GRACE`` seconds
(see ``server/http/shutdown.py``); the calls still running then are cut here, and each answers a
JSON-RPC error saying the server is shutting down, on either protocol, rather than leaving
its client a stream cut in the middle (issue 9 item 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType

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
    """The calls a transport may cut at shutdown. ``cuttable`` False where nothing ever cuts
    them (stdio, in-process clients): calls then run under no scope of their own, which
    would cost each call several microseconds for nothing (issue 17)."""

    def __init__(self, *, cuttable: bool = True) -> None:
        self._scopes: set[anyio.CancelScope] = set()
        self._closed = False
        self._cuttable = cuttable

    def __len__(self) -> int:
        return len(self._scopes)

    def track(self, mark: Tracked) -> Tracking | _Untracked:
        """Run a call under a scope :meth:`cut` can cancel; raise :func:`shutting_down` if it
        does, with ``mark.cut`` set."""
        return Tracking(self, mark) if self._cuttable else _UNTRACKED

    def cut(self) -> int:
        """Cancel every call in flight (they answer the shutdown error); return how many."""
        if not self._cuttable:
            raise RuntimeError("these calls were not tracked: build the server with InFlight()")
        self._closed = True
        scopes = list(self._scopes)
        for scope in scopes:
            scope.cancel()
        return len(scopes)


class Tracking:
    """:meth:`InFlight.track`'s context manager, a class rather than a generator: it is
    entered on every call, where a generator's frame and wrapper cost a few microseconds
    (issue 17)."""

    __slots__ = ("_in_flight", "_mark", "_scope")

    def __init__(self, in_flight: InFlight, mark: Tracked) -> None:
        self._in_flight = in_flight
        self._mark = mark
        self._scope = anyio.CancelScope()

    def __enter__(self) -> None:
        if self._in_flight._closed:  # a call that arrives after the cut is refused at once
            self._mark.cut = True
            raise shutting_down()
        self._scope.__enter__()
        self._in_flight._scopes.add(self._scope)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._in_flight._scopes.discard(self._scope)
        # The scope swallows only the cancellation cut() sent: that call answers the shutdown error.
        self._scope.__exit__(kind, error, trace)
        if self._scope.cancelled_caught:
            self._mark.cut = True
            raise shutting_down()


class _Untracked:
    """What :meth:`InFlight.track` gives where nothing cuts calls: nothing to do."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


_UNTRACKED = _Untracked()
