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
        segments = ["v1", "Stores", self.store_id, "Profiles"]
        if self.profile_id is not None:
            segments.append(self.profile_id)
        segments.extend(self.tail)
        # Encode every segment, validated or not: "/", "?", "#" and "%" must stay data.
        path = "/" + "/".join(quote(segment, safe="") for segment in segments)
        if not self.query:
            return path
        # Percent-encoded here (a space is %20, a "+" %2B) rather than by httpx2's params
        # merging, which nearly doubled the cost of building each request (~60 us).
        return path + "?" + urlencode(self.query, quote_via=quote, safe="")


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
    (tests, the sandbox's in-process emulator). It carries :func:`request_headers` itself:
    merging them into each request took httpx2 about 20 us a call (issue 17)."""
    return httpx2.AsyncClient(
        transport=transport,
        headers=request_headers(config),
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
        self._headers = request_headers(config)
        # Whether the last client seen already carries them (one made by http_client).
        self._client_seen: httpx2.AsyncClient | None = None
        self._client_has_headers = False
        self._scrubber = Scrubber()
        if config.credentials is not None:
            # Every form the credentials take on the wire, for scrubbing Twilio's error text.
            credentials = config.credentials
            self._scrubber = Scrubber(pairs=[(credentials.username, credentials.password.get_secret_value())])
        self._json_headers = {**self._headers, "Content-Type": "application/json"}

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
        url = self._config.base_url + target.path()
        retries = 0
        while True:
            trace.attempts += 1
            failure: MemoryApiError
            try:
                status, headers, content = await self._attempt(method, url, body, deadline)
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
        url: str,
        body: bytes | None,
        deadline: float,
    ) -> tuple[int, httpx2.Headers, bytes]:
        # One cancel scope per attempt (each costs several microseconds of a call's CPU, issue
        # 17): over the wait for a slot it holds the call's deadline (waiting for a slot spends
        # the call's time, not the attempt's); once a slot is held, it is narrowed to the
        # attempt's timeout. Times come from the injected clock, scopes run on the loop's.
        cut_by_deadline = True  # until a slot is held, only the call's deadline can cut
        timeout = self._config.attempt_timeout
        with anyio.CancelScope(deadline=anyio.current_time() + max(deadline - self._clock(), 0)) as scope:
            await self._acquire()
            try:
                left = deadline - self._clock()
                if timeout < left:
                    cut_by_deadline = False
                    scope.deadline = anyio.current_time() + timeout
                try:
                    http = self._http()
                    headers = self._headers_for(http, body is not None)
                    request = http.build_request(method, url, headers=headers, content=body)
                    response = await http.send(request, stream=True)
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
                self._limiter.release()
        if cut_by_deadline:
            deadline_text = f"{self._config.deadline:g}s deadline"
            raise UpstreamTimeout(f"the Memory API did not answer within the {deadline_text}")
        raise UpstreamTimeout(f"the Memory API did not answer within {timeout:.3g}s")

    def _headers_for(self, http: httpx2.AsyncClient, json_body: bool) -> dict[str, str] | None:
        """What a request must add to ``http``'s own headers: nothing but the body's type
        where the client carries :func:`request_headers` already, else all of them."""
        if http is not self._client_seen:
            self._client_seen = http
            self._client_has_headers = all(http.headers.get(k) == v for k, v in self._headers.items())
        if self._client_has_headers:
            return _JSON_TYPE if json_body else None
        return self._json_headers if json_body else self._headers

    async def _acquire(self) -> None:
        """A slot of the upstream concurrency limit: at once when one is free (no checkpoint,
        several microseconds less per call), else queued."""
        try:
            self._limiter.acquire_nowait()
        except anyio.WouldBlock:
            await self._limiter.acquire()

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
