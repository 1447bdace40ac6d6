"""Bearer tokens for the HTTP transport: a static-token ``TokenVerifier`` for the SDK.

The SDK's bearer middleware (``mcp.server.auth.middleware.bearer_auth``) takes the token from
``Authorization: Bearer …`` and asks a ``TokenVerifier``; a ``None`` answer becomes a 401 with
``WWW-Authenticate: Bearer error="invalid_token"`` (RFC 6750 §3). This verifier holds the
configured tokens (``TWILIO_MEMORY_MCP_TOKEN``, comma-separated so one can be rotated in
before the old one is removed) as SHA-256 digests and compares the presented token with every
one of them in constant time: the answer takes as long for a near miss as for a far one, and
does not say which token matched or how long any of them is.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from mcp.server.auth.provider import AccessToken
from pydantic import SecretStr


class StaticTokenVerifier:
    """Accepts any of a fixed set of bearer tokens; satisfies the SDK's ``TokenVerifier``."""

    def __init__(self, tokens: Sequence[SecretStr]) -> None:
        if not tokens:
            raise ValueError("at least one token is needed")
        self._digests = tuple(_digest(token.get_secret_value()) for token in tokens)

    async def verify_token(self, token: str) -> AccessToken | None:
        presented = _digest(token)
        matched = 0
        # No early exit: every configured token is compared, whichever one matches.
        for number, digest in enumerate(self._digests, start=1):
            if hmac.compare_digest(presented, digest):
                matched = number
        if not matched:
            return None
        # The principal is named by the token's position in the list, never by the token:
        # an AccessToken may end up in a log line or a repr.
        label = f"token-{matched}"
        return AccessToken(token=label, client_id=label, scopes=[])

    def __repr__(self) -> str:
        return f"StaticTokenVerifier({len(self._digests)} tokens)"


def _digest(token: str) -> bytes:
    # Hashing first gives compare_digest equal-length inputs; "surrogateescape" keeps any
    # header byte (starlette decodes headers as latin-1) encodable.
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).digest()
