"""Who is calling the HTTP transport, and may it make this request (issue 11).

Callers send ``Authorization: Bearer <token>`` (RFC 6750 §2.1). A token is one of the static
``TWILIO_MEMORY_MCP_TOKEN`` tokens (checked first, in constant time) or, with OAuth on, a
JWT access token from the configured issuer (``server/oauth/verifier.py``). Both may be
configured together: static tokens for a few trusted services, OAuth for the fleet. A static
token grants every exposed tool.

:class:`BearerGate` answers, before the MCP app sees the request:

- ``401`` when no token was sent (``WWW-Authenticate: Bearer`` with no error code, RFC 6750
  §3.1) or the token is not valid (``error="invalid_token"`` and why); with OAuth on, the
  challenge also carries ``resource_metadata`` (RFC 9728 §5.1) and ``scope``, so a client can
  discover where to sign in and what to ask for;
- ``403`` with ``error="insufficient_scope"`` and the ``scope`` needed, when the token lacks a
  required scope, grants none of the exposed toolsets, or lacks the scope of the tool (or the
  resource or prompt standing for it) the JSON-RPC body asks for: the MCP step-up signal
  (authorization spec 2025-11-25, "Scope Challenge Handling");
- ``503`` with ``Retry-After`` when the issuer's signing keys cannot be fetched: the server
  fails closed, but says the fault is its own, so clients retry instead of signing in again.

It does the work of the SDK's ``BearerAuthBackend`` and ``RequireAuthMiddleware`` (which know
no 503, always say ``invalid_token`` and put no ``scope`` in a 403), and like them sets the
request's ``user`` and the SDK's auth context, so ``get_access_token()`` names the caller
inside the MCP handlers (the audit log reads it there).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Sequence

from mcp.server.auth.middleware.auth_context import auth_context_var
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from pydantic import SecretStr
from starlette.authentication import AuthCredentials
from starlette.types import ASGIApp, Receive, Scope, Send

from server.http.body import read_body
from server.http.headers import gate_headers
from server.http.responses import send_json
from server.oauth.jwks import KeysUnavailable
from server.oauth.scopes import ScopePolicy
from server.oauth.verifier import InvalidToken, JwtVerifier

logger = logging.getLogger("twilio_memory_mcp.auth")
# Refusals are never cached: they depend on the token (RFC 6750 section 5.3 asks the same of tokens).
NO_STORE = (b"cache-control", b"no-store")


class StaticTokenVerifier:
    """Accepts any of a fixed set of bearer tokens; satisfies the SDK's ``TokenVerifier``.

    The tokens are held as SHA-256 digests and the presented token is compared with every one
    of them in constant time: the answer takes as long for a near miss as for a far one, and
    does not say which token matched or how long any of them is. ``scopes`` are what a static
    token is granted (with OAuth on: every scope, so every exposed tool).
    """

    def __init__(self, tokens: Sequence[SecretStr], scopes: Sequence[str] = ()) -> None:
        if not tokens:
            raise ValueError("at least one token is needed")
        self._digests = tuple(_digest(token.get_secret_value()) for token in tokens)
        self._scopes = list(scopes)

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
        return AccessToken(token=label, client_id=label, scopes=list(self._scopes))

    def __repr__(self) -> str:
        return f"StaticTokenVerifier({len(self._digests)} tokens)"


def _digest(token: str) -> bytes:
    # Hashing first gives compare_digest equal-length inputs; "surrogateescape" keeps any
    # header byte (starlette decodes headers as latin-1) encodable.
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).digest()


class BearerGate:
    """ASGI middleware in front of the MCP app; see the module docstring."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        static: StaticTokenVerifier | None,
        oauth: JwtVerifier | None = None,
        policy: ScopePolicy | None = None,
        resource_metadata_url: str | None = None,
        max_body_bytes: int = 1_048_576,
    ) -> None:
        self._app = app
        self._static = static
        self._oauth = oauth
        self._policy = policy
        self._metadata_url = resource_metadata_url
        self._max_body = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        token = _bearer_token(scope)
        if token is None:
            await self._refuse(send, 401, None, "this server needs an Authorization: Bearer token")
            return
        access = await self._static.verify_token(token) if self._static else None
        if access is None and self._oauth is not None:
            try:
                access = await self._oauth.verify(token)
            except InvalidToken as error:
                logger.debug("refused an access token: %s", error)
                await self._refuse(send, 401, "invalid_token", str(error))
                return
            except KeysUnavailable as error:
                await _unavailable(send, error.retry_after)
                return
        if access is None:
            await self._refuse(send, 401, "invalid_token", "the token is not valid")
            return
        if self._policy is not None:
            problem, receive = await self._scope_problem(scope, receive, access)
            if problem is not None:
                logger.info("refused client %s: %s", access.client_id or "-", problem[1])
                await self._refuse(send, 403, "insufficient_scope", problem[1], scope=problem[0])
                return
        user = AuthenticatedUser(access)
        scope["user"], scope["auth"] = user, AuthCredentials(access.scopes)
        reset = auth_context_var.set(user)  # read by get_access_token() in MCP handlers
        try:
            await self._app(scope, receive, send)
        finally:
            auth_context_var.reset(reset)

    async def _scope_problem(
        self, scope: Scope, receive: Receive, access: AccessToken
    ) -> tuple[tuple[list[str], str] | None, Receive]:
        """(scopes to ask for, why) when the token may not make this request; and the
        ``receive`` to hand on (the body, once read here, is replayed)."""
        assert self._policy is not None
        policy = self._policy
        missing = policy.missing_required(access.scopes)
        if missing:
            return (missing, "the token lacks a scope every caller needs"), receive
        allowed = policy.allowed(access.scopes)
        if not allowed:
            return (policy.scopes_supported(), "the token grants none of this server's tools"), receive
        if allowed == frozenset(policy.grants) or scope["method"] != "POST":
            return None, receive
        body, receive = await read_body(scope, receive, self._max_body)
        lacking = [tool for tool in policy.needs_in(body.decoded()) if tool not in allowed]
        if not lacking:
            return None, receive
        wanted = [*policy.required, *(policy.scope_for(tool) for tool in lacking)]
        why = f"{lacking[0]} needs scope {policy.scope_for(lacking[0])}"
        return (list(dict.fromkeys(wanted)), why), receive

    async def _refuse(
        self, send: Send, status: int, error: str | None, description: str, scope: list[str] | None = None
    ) -> None:
        params = []
        if error is not None:
            params += [f'error="{error}"', f'error_description="{description}"']
        if self._metadata_url is not None:
            params.append(f'resource_metadata="{self._metadata_url}"')
            if scope is None and self._policy is not None:
                scope = self._policy.scopes_supported()  # what to ask for when signing in
        if scope:
            params.append(f'scope="{" ".join(scope)}"')
        challenge = "Bearer" + (" " + ", ".join(params) if params else "")
        body = {"error": error or "unauthorized", "error_description": description}
        await send_json(send, status, body, [(b"www-authenticate", challenge.encode()), NO_STORE])


def _bearer_token(scope: Scope) -> str | None:
    value = gate_headers(scope).authorization
    if value is None:
        return None
    scheme, _, token = value.decode("latin-1").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


async def _unavailable(send: Send, retry_after: int) -> None:
    # Not a 401: the token may be fine; the keys to check it are what is missing.
    body = {
        "error": "temporarily_unavailable",
        "error_description": "the authorization server's signing keys cannot be fetched; retry later",
    }
    await send_json(send, 503, body, [(b"retry-after", str(retry_after).encode()), NO_STORE])
