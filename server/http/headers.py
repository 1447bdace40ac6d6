"""The request headers the HTTP gates read, found in one pass and kept for every gate.

The bearer gate wants ``Authorization``, the host gate ``Host``, the protocol gate
``MCP-Protocol-Version``: each scanned the request's header list for its own (issue 17 asks
for one pass). The first gate to ask reads all three and keeps them in the ASGI scope (an
extension key, which servers and other apps leave alone), as :mod:`server.http.body` keeps the
body. ASGI servers give header names in lower case; the first of repeated headers counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.types import Scope

_KEY = "twilio_memory_mcp.headers"


@dataclass(frozen=True, slots=True)
class GateHeaders:
    host: bytes
    authorization: bytes | None
    protocol_version: bytes | None


def gate_headers(scope: Scope) -> GateHeaders:
    known = scope.get(_KEY)
    if isinstance(known, GateHeaders):
        return known
    host = authorization = version = None
    for name, value in scope["headers"]:
        if name == b"host":
            host = value if host is None else host
        elif name == b"authorization":
            authorization = value if authorization is None else authorization
        elif name == b"mcp-protocol-version":
            version = value if version is None else version
    found = GateHeaders(host or b"", authorization, version)
    scope[_KEY] = found
    return found
