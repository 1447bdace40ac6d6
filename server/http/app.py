"""The streamable HTTP transport: one ASGI app serving the MCP tools at ``/mcp`` to a fleet.

Three ways to run it:

- ``twilio-memory-mcp --transport http [--host H] [--port P]`` (:func:`serve_http`): one
  uvicorn process, loopback by default;
- ``uvicorn server.http.app:create_app --factory --workers N`` or gunicorn with uvicorn
  workers (:func:`create_app`): settings from the environment, one app per worker;
- :func:`build_http_app` with ready-made settings (tests, embedding).

What the app is made of, outside in:

1. ``GET /healthz`` and ``GET /healthz/ready`` (:mod:`server.http.health`): no token needed.
2. With OAuth on, the Protected Resource Metadata (RFC 9728, :mod:`server.oauth.metadata`):
   public, no token needed.
3. Bearer authentication when static tokens or OAuth are configured
   (:class:`~server.http.auth.BearerGate`: 401, 403 ``insufficient_scope``, 503 when the
   issuer's keys cannot be fetched), and under OAuth the per-caller tool filter inside MCP
   (:class:`~server.oauth.scopes.ScopeFilter`, first in the chain
   :func:`server.mcp_server.build_server` builds from the :class:`ScopePolicy` given it).
   It is composed here rather than passed to ``MCPServer(token_verifier=..., auth=...)``
   because the SDK's pieces know no 503 and no per-tool scopes (see ``server/http/auth.py``).
4. :class:`~server.http.protocol.ProtocolGate`: 405 for GET (no server-initiated stream to
   offer), 400 naming the supported versions for an unknown ``MCP-Protocol-Version``.
5. The SDK's streamable HTTP app, stateless (``stateless_http=True``; the 2026-07-28 protocol
   is sessionless anyway), so any replica can answer any request; with its request body limit
   and DNS-rebinding protection (Host and Origin allow-lists). No CORS middleware: browsers
   get no ``Access-Control-Allow-Origin`` from this server (only the public metadata of 2).

Streaming responses (``json_response=False``) matter beyond progress notifications: on that
path the SDK cancels a tool call when its client disconnects, and the cancellation reaches
the upstream request (see ``mcp/server/_streamable_http_modern.py``, ``watch_disconnect``).

uvicorn is imported inside the functions that run it, so the stdio server never loads it.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING, Any

import httpx2
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from server import __version__
from server.frozen_start import built_then_frozen
from server.http.auth import BearerGate, StaticTokenVerifier
from server.http.connections import FD_RESERVE, ConnectionLimits, fit_to_descriptors, quiet_accept_errors
from server.http.health import LIVE_PATH, READY_PATH, Readiness, live
from server.http.hosts import HostGate
from server.http.protocol import ProtocolGate
from server.http.shutdown import ANSWER_MARGIN, GracefulShutdown, keep_streams_open_on_exit
from server.logs import configure_logging, secrets_of
from server.mcp_server import build_server, exposed_tools
from server.oauth.jwks import SigningKeys
from server.oauth.metadata import metadata_routes, resource_metadata_url
from server.oauth.scopes import ScopePolicy
from server.oauth.verifier import JwtVerifier
from server.settings import WILDCARD_BINDS, Settings, check_exposure, is_loopback_host, load_settings
from tools.in_flight import InFlight

if TYPE_CHECKING:
    import uvicorn

MCP_PATH = "/mcp"
# Allocations between two collections of gc generation 0 once the app is built (gc's default
# 700): sixteen calls in flight hold more than 700 new objects between them, so a collection
# came every 3-4 calls and walked the same live ones again (179 young collections, 74 ms, over
# 640 calls; at 5,000: 7, 14 ms). Cyclic garbage waits a little longer for its collection.
YOUNG_COLLECTION_THRESHOLD = 5_000
_MCP_PATHS = frozenset((MCP_PATH, MCP_PATH + "/"))

# Loopback names are always allowed: a DNS-rebinding attack makes a browser send the
# attacker's host name, never these. Bare names cover port 80, where Host carries no port.
LOOPBACK_HOSTS = ("127.0.0.1", "127.0.0.1:*", "localhost", "localhost:*", "[::1]", "[::1]:*")
LOOPBACK_ORIGINS = tuple(f"http://{host}" for host in LOOPBACK_HOSTS)

logger = logging.getLogger("twilio_memory_mcp")


def build_http_app(
    settings: Settings,
    *,
    transport: httpx2.AsyncBaseTransport | None = None,
    host: str | None = None,
) -> Starlette:
    """The ASGI app for ``settings``. ``host`` is the address being bound, if known: a
    specific address is added to the allowed Host headers. ``transport`` replaces the
    network to the Memory API (tests, the sandbox)."""
    security = transport_security(settings, host)
    keep_streams_open_on_exit()
    in_flight = InFlight()
    shutdown = GracefulShutdown(in_flight, settings.http.shutdown_grace)
    scopes = ScopePolicy.build(settings.http.oauth, exposed_tools(settings)) if settings.http.oauth else None
    server = build_server(settings, transport=transport, in_flight=in_flight, scopes=scopes)
    # The SDK logs "Terminating session: None" at INFO for every stateless 2025-protocol request.
    logging.getLogger("mcp.server.streamable_http").setLevel(logging.WARNING)
    mcp_app = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=True,
        json_response=False,
        max_request_body_size=settings.http.max_request_bytes,
        transport_security=security,
    )
    readiness = Readiness(settings, transport=transport)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Starlette does not run a mounted app's lifespan: run the SDK's here. It enters
        # build_server's lifespan once (one shared pool for every request), and on shutdown
        # cancels what is left, after uvicorn has waited out the graceful period.
        async with AsyncExitStack() as stack:
            await stack.enter_async_context(shutdown.watching())
            await stack.enter_async_context(quiet_accept_errors())
            await stack.enter_async_context(mcp_app.router.lifespan_context(mcp_app))
            await stack.enter_async_context(readiness.running())
            yield

    gated = HostGate(ProtocolGate(mcp_app, MCP_PATH, settings.http.max_request_bytes), security.allowed_hosts)
    protected, auth_routes = _authenticated(settings, scopes, gated)
    return McpFirst(
        protected,
        routes=[
            Route(LIVE_PATH, live, methods=["GET"]),
            Route(READY_PATH, readiness.endpoint, methods=["GET"]),
            *auth_routes,
            Mount("", app=protected),
        ],
        lifespan=lifespan,
    )


class McpFirst(Starlette):
    """The app: a request for ``/mcp`` goes straight to ``mcp`` (the gates, then the SDK),
    every other one through the routes. The routes would send it there too, after matching it
    against each of them and through Starlette's own middleware: a quarter of what the gates and
    routing cost per request, for nothing (issue 17)."""

    def __init__(self, mcp: ASGIApp, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._mcp = mcp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in _MCP_PATHS:
            await self._mcp(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def _authenticated(
    settings: Settings, policy: ScopePolicy | None, app: ASGIApp
) -> tuple[ASGIApp, list[BaseRoute]]:
    """``app`` behind the bearer gate, and the OAuth metadata routes; ``app`` as it is when
    no authentication is configured (loopback only, see :func:`server.settings.check_exposure`)."""
    oauth = settings.http.oauth
    if oauth is None or policy is None:
        if not settings.http.tokens:
            return app, []
        return BearerGate(app, static=StaticTokenVerifier(settings.http.tokens)), []
    static = None
    if settings.http.tokens:  # beside OAuth, a static token grants every scope
        static = StaticTokenVerifier(settings.http.tokens, policy.scopes_supported())
    gate = BearerGate(
        app,
        static=static,
        oauth=JwtVerifier(oauth, SigningKeys(oauth.issuer, oauth.jwks_url)),
        policy=policy,
        resource_metadata_url=resource_metadata_url(oauth),
        max_body_bytes=settings.http.max_request_bytes,
    )
    return gate, list(metadata_routes(oauth, policy.scopes_supported(), MCP_PATH))


def transport_security(settings: Settings, host: str | None = None) -> TransportSecuritySettings:
    """DNS-rebinding protection: always on; loopback plus the bound address plus the lists
    configured in TWILIO_MEMORY_ALLOWED_HOSTS and TWILIO_MEMORY_ALLOWED_ORIGINS."""
    hosts = list(LOOPBACK_HOSTS)
    if host is not None and host not in WILDCARD_BINDS and not is_loopback_host(host):
        bound = f"[{host}]" if ":" in host else host
        hosts += [bound, f"{bound}:*"]
    hosts += settings.http.allowed_hosts
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=hosts,
        allowed_origins=[*LOOPBACK_ORIGINS, *settings.http.allowed_origins],
    )


def create_app() -> Starlette:
    """ASGI app factory for any ASGI server: ``uvicorn server.http.app:create_app --factory``.

    Settings come from the environment, once per worker. The factory cannot see the address
    the ASGI server binds, so it always requires authentication (TWILIO_MEMORY_MCP_TOKEN or
    OAuth); for a token-less server on loopback use ``twilio-memory-mcp --transport http``.
    """
    settings = load_settings(os.environ)
    configure_logging(settings.log_level, secrets_of(settings))
    check_exposure(settings, None)  # the address the ASGI server binds is not known here
    _log_start(settings, "ASGI factory")
    with built_then_frozen(YOUNG_COLLECTION_THRESHOLD):
        return build_http_app(settings)


def uvicorn_config(app: ASGIApp, settings: Settings, *, host: str, port: int) -> uvicorn.Config:
    """The uvicorn settings this server runs with (also used by the tests)."""
    import uvicorn

    cap = fit_to_descriptors(settings.http.max_connections, FD_RESERVE + settings.memory.max_concurrency)
    return uvicorn.Config(
        app,
        # h11, with a header timeout and a connection cap that refuses at once (issue 9 item 5).
        http=ConnectionLimits(cap, settings.http.header_timeout).protocol(),
        host=host,
        port=port,
        lifespan="on",
        # uvicorn takes whole seconds, and cancels (cutting streams) when they are up: our own
        # clock cuts late calls at the grace, with an answer, well before (server/http/shutdown.py).
        timeout_graceful_shutdown=math.ceil(settings.http.shutdown_grace) + ANSWER_MARGIN,
        log_config=None,  # our logging (stderr) is already configured
        access_log=False,  # URLs and client addresses: a proxy's access log is the place
        server_header=False,
    )


def serve_http(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 8000,
    transport: httpx2.AsyncBaseTransport | None = None,
) -> None:
    """Serve in the foreground until SIGINT/SIGTERM, then drain: the listening socket closes
    at once (new calls are refused) and in-flight calls get ``shutdown_grace`` to finish."""
    import uvicorn

    check_exposure(settings, host)
    with built_then_frozen(YOUNG_COLLECTION_THRESHOLD):
        app = build_http_app(settings, transport=transport, host=host)
    where = f"http://{'[' + host + ']' if ':' in host else host}:{port}{MCP_PATH}"
    _log_start(settings, where)
    uvicorn.Server(uvicorn_config(app, settings, host=host, port=port)).run()


def _log_start(settings: Settings, where: str) -> None:
    kinds = [f"{len(settings.http.tokens)} bearer token(s)"] if settings.http.tokens else []
    if settings.http.oauth is not None:
        kinds.append(f"OAuth from {settings.http.oauth.issuer} for {settings.http.oauth.resource}")
    auth = " and ".join(kinds) or "none (loopback)"
    logger.info(
        "twilio-memory-mcp %s on %s; auth: %s; upstream concurrency %d; Memory API at %s",
        __version__,
        where,
        auth,
        settings.memory.max_concurrency,
        settings.memory.base_url,
    )
