"""One exchange with the Memory API: the pooled client, retries, the deadline, merges.

:class:`Exchange` sends one logical call: every attempt under its own timeout and the whole
under the call's deadline; 429 and transient failures retried as :mod:`memory.retries`
decides; a merged profile's redirect followed as :mod:`memory.merges` allows; the body read
under the size cap of :mod:`memory.responses`. It knows paths and bytes, not operations:
those are :class:`memory.client.MemoryApiClient`'s.
"""

from __future__ import annotations

import base64
import random
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from urllib.parse import quote, urlencode

import anyio
import httpx2

from memory.config import ClientConfig, Credentials
from memory.errors import (
    ApiStatusError,
    ConnectionFailed,
    InvalidResponse,
    MemoryApiError,
    NotConfigured,
    OutcomeUnknown,
    UpstreamTimeout,
    error_for_status,
)
from memory.merges import canonical_on_success, is_merge, next_profile, origin_of
from memory.responses import clean, read_capped, twilio_error
from memory.retries import backoff_delay, parse_retry_after, rate_limit_delay, retryable_status
from memory.scrub import Scrubber

_JSON_TYPE = {"Content-Type": "application/json"}

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


@dataclass
class CallTrace:
    """What one call did upstream, for logs and the audit trail (never values)."""

    attempts: int = 0
    http_status: int | None = None


@dataclass(frozen=True)
class Target:
    """Where a request goes: path segments and query parameters, each encoded on its own."""

    store_id: str
    profile_id: str | None
    tail: tuple[str, ...]
    query: tuple[tuple[str, str], ...] = ()

    def path(self) -> str:
        # Encode every id and tail segment, validated or not: "/", "?", "#", "%" and dot
        # segments must stay data.
        path = "/v1/Stores/" + _segment(self.store_id) + "/Profiles"
        if self.profile_id is not None:
            path += "/" + _segment(self.profile_id)
        for segment in self.tail:
            path += "/" + _segment(segment)
        if not self.query:
            return path
        # Percent-encoded here (a space is %20, a "+" %2B) rather than by httpx2's params
        # merging, which nearly doubled the cost of building each request (~60 us).
        return path + "?" + urlencode(self.query, quote_via=quote, safe="")


# What quote() leaves as it is (RFC 3986 unreserved): a segment made only of these, as every
# valid id is, needs no encoding, and a match costs a fifth of a quote() (issue 17).
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")


def _segment(text: str) -> str:
    if text in (".", ".."):
        # quote() leaves dots alone, and "." or ".." as a whole segment would be a step up
        # the path (RFC 3986 §5.2.4), not data.
        return "%2E" * len(text)
    return text if _UNRESERVED.fullmatch(text) else quote(text, safe="")


def api_url(base: httpx2.URL, path: str) -> httpx2.URL:
    """``base`` (an origin, perhaps with a path prefix) followed by ``path``, a
    :meth:`Target.path`: percent-encoded already, every segment and parameter data.

    ``httpx2.URL(text)`` would parse the text again and check each of its characters, about
    14 us of a call's CPU (more than reading an identifier lookup's answer, issue 17; httpx2
    2.17 keeps the parses of the last 128 URLs, so a URL seen lately costs less). Nothing
    in ``path`` is left for that parse to change (no character outside RFC 3986's unreserved
    set and "%XX" escapes besides the "/", "?", "&" and "=" that :class:`Target` placed, no
    dot segment), so the base's parse is copied with the path and query put in. Where
    httpx2 does not keep its parse as this expects, the text is parsed as before.
    """
    parsed = getattr(base, "_uri_reference", None)
    if not (_PARSE_KEPT and parsed is not None and parsed.query is None and parsed.fragment is None):
        return httpx2.URL(str(base) + path)
    route, _, query = path.partition("?")
    url = httpx2.URL.__new__(httpx2.URL)
    url._uri_reference = parsed._replace(path=parsed.path.rstrip("/") + route, query=query or None)
    return url


# Whether httpx2's URL keeps its parse in a NamedTuple, as api_url needs (tested).
_PARSE_KEPT = hasattr(getattr(httpx2.URL("https://a"), "_uri_reference", None), "_replace")


