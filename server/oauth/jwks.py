"""The identity provider's signing keys: discovery, the JWKS fetch, the cache and its refresh.

Keys come from ``TWILIO_MEMORY_OAUTH_JWKS_URL``, or from the ``jwks_uri`` of the issuer's
metadata (RFC 8414 ``/.well-known/oauth-authorization-server``, then OpenID Connect Discovery
``/.well-known/openid-configuration``), whose ``issuer`` must be the configured one exactly
(RFC 8414 §3.3). They are fetched on first need, not at start, so the server starts without
the network.

The cache is refreshed when it is older than :data:`KEYS_TTL`, or when a token names a key
id (``kid``) it does not hold: the provider may have rotated its keys (RFC 7517 §4.5). A
token's ``kid`` is chosen by whoever sent it, so refreshes are limited to one per
:data:`REFRESH_COOLDOWN` however many unknown ids arrive, and concurrent requests wait for
one fetch rather than starting their own. Every fetch is bounded: a per-operation timeout, a
deadline for the whole fetch, a size cap, no redirects.

When the keys cannot be fetched, :meth:`SigningKeys.key` raises :class:`KeysUnavailable`
rather than answering "no such key": the server cannot tell a good token from a bad one, so
it fails closed with 503 (see ``server/http/auth.py``), not with a 401 that would send the
client to sign in again. Keys fetched earlier stay in use while a refresh fails.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpx2

from server.setting_values import is_secure

KEYS_TTL = 600.0  # seconds a fetched key set is used before it is fetched again
REFRESH_COOLDOWN = 30.0  # at most one fetch per this many seconds, whatever tokens say
FETCH_TIMEOUT = 5.0  # seconds for each connect, read and write
FETCH_DEADLINE = 10.0  # seconds for a whole fetch, a slowly dripping body included
MAX_DOCUMENT_BYTES = 256 * 1024  # a large provider's JWKS is ~10 KiB

logger = logging.getLogger("twilio_memory_mcp.oauth")


class KeysUnavailable(Exception):
    """The signing keys could not be fetched; try again after ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"signing keys unavailable; retry after {retry_after} s")
        self.retry_after = retry_after


class _FetchError(Exception):
    """A fetch failed; the message says why without quoting the body."""


class _NotServed(_FetchError):
    """A metadata location answered 4xx: try the next one."""


def metadata_urls(issuer: str) -> list[str]:
    """Where the issuer's metadata may be, in the order tried: RFC 8414 §3.1 (the well-known
    segment inserted before the issuer's path), RFC 8414 §5 for OpenID providers, and OpenID
    Connect Discovery 1.0 §4 (appended to the issuer)."""
    parts = urlsplit(issuer)
    origin = f"{parts.scheme}://{parts.netloc}"
    path = parts.path.rstrip("/")
    urls = [
        f"{origin}/.well-known/oauth-authorization-server{path}",
        f"{origin}/.well-known/openid-configuration{path}",
        f"{issuer.rstrip('/')}/.well-known/openid-configuration",
    ]
    return list(dict.fromkeys(urls))


