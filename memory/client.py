"""The Conversation Memory API client: HTTP, retries, merges, checked bodies. No MCP here.

One :class:`MemoryApiClient` wraps the process's one shared ``httpx2.AsyncClient`` (made by
:func:`http_client`). Every call runs under a total deadline; each attempt under its own
timeout; 429 and transient failures are retried as :mod:`memory.retries` decides; a 301 for
a merged profile is followed by our own code, to the configured origin only (see
:meth:`MemoryApiClient._next_profile`).
"""

from __future__ import annotations

import base64
import random
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar
from urllib.parse import quote, urlsplit

import anyio
import httpx2
from pydantic import BaseModel

from memory.config import ClientConfig, Credentials
from memory.errors import (
    ApiStatusError,
    ConnectionFailed,
    InvalidResponse,
    MemoryApiError,
    NotConfigured,
    RedirectRefused,
    UpstreamTimeout,
    error_for_status,
)
from memory.ids import PROFILE_ID_PATTERN
from memory.models import IdentifierList, IdentifierSet, LookupResult
from memory.responses import clean, parse, read_capped, twilio_error
from memory.retries import DEFAULT_RETRY_AFTER, backoff_delay, parse_retry_after, should_retry

# A merged profile redirects to its canonical one; merges of merges may chain. Three hops
# is more than any single merge needs and stops a loop quickly.
MAX_REDIRECTS = 3

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]
BodyT = TypeVar("BodyT", bound=BaseModel)


@dataclass
class CallTrace:
    """What one call did upstream, for logs and the audit trail (never values)."""

    attempts: int = 0
    http_status: int | None = None
    redirects: int = 0


@dataclass(frozen=True)
class Located(Generic[BodyT]):
    """A body and the profile it belongs to: the canonical one when the asked-for id was merged."""

    store_id: str
    profile_id: str
    requested_profile_id: str
    body: BodyT


@dataclass(frozen=True)
class _Target:
    """Where a request goes: path segments, kept apart so each is encoded on its own."""

    store_id: str
    profile_id: str | None
    tail: tuple[str, ...]

    def path(self) -> str:
        segments = ["v1", "Stores", self.store_id, "Profiles"]
        if self.profile_id is not None:
            segments.append(self.profile_id)
        segments.extend(self.tail)
        # Encode every segment, validated or not: "/", "?", "#" and "%" must stay data.
        return "/" + "/".join(quote(segment, safe="") for segment in segments)


def http_client(
    config: ClientConfig, transport: httpx2.AsyncBaseTransport | None = None
) -> httpx2.AsyncClient:
    """The one pooled HTTP client a process shares; ``transport`` replaces the network
    (tests, the sandbox's in-process emulator)."""
    return httpx2.AsyncClient(
        transport=transport,
        timeout=httpx2.Timeout(config.attempt_timeout, connect=config.connect_timeout),
        limits=httpx2.Limits(
            max_connections=config.max_concurrency,
            max_keepalive_connections=config.max_concurrency,
        ),
        follow_redirects=False,  # merges are followed by MemoryApiClient, origin-checked
    )