def request_headers(config: ClientConfig) -> dict[str, str]:
    """The headers of every request to the Memory API for ``config``."""
    headers = {"Accept": "application/json", "User-Agent": config.user_agent}
    if config.credentials is not None:
        headers["Authorization"] = _basic_auth(config.credentials)
    return headers


def http_client(
    config: ClientConfig, transport: httpx2.AsyncBaseTransport | None = None
) -> httpx2.AsyncClient:
    """The one pooled HTTP client a process shares; ``transport`` replaces the network
    (tests, the sandbox's in-process emulator). Its requests carry :func:`request_headers`
    through :class:`Route`, merged once."""
    return httpx2.AsyncClient(
        transport=transport,
        timeout=httpx2.Timeout(config.attempt_timeout, connect=config.connect_timeout),
        limits=httpx2.Limits(
            max_connections=config.max_concurrency,
            max_keepalive_connections=config.max_concurrency,
        ),
        follow_redirects=False,  # merges are followed by MemoryApiClient, origin-checked
    )


class LazyHttpClient:
    """The process's one pooled HTTP client (:func:`http_client`), made at the first request.

    Making it builds a TLS context and loads the CA bundle, which took 60-240 ms on the
    development machine: paid by the first call (which waits for the network anyway) rather
    than by every cold start before tools/list (``bench/cold_start.py``, issue 10).
    """

    def __init__(self, config: ClientConfig, transport: httpx2.AsyncBaseTransport | None = None) -> None:
        self._config = config
        self._transport = transport
        self._client: httpx2.AsyncClient | None = None

    def __call__(self) -> httpx2.AsyncClient:
        if self._client is None:
            self._client = http_client(self._config, self._transport)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


@dataclass(frozen=True)
class Route:
    """How a request reaches the Memory API through one pooled client, worked out once.

    Each request is handed to the transport the client would pick for the API's origin (its
    connection pool, or the proxy the environment names), with the headers httpx2 would give
    it worked out once here: ``AsyncClient.send`` would merge the client's headers, run an
    auth flow and a redirect loop (both unused: no auth, redirects off) and keep the answer's
    cookies, each call; ``Request(content=...)`` would add ``Host`` and ``Content-Length`` by
    rebuilding the headers (about 35 us of a call's CPU in all, issue 17). No cookie is kept:
    each call stands alone. Every request goes to the API's origin: a merge's redirect is
    followed only there.
    """

    client: httpx2.AsyncClient
    base: httpx2.URL
    transport: httpx2.AsyncBaseTransport
    headers: httpx2.Headers  # a request without a body (GET)
    json_headers: httpx2.Headers  # one with a JSON body, its Content-Length set per request
    extensions: dict[str, object]

    @classmethod
    def of(cls, client: httpx2.AsyncClient, config: ClientConfig) -> Route:
        base = httpx2.URL(config.base_url)
        headers = httpx2.Headers(client.headers)
        headers.update(request_headers(config))
        json_headers = httpx2.Headers(headers)
        json_headers.update(_JSON_TYPE)
        # What httpx2 itself makes of them (Host first, Content-Length last), for each kind.
        plain = httpx2.Request("GET", base, headers=headers).headers
        with_json = httpx2.Request("POST", base, headers=json_headers, content=b"{}").headers
        transport = client._transport_for_url(base)
        return cls(client, base, transport, plain, with_json, {"timeout": client.timeout.as_dict()})

    def request(self, method: str, path: str, body: bytes | None) -> httpx2.Request:
        """The request to ``path`` (a :meth:`Target.path`) with no body (a GET) or a JSON one:
        just what ``httpx2.Request(method, url, headers=..., content=body)`` would be, its
        headers and URL not worked out again."""
        if body is None:
            headers = self.headers
            stream = _NO_BODY
        else:
            headers = self.json_headers.copy()
            headers["Content-Length"] = str(len(body))
            stream = httpx2.ByteStream(body)
        return httpx2.Request(
            method, api_url(self.base, path), headers=headers, stream=stream, extensions=self.extensions
        )

    async def send(self, method: str, path: str, body: bytes | None) -> httpx2.Response:
        """The answer to one request to ``path``, its body not read yet."""
        return await self.transport.handle_async_request(self.request(method, path, body))


_NO_BODY = httpx2.ByteStream(b"")


