"""Health endpoints for load balancers and orchestrators: liveness and readiness.

``GET /healthz`` (liveness) answers 200 as long as the process serves HTTP; it calls nothing
upstream, so a Twilio outage never gets healthy replicas restarted. ``GET /healthz/ready``
(readiness) answers 200 when credentials are configured and the Memory API answered a cheap
probe, else 503; a load balancer then routes around this replica. Neither needs a token and
neither says more than ``ok`` or what kind of check failed: no URLs, ids or secrets.

The probe is an unauthenticated ``GET`` of the API's root: any HTTP answer (a 401 or 404
included) proves DNS, TCP, TLS and Twilio's front door work, and an unauthenticated request
spends nothing of the account's rate limit. It runs on its own one-connection client, apart
from the tool calls' pool, so a burst of tool calls cannot make the replica look dead and a
probe never takes a slot a tool call needs. Results are kept for :data:`PROBE_CACHE_SECONDS`
and concurrent checks share one probe, so N probes a second cost one request per interval.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import httpx2
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from memory.client import Clock
from server.settings import Settings

LIVE_PATH = "/healthz"
READY_PATH = "/healthz/ready"
PROBE_TIMEOUT_SECONDS = 2.0  # well inside a load balancer's usual 5 s probe timeout
PROBE_CACHE_SECONDS = 5.0

logger = logging.getLogger("twilio_memory_mcp.health")

_NO_STORE = {"Cache-Control": "no-store"}


async def live(request: Request) -> Response:
    return JSONResponse({"status": "ok"}, headers=_NO_STORE)


class Readiness:
    """The readiness check: credentials configured, upstream reachable (cached probe)."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx2.AsyncBaseTransport | None = None,
        clock: Clock = anyio.current_time,
    ) -> None:
        self._settings = settings
        self._transport = transport
        self._clock = clock
        self._http: httpx2.AsyncClient | None = None
        self._lock = anyio.Lock()
        self._upstream: str | None = None
        self._checked_at = -PROBE_CACHE_SECONDS

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Hold the probe's client for the app's lifetime (enter it in the ASGI lifespan)."""
        async with httpx2.AsyncClient(
            transport=self._transport,
            timeout=PROBE_TIMEOUT_SECONDS,
            limits=httpx2.Limits(max_connections=1, max_keepalive_connections=0),
            follow_redirects=False,
        ) as http:
            self._http = http
            try:
                yield
            finally:
                self._http = None

    async def endpoint(self, request: Request) -> Response:
        checks = {"credentials": "ok" if self._settings.memory.credentials is not None else "missing"}
        checks["upstream"] = await self._probe() if checks["credentials"] == "ok" else "not_checked"
        ready = all(value == "ok" for value in checks.values())
        body = {"status": "ready" if ready else "not_ready", "checks": checks}
        return JSONResponse(body, status_code=200 if ready else 503, headers=_NO_STORE)

    async def _probe(self) -> str:
        async with self._lock:  # one probe at a time; the others read its result
            if self._upstream is None or self._clock() - self._checked_at >= PROBE_CACHE_SECONDS:
                self._upstream = await self._reach()
                self._checked_at = self._clock()
            return self._upstream

    async def _reach(self) -> str:
        if self._http is None:
            return "not_checked"  # outside the lifespan: nothing to probe with
        with anyio.move_on_after(PROBE_TIMEOUT_SECONDS):
            try:
                # Headers only: any answer at all means reachable, and its body is not read.
                async with self._http.stream("GET", self._settings.memory.base_url + "/"):
                    pass
            except httpx2.HTTPError as exc:
                # The class name only: an exception's text may quote the URL.
                logger.warning("readiness: the Memory API is unreachable (%s)", type(exc).__name__)
                return "unreachable"
            return "ok"
        logger.warning("readiness: the Memory API did not answer within %gs", PROBE_TIMEOUT_SECONDS)
        return "unreachable"