class MemoryApiClient:
    def __init__(
        self,
        http: httpx2.AsyncClient,
        config: ClientConfig,
        *,
        sleep: Sleep = anyio.sleep,
        clock: Clock = anyio.current_time,
        rng: random.Random | None = None,
    ) -> None:
        self._http = http
        self._config = config
        self._sleep = sleep
        self._clock = clock
        self._rng = rng
        self._origin = _origin(config.base_url)
        self._limiter = anyio.CapacityLimiter(config.max_concurrency)
        self._headers = {
            "Accept": "application/json",
            "User-Agent": config.user_agent,
        }
        if config.credentials is not None:
            self._headers["Authorization"] = _basic_auth(config.credentials)

    async def fetch_profile_identifier(
        self, store_id: str, profile_id: str, id_type: str, *, trace: CallTrace | None = None
    ) -> Located[IdentifierSet]:
        """FetchProfileIdentifier: every stored value of one identifier type, oldest first."""
        target = _Target(store_id, profile_id, ("Identifiers", id_type))
        return await self._located("GET", target, IdentifierSet, trace)

    async def list_profile_identifiers(
        self, store_id: str, profile_id: str, *, trace: CallTrace | None = None
    ) -> Located[IdentifierList]:
        """ListProfileIdentifiers: every identifier type on a profile, with its values."""
        target = _Target(store_id, profile_id, ("Identifiers",))
        return await self._located("GET", target, IdentifierList, trace)

    async def lookup_profiles(
        self, store_id: str, id_type: str, value: str, *, trace: CallTrace | None = None
    ) -> LookupResult:
        """CreateProfilesLookup: canonical ids of the profiles holding a value (a read, by POST)."""
        target = _Target(store_id, None, ("Lookup",))
        _, content = await self._call(
            "POST", target, {"idType": id_type, "value": value}, trace or CallTrace()
        )
        return parse(LookupResult, content)

    async def _located(
        self, method: str, target: _Target, model: type[BodyT], trace: CallTrace | None
    ) -> Located[BodyT]:
        assert target.profile_id is not None
        canonical, content = await self._call(method, target, None, trace or CallTrace())
        return Located(target.store_id, canonical, target.profile_id, parse(model, content))

    async def _call(
        self, method: str, target: _Target, body: dict[str, Any] | None, trace: CallTrace
    ) -> tuple[str, bytes]:
        """Send with retries and follow merges; return the final profile id and the body."""
        if self._config.credentials is None:
            raise NotConfigured(f"The Memory API is not configured: {self._config.credentials_problem}.")
        deadline = self._clock() + self._config.deadline
        visited = [target.profile_id or ""]
        try:
            with anyio.fail_after(self._config.deadline):
                while True:
                    status, headers, content = await self._send(method, target, body, deadline, trace)
                    if status == 301 and method == "GET" and target.profile_id is not None:
                        target = replace(target, profile_id=self._next_profile(headers, visited))
                        trace.redirects += 1
                        continue
                    if 200 <= status < 300:
                        return target.profile_id or "", content
                    if 300 <= status < 400:
                        raise InvalidResponse(
                            f"the Memory API answered with an unexpected redirect (HTTP {status})",
                            http_status=status,
                        )
                    raise self._status_error(status, headers, content)
        except TimeoutError:
            raise UpstreamTimeout(
                f"the Memory API did not answer within the {self._config.deadline:g}s deadline"
            ) from None

    async def _send(
        self,
        method: str,
        target: _Target,
        body: dict[str, Any] | None,
        deadline: float,
        trace: CallTrace,
    ) -> tuple[int, httpx2.Headers, bytes]:
        """One request, retried on 429 and transient failures while the deadline allows."""
        url = self._config.base_url + target.path()
        retries = 0
        while True:
            trace.attempts += 1
            failure: MemoryApiError
            try:
                status, headers, content = await self._attempt(method, url, body, deadline)
            except (UpstreamTimeout, ConnectionFailed) as exc:
                failure, wait = exc, None
            else:
                trace.http_status = status
                if not should_retry(status):
                    return status, headers, content
                failure = self._status_error(status, headers, content)
                wait = failure.retry_after_seconds if status == 429 else None
                if status == 429 and wait is None:
                    wait = DEFAULT_RETRY_AFTER
            retries += 1
            if retries > self._config.max_retries:
                raise failure
            if wait is None:
                wait = backoff_delay(retries, rng=self._rng)
            if wait >= deadline - self._clock():
                # Waiting would outlast the call: fail now, saying how long the API asked for.
                raise failure
            await self._sleep(wait)

    async def _attempt(
        self, method: str, url: str, body: dict[str, Any] | None, deadline: float
    ) -> tuple[int, httpx2.Headers, bytes]:
        # Queue for a slot first: waiting for one spends the call's deadline, not the attempt's.
        async with self._limiter:
            timeout = min(self._config.attempt_timeout, deadline - self._clock())
            with anyio.move_on_after(max(timeout, 0)):
                try:
                    request = self._http.build_request(method, url, headers=self._headers, json=body)
                    response = await self._http.send(request, stream=True)
                    try:
                        content = await read_capped(response)
                    finally:
                        await response.aclose()
                    return response.status_code, response.headers, content
                except httpx2.TimeoutException:
                    pass  # reported below, like an attempt cut short by the scope
                except httpx2.DecodingError:
                    raise InvalidResponse(
                        "the Memory API's answer could not be decoded (Content-Encoding)"
                    ) from None
                except httpx2.RequestError as exc:
                    # The exception's own text may quote the URL; its class name is enough.
                    raise ConnectionFailed(f"could not reach the Memory API ({type(exc).__name__})") from None
        raise UpstreamTimeout(f"the Memory API did not answer within {timeout:.3g}s")

    def _next_profile(self, headers: httpx2.Headers, visited: list[str]) -> str:
        """The canonical profile a 301 points at, or :class:`RedirectRefused`.

        The next URL is rebuilt on our own base URL from ``Canonical-Profile-Id`` (the
        spec's ``Location`` example, ``https:///memory...``, is malformed), so credentials
        cannot leave the origin; a ``Location`` that names another origin is refused anyway,
        as a sign that something between us and Twilio is rewriting answers.
        """
        if len(visited) > MAX_REDIRECTS:
            raise RedirectRefused(f"more than {MAX_REDIRECTS} merge redirects", http_status=301)
        location = headers.get("location")
        if location is not None:
            self._check_location(location.strip())
        canonical = headers.get("canonical-profile-id", "").strip()
        if not re.fullmatch(PROFILE_ID_PATTERN, canonical):
            raise RedirectRefused(
                "the profile moved but the API gave no valid Canonical-Profile-Id", http_status=301
            )
        if canonical in visited:
            raise RedirectRefused("the merge redirects form a loop", http_status=301)
        visited.append(canonical)
        return canonical

    def _check_location(self, location: str) -> None:
        """Refuse a ``Location`` naming another origin, or one too malformed to tell.

        A relative one, or the spec's hostless ``https:///...``, names no origin: fine, since
        the next URL comes from ``Canonical-Profile-Id`` on our own base URL either way.
        """
        try:
            parts = urlsplit(location)
            if not parts.netloc:
                return
            scheme = parts.scheme.lower() or self._origin[0]  # "//host/..." keeps our scheme
            port = parts.port or {"https": 443, "http": 80}.get(scheme)
            host = (parts.hostname or "").lower()
        except ValueError:
            raise RedirectRefused("the API redirected to a malformed Location", http_status=301) from None
        if (scheme, host, port) != self._origin:
            raise RedirectRefused(
                f"the API redirected to another origin ({clean(host or parts.netloc, ())})",
                http_status=301,
            )

    def _status_error(self, status: int, headers: httpx2.Headers, content: bytes) -> ApiStatusError:
        twilio_code, twilio_message = twilio_error(content)
        secrets: tuple[str, ...] = ()
        if self._config.credentials is not None:
            credentials = self._config.credentials
            secrets = (credentials.password.get_secret_value(), credentials.username)
        return error_for_status(
            status,
            twilio_code=twilio_code,
            twilio_message=clean(twilio_message, secrets) if twilio_message else None,
            retry_after_seconds=parse_retry_after(headers.get("retry-after")) if status == 429 else None,
        )


def _basic_auth(credentials: Credentials) -> str:
    pair = f"{credentials.username}:{credentials.password.get_secret_value()}"
    return "Basic " + base64.b64encode(pair.encode()).decode("ascii")


def _origin(url: str) -> tuple[str, str, int | None]:
    parsed = urlsplit(url)  # the base URL, validated by the caller
    scheme = parsed.scheme.lower()
    return scheme, (parsed.hostname or "").lower(), parsed.port or {"https": 443, "http": 80}.get(scheme)