class Exchange:
    """Sends calls to the Memory API for one :class:`ClientConfig` over one pooled client."""

    def __init__(
        self,
        http: httpx2.AsyncClient | Callable[[], httpx2.AsyncClient],
        config: ClientConfig,
        *,
        sleep: Sleep = anyio.sleep,
        clock: Clock = anyio.current_time,
        rng: random.Random | None = None,
    ) -> None:
        # A client, or a callable making it on demand (LazyHttpClient).
        self._http: Callable[[], httpx2.AsyncClient] = (
            (lambda: http) if isinstance(http, httpx2.AsyncClient) else http
        )
        self._config = config
        self._sleep = sleep
        self._clock = clock
        self._rng = rng
        self._origin = origin_of(config.base_url)
        self._limiter = anyio.CapacityLimiter(config.max_concurrency)
        self._route: Route | None = None
        self._scrubber = Scrubber()
        if config.credentials is not None:
            # Every form the credentials take on the wire, for scrubbing Twilio's error text.
            credentials = config.credentials
            self._scrubber = Scrubber(pairs=[(credentials.username, credentials.password.get_secret_value())])

    def url(self, target: Target) -> str:
        return self._config.base_url + target.path()

    async def call(
        self,
        method: str,
        target: Target,
        body: bytes | None,
        trace: CallTrace | None,
        *,
        replayable: bool = True,
    ) -> tuple[str, bytes]:
        """Send with retries and follow merges; return the final profile id and the body.

        ``body`` is encoded once, so a POST re-sent after a 308 carries the very same bytes.
        ``replayable`` is False for writes: they are retried only as
        :func:`memory.retries.retryable_status` allows them, and a failure after which the write
        may have been applied raises :class:`OutcomeUnknown`.
        """
        trace = trace if trace is not None else CallTrace()
        try:
            return await self._call(method, target, body, trace, replayable)
        except MemoryApiError as error:
            if replayable or not _maybe_applied(error):
                raise
            raise OutcomeUnknown(
                f"the write was sent but its outcome is unknown ({error.message}); it was not "
                "sent again, since a second copy could be stored",
                http_status=error.http_status,
                twilio_code=error.twilio_code,
                twilio_message=error.twilio_message,
            ) from None

    async def _call(
        self, method: str, target: Target, body: bytes | None, trace: CallTrace, replayable: bool
    ) -> tuple[str, bytes]:
        if self._config.credentials is None:
            raise NotConfigured(f"The Memory API is not configured: {self._config.credentials_problem}.")
        # The call's deadline bounds every wait below: each attempt's cancel scope (a slot of
        # the limiter, the request), and each retry's pause (never begun if it would outlast it).
        deadline = self._clock() + self._config.deadline
        visited = [target.profile_id or ""]
        while True:
            status, headers, content = await self._send(method, target, body, deadline, trace, replayable)
            if target.profile_id is not None and is_merge(method, status):
                canonical = next_profile(headers, visited, self._origin, status)
                target = replace(target, profile_id=canonical)
                continue
            if 200 <= status < 300:
                if target.profile_id is None:
                    return "", content
                return canonical_on_success(headers, target.profile_id), content
            if 300 <= status < 400:
                raise InvalidResponse(
                    f"the Memory API answered with an unexpected redirect (HTTP {status})",
                    http_status=status,
                )
            raise self._status_error(status, headers, content)

    async def _send(
        self,
        method: str,
        target: Target,
        body: bytes | None,
        deadline: float,
        trace: CallTrace,
        replayable: bool,
    ) -> tuple[int, httpx2.Headers, bytes]:
        """One request, retried while the failure is ``retryable`` and the deadline allows.

        A write (``replayable`` False) only when the same rule, :func:`retryable_status`, says
        the API proves it was not applied.
        """
        path = target.path()
        retries = 0
        while True:
            trace.attempts += 1
            failure: MemoryApiError
            try:
                status, headers, content = await self._attempt(method, path, body, deadline)
            except MemoryApiError as exc:
                if not (exc.retryable and retryable_status(None, sent=exc.sent, replayable=replayable)):
                    raise
                failure = exc
            else:
                trace.http_status = status
                if not retryable_status(status, replayable=replayable):
                    return status, headers, content
                failure = self._status_error(status, headers, content)
            retries += 1
            if retries > self._config.max_retries:
                raise failure
            if failure.http_status == 429:
                wait = rate_limit_delay(failure.retry_after_seconds, retries, rng=self._rng)
            else:
                wait = backoff_delay(retries, rng=self._rng)
            if wait >= deadline - self._clock():
                # Waiting would outlast the call: fail now, saying how long the API asked for.
                raise failure
            await self._sleep(wait)

    async def _attempt(
        self,
        method: str,
        path: str,
        body: bytes | None,
        deadline: float,
    ) -> tuple[int, httpx2.Headers, bytes]:
        # One cancel scope per attempt (each costs several microseconds of a call's CPU, issue
        # 17): over the wait for a slot it holds the call's deadline (waiting for a slot spends
        # the call's time, not the attempt's); once a slot is held, it is narrowed to the
        # attempt's timeout. Times come from the injected clock, scopes run on the loop's.
        timeout = self._config.attempt_timeout
        now, left = anyio.current_time(), deadline - self._clock()
        held = self._free_slot()
        cut_by_deadline = not (held and timeout < left)  # until a slot is held, only the deadline can
        with anyio.CancelScope(deadline=now + (max(left, 0) if cut_by_deadline else timeout)) as scope:
            try:
                if not held:
                    await self._limiter.acquire()
                    held = True
                    left = deadline - self._clock()
                    if timeout < left:
                        cut_by_deadline = False
                        scope.deadline = anyio.current_time() + timeout
                try:
                    response = await self._route_now().send(method, path, body)
                    try:
                        content = await read_capped(response)
                    finally:
                        await response.aclose()
                    return response.status_code, response.headers, content
                except httpx2.ConnectTimeout:
                    # No connection opened, so not a byte of the request left (retryable_status).
                    raise UpstreamTimeout("could not connect to the Memory API in time", sent=False) from None
                except httpx2.ConnectError:
                    raise ConnectionFailed(
                        "could not reach the Memory API (ConnectError)", sent=False
                    ) from None
                except httpx2.TimeoutException:
                    pass  # reported below, like an attempt cut short by the scope
                except httpx2.DecodingError:
                    raise InvalidResponse(
                        "the Memory API's answer could not be decoded (Content-Encoding)"
                    ) from None
                except httpx2.RequestError as exc:
                    # The exception's own text may quote the URL; its class name is enough.
                    raise ConnectionFailed(f"could not reach the Memory API ({type(exc).__name__})") from None
            finally:
                if held:
                    self._limiter.release()
        if cut_by_deadline:
            deadline_text = f"{self._config.deadline:g}s deadline"
            raise UpstreamTimeout(f"the Memory API did not answer within the {deadline_text}")
        raise UpstreamTimeout(f"the Memory API did not answer within {timeout:.3g}s")

    def _route_now(self) -> Route:
        """The :class:`Route` of the current client (made again if the client was replaced)."""
        http = self._http()
        if self._route is None or self._route.client is not http:
            self._route = Route.of(http, self._config)
        return self._route

    def _free_slot(self) -> bool:
        """A slot of the upstream concurrency limit if one is free: taken without a
        checkpoint, several microseconds less per call than ``acquire`` (issue 17)."""
        try:
            self._limiter.acquire_nowait()
        except anyio.WouldBlock:
            return False
        return True

    def _status_error(self, status: int, headers: httpx2.Headers, content: bytes) -> ApiStatusError:
        twilio_code, twilio_message = twilio_error(content)
        return error_for_status(
            status,
            twilio_code=twilio_code,
            twilio_message=clean(twilio_message, self._scrubber) if twilio_message else None,
            retry_after_seconds=parse_retry_after(headers.get("retry-after")) if status == 429 else None,
        )


def _maybe_applied(error: MemoryApiError) -> bool:
    """Whether a failed write may have been applied: it was sent, and no answer proved it
    was refused (a timeout, a dropped connection, a 5xx)."""
    if isinstance(error, UpstreamTimeout | ConnectionFailed):
        return error.sent
    if isinstance(error, InvalidResponse):
        # An answer that could not be read (too large, undecodable) may be the 202 that
        # accepted the write: unless a status proved a refusal, it may have been applied.
        return error.http_status is None or error.http_status < 400
    return error.http_status is not None and error.http_status >= 500


def _basic_auth(credentials: Credentials) -> str:
    pair = f"{credentials.username}:{credentials.password.get_secret_value()}"
    return "Basic " + base64.b64encode(pair.encode()).decode("ascii")
