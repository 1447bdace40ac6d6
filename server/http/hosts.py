"""The Host allow list (DNS-rebinding protection), answered in words an operator can act on.

The SDK's transport security refuses a foreign ``Host`` with ``421 Invalid Host header`` and a
log line that names neither the setting nor what to do. This gate applies the same rule first
(an exact entry, or ``name:*`` for any port of a name) and answers 421 naming
``TWILIO_MEMORY_ALLOWED_HOSTS``, in its body and in one log line (issue 18 item 4).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

from server.http.headers import gate_headers
from server.http.responses import send_json

logger = logging.getLogger("twilio_memory_mcp")

SETTING = "TWILIO_MEMORY_ALLOWED_HOSTS"


def host_allowed(host: str, allowed: Sequence[str]) -> bool:
    """The SDK's rule (mcp.server.transport_security): exact, or ``name:*`` with any port."""
    return host in allowed or any(entry.endswith(":*") and host.startswith(entry[:-1]) for entry in allowed)


class HostGate:
    """421 for a request whose Host is not in ``allowed``, before the SDK's own check."""

    def __init__(self, app: ASGIApp, allowed: Sequence[str]) -> None:
        self.app = app
        self.allowed = tuple(allowed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = gate_headers(scope).host.decode("latin-1")
        if host_allowed(host, self.allowed):
            await self.app(scope, receive, send)
            return
        # repr: the header is the caller's text; a control character must not forge a log line.
        logger.warning(
            "refused a request for Host %r (421): add the names clients use to reach this server to %s",
            host[:200],
            SETTING,
        )
        description = (
            f"this server does not answer to Host {host[:200]!r}; if clients reach it by this name, "
            f"the operator adds it to {SETTING}"
        )
        await send_json(send, 421, {"error": "misdirected_request", "error_description": description})