class SigningKeys:
    """The key set, by ``kid``; see the module docstring for when it is fetched."""

    def __init__(
        self,
        issuer: str,
        jwks_url: str | None,
        *,
        transport: httpx2.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._issuer = issuer
        self._jwks_url = jwks_url
        self._transport = transport
        self._clock = clock
        self._keys: dict[str, dict[str, Any]] = {}
        self._fetched_at: float | None = None  # last successful fetch
        self._tried_at: float | None = None  # last attempt, successful or not
        self._failed = False  # whether the last attempt failed
        self._lock = anyio.Lock()
        self.fetches = 0  # JWKS documents fetched (tests and logs)

    async def key(self, kid: str) -> dict[str, Any] | None:
        """The JWK with this ``kid``; None if the provider does not publish it."""
        if kid in self._keys and self._fresh():
            return self._keys[kid]
        async with self._lock:  # one fetch at a time; the others wait for its outcome
            if not (kid in self._keys and self._fresh()) and self._may_try():
                await self._refresh()
        if kid in self._keys:
            return self._keys[kid]  # stale keys, too, while the provider cannot be reached
        if self._failed or self._fetched_at is None:
            raise KeysUnavailable(self._retry_after())
        return None

    def _fresh(self) -> bool:
        return self._fetched_at is not None and self._clock() - self._fetched_at < KEYS_TTL

    def _may_try(self) -> bool:
        return self._tried_at is None or self._clock() - self._tried_at >= REFRESH_COOLDOWN

    def _retry_after(self) -> int:
        waited = 0.0 if self._tried_at is None else self._clock() - self._tried_at
        return max(1, math.ceil(REFRESH_COOLDOWN - waited))

    async def _refresh(self) -> None:
        self._tried_at = self._clock()
        source = self._jwks_url or "the issuer's metadata"
        try:
            # One client per refresh: refreshes are rare, and nothing stays open between them.
            async with httpx2.AsyncClient(
                transport=self._transport,
                timeout=FETCH_TIMEOUT,
                follow_redirects=False,
                headers={"Accept": "application/json"},
            ) as client:
                url = self._jwks_url or await self._discover(client)
                source = url
                keys = _usable_keys(await _get_json(client, url))
        except Exception as error:  # any failure of the fetch means no keys
            # Not only the expected failures: the documents come from another party, and an
            # unparsable jwks_uri (ValueError, httpx2.InvalidURL) or a JWKS nested deeper than
            # the parser goes (RecursionError) must still end in the 503 the server owes (fail
            # closed, say the fault is ours), not a 500 with a traceback.
            self._failed = True
            logger.warning(
                "could not fetch the OAuth signing keys from %s (%s); tokens that need them get "
                "503 until a fetch succeeds (next try in %.0f s)",
                source,
                _reason(error),
                REFRESH_COOLDOWN,
            )
            return
        self._keys, self._fetched_at, self._failed = keys, self._tried_at, False
        self._jwks_url = url  # discovery is done once
        self.fetches += 1
        logger.info("fetched %d OAuth signing key(s) from %s", len(keys), url)

    async def _discover(self, client: httpx2.AsyncClient) -> str:
        for url in metadata_urls(self._issuer):
            try:
                metadata = await _get_json(client, url)
            except _NotServed:
                continue
            # RFC 8414 §3.3 / OIDC Discovery §4.3: the document must name this very issuer.
            if metadata.get("issuer") != self._issuer:
                raise _FetchError(f"the metadata at {url} names another issuer")
            jwks_uri = metadata.get("jwks_uri")
            if not isinstance(jwks_uri, str) or not is_secure(urlsplit(jwks_uri)):
                raise _FetchError(f"the metadata at {url} has no usable https jwks_uri")
            return jwks_uri
        raise _FetchError("the issuer publishes no metadata at " + " or ".join(metadata_urls(self._issuer)))


async def _get_json(client: httpx2.AsyncClient, url: str) -> dict[str, Any]:
    """One bounded GET of a JSON object: timeouts, a deadline, a size cap, no redirects."""
    body = bytearray()
    with anyio.fail_after(FETCH_DEADLINE):
        async with client.stream("GET", url) as response:
            if 400 <= response.status_code < 500:
                raise _NotServed(f"HTTP {response.status_code} from {url}")
            if response.status_code != 200:
                raise _FetchError(f"HTTP {response.status_code} from {url}")
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_DOCUMENT_BYTES:
                    raise _FetchError(f"{url} answered more than {MAX_DOCUMENT_BYTES} bytes")
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
        raise _FetchError(f"{url} did not answer JSON") from None
    if not isinstance(document, dict):
        raise _FetchError(f"{url} did not answer a JSON object")
    return document


def _usable_keys(jwks: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Signature keys by ``kid`` (RFC 7517 §4): RSA and EC keys not marked for encryption."""
    keys = jwks.get("keys")
    if not isinstance(keys, list):
        raise _FetchError("the JWKS has no 'keys' list")
    usable: dict[str, dict[str, Any]] = {}
    for jwk in keys:
        if (
            isinstance(jwk, dict)
            and isinstance(jwk.get("kid"), str)
            and jwk.get("kty") in ("RSA", "EC")
            and jwk.get("use", "sig") == "sig"
        ):
            usable[jwk["kid"]] = jwk
    return usable


def _reason(error: Exception) -> str:
    if isinstance(error, TimeoutError | httpx2.TimeoutException):
        return "timed out"
    if isinstance(error, _FetchError):
        return str(error)  # our own words
    return type(error).__name__  # another's message may quote the document or the URL
