"""What ``/mcp`` answers before the SDK sees a request: methods it does not serve, and
protocol versions it does not speak.

- **GET and other non-POST methods get 405 at once.** The server is stateless and sends no
  server-initiated messages, so there is no event stream to offer. Streamable HTTP
  (2025-03-26 and later, "Listening for Messages from the Server") lets a server answer the
  GET with 405; left to the SDK, a handshake-era GET held an endless stream of pings whose
  headers came only after 15 s (issue 9, item 8). ``DELETE`` (session termination) means
  nothing without sessions either. RFC 9110 section 15.5.6: a 405 names the allowed methods.
- **An unsupported ``MCP-Protocol-Version`` header gets 400 naming the versions served**
  (streamable HTTP, "Protocol Version Header": "the server MUST respond with 400 Bad
  Request"). The SDK sends any version it does not know to its 2026-07-28 entry, whose
  answer talks about ``_meta`` envelope keys instead (issue 8, item 3).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from mcp_types import INVALID_REQUEST, UNSUPPORTED_PROTOCOL_VERSION
from mcp_types.version import KNOWN_PROTOCOL_VERSIONS
from starlette.types import ASGIApp, Receive, Scope, Send

logger = logging.getLogger("twilio_memory_mcp.http")

SUPPORTED_VERSIONS = KNOWN_PROTOCOL_VERSIONS  # every revision the SDK serves, both eras
_VERSION_HEADER = b"mcp-protocol-version"
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
            await _reply(
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
        requested = _header(scope, _VERSION_HEADER)
        if requested is not None and requested not in SUPPORTED_VERSIONS:
            request_id = await _request_id(receive, self._max_body_bytes)
            shown = requested if _SHOWN_VERSION.fullmatch(requested) else "(unreadable)"
            logger.info("refused a request for unsupported protocol version %s", shown)
            await _reply(
                send,
                400,
                _error(
                    request_id,
                    UNSUPPORTED_PROTOCOL_VERSION,
                    f"Unsupported MCP-Protocol-Version {shown}: this server supports "
                    + ", ".join(SUPPORTED_VERSIONS),
                    {"supported": list(SUPPORTED_VERSIONS), "requested": shown},
                ),
            )
            return
        await self._app(scope, receive, send)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


async def _request_id(receive: Receive, limit: int) -> str | int | None:
    """The JSON-RPC id of the request body, so the error can answer it; None when the body
    is over ``limit`` bytes, not JSON, or has no usable id (JSON-RPC 2.0 section 5)."""
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        body += message.get("body", b"")
        if len(body) > limit:
            return None
        if not message.get("more_body", False):
            break
    try:
        decoded = json.loads(body)
    except ValueError:
        return None
    request_id = decoded.get("id") if isinstance(decoded, dict) else None
    if isinstance(request_id, bool) or not isinstance(request_id, str | int):
        return None
    return request_id


def _error(request_id: str | int | None, code: int, message: str, data: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "id": request_id, "error": error}


async def _reply(
    send: Send, status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    payload = json.dumps(body, separators=(",", ":")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
