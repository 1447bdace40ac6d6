"""What ``/mcp`` answers before the SDK sees a request: methods it does not serve, and
protocol versions it does not speak.

- **GET and other non-POST methods get 405 at once.** The server is stateless and sends no
  server-initiated messages, so there is no event stream to offer. Streamable HTTP
  (2025-03-26 and later, "Listening for Messages from the Server") lets a server answer the
  GET with 405; left to the SDK, a handshake-era GET held an endless stream of pings whose
  headers came only after 15 s (issue 9, item 8). ``DELETE`` (session termination) means
  nothing without sessions either. RFC 9110 section 15.5.6: a 405 names the allowed methods.
- **A request whose ``params`` is not an object gets ``-32602`` saying so** (see
  :mod:`server.jsonrpc_shape`), as on stdio; the body is read once here and replayed.
- **An unsupported ``MCP-Protocol-Version`` header gets 400 naming the versions served**
  (streamable HTTP, "Protocol Version Header": "the server MUST respond with 400 Bad
  Request"). The SDK sends any version it does not know to its 2026-07-28 entry, whose
  answer talks about ``_meta`` envelope keys instead (issue 8, item 3). The answer is the
  2026-07-28 ``UnsupportedProtocolVersionError`` (-32022), whose ``data.supported`` lists the
  versions a request may declare in its ``_meta``: the ones ``server/discover`` lists as
  ``supportedVersions`` (2026-07-28 "Versioning": the client retries with one of them; the MCP
  conformance suite's server-stateless scenario checks that they agree). The handshake versions
  are still served through ``initialize``; the message names them for whoever reads it, as the
  spec asks of a server refusing an ``initialize`` it cannot serve.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from mcp_types import INVALID_REQUEST, UNSUPPORTED_PROTOCOL_VERSION
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, KNOWN_PROTOCOL_VERSIONS, MODERN_PROTOCOL_VERSIONS
from starlette.types import ASGIApp, Receive, Scope, Send

from server.http.body import read_body
from server.http.headers import gate_headers
from server.http.responses import send_json
from server.jsonrpc_shape import malformed

logger = logging.getLogger("twilio_memory_mcp.http")

SUPPORTED_VERSIONS = KNOWN_PROTOCOL_VERSIONS  # every revision the SDK serves, both eras
# What the -32022 answer lists in data.supported: the SDK's server/discover supportedVersions.
PER_REQUEST_VERSIONS = MODERN_PROTOCOL_VERSIONS
_UNSUPPORTED = (
    "Unsupported MCP-Protocol-Version {shown}: this server serves "
    + ", ".join(PER_REQUEST_VERSIONS)
    + " on every request (the versions server/discover lists), and "
    + ", ".join(reversed(HANDSHAKE_PROTOCOL_VERSIONS))
    + " after an initialize handshake"
)
_SHOWN_VERSION = re.compile(r"[0-9A-Za-z._-]{1,40}")


class ProtocolGate:
    """ASGI middleware in front of the SDK's ``/mcp`` app (inside authentication)."""

    def __init__(self, app: ASGIApp, path: str, max_body_bytes: int) -> None:
        self._app = app
        self._paths = {path, path + "/"}
        self._max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in self._paths:
            await self._app(scope, receive, send)
            return
        if scope["method"] != "POST":
            await send_json(
                send,
                405,
                _error(
                    None,
                    INVALID_REQUEST,
                    "Method Not Allowed: this server is stateless and sends no "
                    "server-initiated messages; send JSON-RPC requests with POST",
                ),
                [(b"allow", b"POST")],
            )
            return
        body, receive = await read_body(scope, receive, self._max_body_bytes)
        decoded = body.decoded()
        version = gate_headers(scope).protocol_version
        requested = None if version is None else version.decode("latin-1")
        if requested is not None and requested not in SUPPORTED_VERSIONS:
            shown = requested if _SHOWN_VERSION.fullmatch(requested) else "(unreadable)"
            logger.info("refused a request for unsupported protocol version %s", shown)
            answer = _error(
                _request_id(decoded),
                UNSUPPORTED_PROTOCOL_VERSION,
                _UNSUPPORTED.format(shown=shown),
                {"supported": list(PER_REQUEST_VERSIONS), "requested": shown},
            )
            await send_json(send, 400, answer)
            return
        problem = malformed(decoded) if isinstance(decoded, dict) else None
        if problem is not None:
            # The SDK answers params that are not an object with a dump of pydantic's errors
            # (2025 protocols) or "Body must be a single JSON-RPC request" (2026-07-28): ours
            # names the problem (JSON-RPC 2.0 §5.1, -32602).
            logger.info("refused a malformed message: %s", problem.error.message)
            answer = problem.model_dump(mode="json", exclude_none=True) | {"id": problem.id}
            await send_json(send, 400, answer)
            return
        await self._app(scope, receive, send)


def _request_id(decoded: object) -> str | int | None:
    """The JSON-RPC id to answer, or None when there is no usable one (JSON-RPC 2.0, 5)."""
    request_id = decoded.get("id") if isinstance(decoded, dict) else None
    if isinstance(request_id, bool) or not isinstance(request_id, str | int):
        return None
    return request_id


def _error(request_id: str | int | None, code: int, message: str, data: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "id": request_id, "error": error}
