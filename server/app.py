"""MCP wiring: the server object, its lifespan (one shared HTTP client) and argument checks."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx2
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.tools import Tool
from pydantic import ValidationError

from memory.client import Clock, LazyHttpClient, MemoryApiClient, Sleep
from server import __version__
from server.logs import quiet_http_logs
from server.request_checks import RequestCheck
from server.settings import Settings, SettingsError
from tools import ToolSelectionError, build_extensions, build_tools, enabled_tools, register_extras
from tools.audit import AuditLog
from tools.in_flight import InFlight
from tools.instructions import instructions
from tools.redaction import Redactor
from tools.results import invalid_arguments
from tools.state import AppState

logger = logging.getLogger("twilio_memory_mcp")


def build_server(
    settings: Settings,
    *,
    transport: httpx2.AsyncBaseTransport | None = None,
    sleep: Sleep = anyio.sleep,
    clock: Clock = anyio.current_time,
    in_flight: InFlight | None = None,
) -> MCPServer[AppState]:
    """The MCP server for ``settings``; ``transport`` lets tests and the sandbox skip the network.
    ``in_flight`` is where calls register, for a transport that cuts them at shutdown."""
    calls = in_flight if in_flight is not None else InFlight()

    @asynccontextmanager
    async def lifespan(_: MCPServer[AppState]) -> AsyncIterator[AppState]:
        # One client for the server's lifetime: its pool reuses connections across calls. It
        # is made at the first call: its TLS setup would otherwise delay every cold start.
        config = settings.memory_config()
        http = LazyHttpClient(config, transport)
        audit = AuditLog(settings.audit_log)
        try:
            api = MemoryApiClient(http, config, sleep=sleep, clock=clock)
            yield AppState(api, Redactor(settings.redact), audit, settings.result_budget, calls)
        finally:
            audit.close()
            await http.aclose()

    quiet_http_logs()
    enabled = exposed_tools(settings)
    tools = build_tools(enabled, settings.default_store_id)
    requests = RequestCheck()  # first: ArgumentCheck relies on a well-formed tools/call
    server = MCPServer(
        "twilio-memory-mcp",
        title="Twilio Conversation Memory",
        instructions=instructions(enabled, sandbox=settings.sandbox),
        version=__version__,
        tools=tools,
        extensions=build_extensions(enabled, sandbox=settings.sandbox, redact=settings.redact),
        lifespan=lifespan,
        log_level=settings.log_level,
        middleware=[requests, ArgumentCheck(tools)],
    )
    register_extras(server, enabled)
    requests.bind(server)
    return server


def exposed_tools(settings: Settings) -> frozenset[str]:
    """The tools this deployment exposes (also what OAuth scopes can grant, server/oauth/scopes.py)."""
    try:
        return enabled_tools(settings.enabled_tools, settings.enabled_toolsets)
    except ToolSelectionError as error:
        raise SettingsError(str(error)) from None


class ArgumentCheck:
    """Gives rejected tools/call arguments the same structured error as every other failure.

    The SDK rejects bad arguments as text alone; the model gets the same
    ``{"error": {"code": "invalid_argument", ...}}`` as for every other failure instead. It
    validates with each tool's own argument model, so the schema in tools/list is the only
    rulebook. The SDK still answers the call (and logs the rejected field names): only its
    content is replaced, so the result keeps the envelope the SDK gives each protocol version
    (``resultType`` and the server-info stamp on 2026-07-28, neither before).
    """

    def __init__(self, tools: list[Tool]) -> None:
        self._tools = {tool.name: tool for tool in tools}

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        rejected = self._rejected(ctx.method, ctx.params)
        result = await call_next(ctx)
        if rejected is None or not isinstance(result, dict) or result.get("isError") is not True:
            return result
        ours = invalid_arguments(*rejected).model_dump(by_alias=True, mode="json", exclude_none=True)
        return {**result, "content": ours["content"], "structuredContent": ours["structuredContent"]}

    def _rejected(self, method: str, params: Any) -> tuple[str, ValidationError] | None:
        if method != "tools/call" or not isinstance(params, dict):
            return None
        name = params.get("name")
        tool = self._tools.get(name) if isinstance(name, str) else None
        arguments = params.get("arguments") or {}
        if tool is None or not isinstance(arguments, dict):
            return None
        try:
            tool.fn_metadata.validate_arguments(arguments)
        except ValidationError as error:
            return tool.name, error
        return None
