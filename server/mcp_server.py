"""MCP wiring: the server object, its lifespan (one shared HTTP client) and its middleware."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio
import httpx2
from mcp.server.context import ServerMiddleware
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.prompts import Prompt
from mcp.server.mcpserver.tools import Tool
from mcp.server.request_state import RequestStateSecurity

from memory.client import Clock, LazyHttpClient, MemoryApiClient, Sleep
from server import __version__, consent_once, direct_calls
from server.logs import quiet_http_logs
from server.request_checks import ArgumentCheck, RequestCheck
from server.settings import Settings
from tools import (
    TOOLSETS,
    WRITE,
    build_extensions,
    build_prompts,
    build_tools,
    enabled_tools,
    register_resources,
)
from tools.audit import AuditLog
from tools.in_flight import InFlight
from tools.instructions import instructions
from tools.redaction import Redactor
from tools.state import AppState

if TYPE_CHECKING:
    from server.oauth.scopes import ScopePolicy

logger = logging.getLogger("twilio_memory_mcp")


def build_server(
    settings: Settings,
    *,
    transport: httpx2.AsyncBaseTransport | None = None,
    sleep: Sleep = anyio.sleep,
    clock: Clock = anyio.current_time,
    in_flight: InFlight | None = None,
    scopes: ScopePolicy | None = None,
) -> MCPServer[AppState]:
    """The MCP server for ``settings``; ``transport`` lets tests and the sandbox skip the network.
    ``in_flight`` is where calls register, for a transport that cuts them at shutdown;
    ``scopes`` is what each OAuth caller may use (the HTTP transport under OAuth)."""
    calls = in_flight if in_flight is not None else InFlight(cuttable=False)  # none to cut them

    @asynccontextmanager
    async def lifespan(_: MCPServer[AppState]) -> AsyncIterator[AppState]:
        # One client for the server's lifetime: its pool reuses connections across calls. It
        # is made at the first call: its TLS setup would otherwise delay every cold start.
        config = settings.memory
        http = LazyHttpClient(config, transport)
        audit = AuditLog(settings.audit_log)
        try:
            api = MemoryApiClient(http, config, sleep=sleep, clock=clock)
            yield AppState(
                api, Redactor(settings.redact), audit, settings.result_budget, calls, settings.write_confirm
            )
        finally:
            audit.close()
            await http.aclose()

    quiet_http_logs()
    enabled = exposed_tools(settings)
    tools = build_tools(enabled, settings.default_store_id)
    prompts = build_prompts(enabled)
    server = MCPServer(
        "twilio-memory-mcp",
        title="Twilio Conversation Memory",
        instructions=instructions(enabled, sandbox=settings.sandbox),
        version=__version__,
        tools=tools,
        extensions=build_extensions(enabled, sandbox=settings.sandbox, redact=settings.redact),
        lifespan=lifespan,
        log_level=settings.log_level,
        middleware=middleware(tools, prompts, scopes),
        request_state_security=request_state_security(settings),
    )
    writes = frozenset(TOOLSETS[WRITE])
    if enabled & writes:
        consent_once.install(server)  # a write's confirmation is used once
    direct_calls.install(server, [tool for tool in tools if tool.name not in writes])  # in one pass
    for prompt in prompts:
        server.add_prompt(prompt)
    register_resources(server, enabled)
    return server


def middleware(
    tools: list[Tool], prompts: list[Prompt], scopes: ScopePolicy | None
) -> list[ServerMiddleware[Any]]:
    """The whole chain, outermost first: what the caller may use (under OAuth), then the
    request's shape and names, then the arguments (ArgumentCheck relies on a well-formed
    tools/call)."""
    chain: list[ServerMiddleware[Any]] = []
    if scopes is not None:
        from server.oauth.scopes import ScopeFilter  # loaded only where OAuth is configured

        chain.append(ScopeFilter(scopes))
    chain += [RequestCheck([tool.name for tool in tools], prompts), ArgumentCheck(tools)]
    return chain


def exposed_tools(settings: Settings) -> frozenset[str]:
    """The tools this deployment exposes (also what OAuth scopes can grant, server/oauth/scopes.py)."""
    return enabled_tools(settings.enabled_tools, settings.enabled_toolsets)  # checked by load_settings


def request_state_security(settings: Settings) -> RequestStateSecurity | None:
    """The keys sealing 2026-07-28 requestState, shared by every worker that has them.

    A write's confirmation comes back in the client's retry (an input_required round): with
    the SDK's default, a key per process, a retry reaching another gunicorn worker or replica
    cannot be unsealed. None: the SDK's per-process key (stdio, one worker)."""
    secrets = settings.http.request_state_secrets
    if not secrets:
        return None
    return RequestStateSecurity(keys=[secret.get_secret_value() for secret in secrets])
