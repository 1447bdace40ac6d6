"""One confirmation, one write: a tools/call's sealed ``requestState`` is accepted once.

On 2026-07-28 a write's confirmation comes back in the client's retry of the tools/call,
carrying the sealed ``requestState`` of the round that asked the person (the SDK's
multi-round-trip). The SDK checks that the seal is genuine, unexpired and bound to the same
tool and arguments, but not that it is used only once: the same retry sent again within the
seal's lifetime would write again, on one consent (issue 19: "confirmed by the person for the
exact content", never twice). :class:`ConsentOnce` refuses a ``requestState`` it has seen.

It must see the sealed token itself, so it runs before the SDK's ``RequestStateBoundary``,
which replaces the token with its plaintext (see :func:`install`). What it remembers is a
digest of each token, for as long as a seal lives. Each process remembers its own: workers
sharing TWILIO_MEMORY_REQUEST_STATE_SECRET do not share what they have seen (docs/writes.md).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from mcp import MCPError
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.server.request_state import RequestStateBoundary
from mcp_types import INVALID_PARAMS

logger = logging.getLogger("twilio_memory_mcp.requests")

# The SDK's seal lives 600 s (RequestStateSecurity.ttl) plus its allowed clock skew; a token
# is remembered longer than it could be accepted.
REMEMBERED_SECONDS = 900.0
# Bound on what is remembered (a digest and an instant each): past it the oldest go first.
MOST_REMEMBERED = 100_000

USED = "requestState already used: this confirmation was given once; call the tool again to ask anew"


class ConsentOnce:
    """Middleware: a tools/call whose ``requestState`` was already seen is refused (-32602)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._seen: OrderedDict[bytes, float] = OrderedDict()  # digest -> when it may be forgotten

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        params = ctx.params
        if ctx.method == "tools/call" and isinstance(params, dict):
            sealed = params.get("requestState")
            if isinstance(sealed, str):
                self._claim(hashlib.sha256(sealed.encode("utf-8", "surrogatepass")).digest())
        return await call_next(ctx)

    def _claim(self, digest: bytes) -> None:
        now = self._clock()
        seen = self._seen
        while seen and (next(iter(seen.values())) <= now or len(seen) >= MOST_REMEMBERED):
            seen.popitem(last=False)
        if digest in seen:
            logger.warning("tools/call refused: its requestState was already used (a replayed confirmation)")
            raise MCPError(INVALID_PARAMS, USED)
        seen[digest] = now + REMEMBERED_SECONDS


def install(server: MCPServer[Any]) -> None:
    """Put :class:`ConsentOnce` just before the SDK's requestState boundary, which it needs to
    precede (the SDK puts every middleware given to ``MCPServer`` after the boundary)."""
    chain = server.middleware
    at = next(i for i, step in enumerate(chain) if isinstance(step, RequestStateBoundary))
    chain.insert(at, ConsentOnce())
