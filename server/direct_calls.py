"""Middleware: a read tool's call answered in one pass, its result built as the wire form once.

Left to the SDK (mcp 2.3), a tools/call is checked as a request twice (the spec's surface,
then the handler's params model), dispatched through four layers (the handler, the tool
manager, ``Tool.run``, the argument model), and the ``CallToolResult`` the tool returns is
dumped, validated and dumped again on its way out: two more walks over ``structuredContent``,
which the tool had serialized once already (issue 17: 58 us of a 10 KB recall's 380, more
than the SDK floor's whole output conversion). :class:`DirectCalls` answers a read tool's call
itself, innermost in the chain, so the OpenTelemetry span, the request checks and the
requestState boundary all still see it:

- the params are checked once against the spec's surface for the connection's version, as the
  SDK checks them (a refusal is the SDK's own ``-32602``, explained by :class:`RequestCheck`);
- the arguments are validated once, by the tool's own argument model, and the tool runs with
  the ``Context`` the SDK would give it; arguments that fail go on to the SDK, whose refusal
  :class:`ArgumentCheck` turns into the structured error (nothing has run yet);
- the result goes out as the SDK would send it, envelope included: the envelope (the
  version's fields, ``resultType`` and the server-info stamp on 2026-07-28) is the SDK's own
  serialization of an empty result, worked out once per version; only the text, the
  structured content and ``isError`` are put in per call.

Everything else goes on to the SDK: writes (their confirmation rounds are the SDK's), a
connection whose handshake is not done, a result of another shape. Where the SDK does not
keep what this relies on, no call is answered here (:func:`install` says so, and a test fails).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from mcp import MCPError
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import (
    ResourceError,
    ToolError,
    UnexpectedResourceError,
    UnexpectedToolError,
)
from mcp.server.mcpserver.tools import Tool
from mcp.types import CallToolResult, TextContent
from mcp_types import SERVER_INFO_META_KEY
from mcp_types import methods as spec_methods
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

# The SDK's logger for failed tool calls, so a failure logs the same line on either path.
sdk_logger = logging.getLogger("mcp.server.mcpserver.server")
logger = logging.getLogger("twilio_memory_mcp")

_METHOD = "tools/call"


class DirectCalls:
    """Answers tools/call of the given (read) tools; see the module's docstring."""

    def __init__(self, server: MCPServer[Any], tools: Iterable[Tool], stamp: Any) -> None:
        self._server = server
        self._tools = {tool.name: tool for tool in tools if not tool.resolved_params}
        self._stamp = stamp  # the SDK's lowlevel server: its server_info_stamp
        self._templates: dict[tuple[str, bool], dict[str, Any]] = {}

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        tool = self._tool_for(ctx)
        if tool is None:
            return await call_next(ctx)
        params = ctx.params
        assert params is not None  # _tool_for found a tool named there
        spec_methods.validate_client_request(_METHOD, ctx.protocol_version, params)
        try:
            arguments = tool.fn_metadata.validate_arguments(params.get("arguments") or {})
        except Exception:  # the SDK refuses it its own way: nothing has run yet
            return await call_next(ctx)
        context: Context[Any, Any] = Context(request_context=ctx, mcp_server=self._server)
        pass_directly = {tool.context_kwarg: context} if tool.context_kwarg else {}
        try:
            result = await tool.fn_metadata.call_fn(tool.fn, tool.is_async, arguments, pass_directly)
        except MCPError:
            raise
        except Exception as exc:  # answered as Tool.run and the SDK's handler answer it
            result = _failed(tool.name, exc)
        if not isinstance(result, CallToolResult):
            raise TypeError(f"tool {tool.name} returned {type(result).__name__}, not a CallToolResult")
        return self._wire(result, ctx.protocol_version)

    def _tool_for(self, ctx: ServerRequestContext[Any, Any]) -> Tool | None:
        """The tool a tools/call names, if it is answered here and the handshake is done."""
        params = ctx.params
        if ctx.method != _METHOD or params is None:
            return None
        name = params.get("name")
        tool = self._tools.get(name) if isinstance(name, str) else None
        if tool is None or not isinstance(params.get("arguments", {}), dict):
            return None
        # The SDK refuses a call before initialize (-32602): that stays its to answer.
        connection = getattr(ctx.session, "_connection", None)
        return tool if getattr(connection, "initialize_accepted", False) is True else None

    def _wire(self, result: CallToolResult, version: str) -> dict[str, Any]:
        """``result`` as the SDK would put it on the wire at ``version``."""
        block = result.content[0] if len(result.content) == 1 else None
        if not (isinstance(block, TextContent) and block.annotations is None and block.meta is None) or (
            result.meta is not None or result.result_type != "complete"
        ):
            return self._envelope(version, _dumped(result))  # not the shape of the template
        template = self._templates.get((version, result.is_error))
        if template is None:  # every key in the SDK's order, structuredContent included
            empty = CallToolResult(
                content=[TextContent(type="text", text="")], structured_content={}, is_error=result.is_error
            )
            template = self._envelope(version, _dumped(empty))
            self._templates[(version, result.is_error)] = template
        wire = dict(template)
        wire["content"] = [{**template["content"][0], "text": block.text}]
        if result.structured_content is None:
            del wire["structuredContent"]
        else:
            wire["structuredContent"] = result.structured_content
        if SERVER_INFO_META_KEY in template.get("_meta", {}):
            wire["_meta"] = {**template["_meta"], SERVER_INFO_META_KEY: self._stamp.server_info_stamp}
        return wire

    def _envelope(self, version: str, dumped: dict[str, Any]) -> dict[str, Any]:
        """What the SDK's runner makes of a handler's dumped result (``ServerRunner._serialize``):
        the version's surface, ``resultType`` and the server-info stamp on 2026-07-28."""
        wire = spec_methods.serialize_server_result(_METHOD, version, dumped)
        if version in MODERN_PROTOCOL_VERSIONS:
            wire.setdefault("resultType", "complete")
            meta = wire.get("_meta")
            if meta is None or (isinstance(meta, dict) and meta.get(SERVER_INFO_META_KEY) is None):
                wire["_meta"] = {**(meta or {}), SERVER_INFO_META_KEY: self._stamp.server_info_stamp}
        return wire


def _dumped(result: CallToolResult) -> dict[str, Any]:
    return result.model_dump(by_alias=True, mode="json", exclude_none=True)  # as the SDK's runner


def _failed(name: str, exc: Exception) -> CallToolResult:
    """A tool that raised, answered as ``Tool.run`` and the SDK's handler answer it: a
    failure it meant keeps its text, a crash says only that the tool failed."""
    if isinstance(exc, UnexpectedToolError | UnexpectedResourceError):
        text = f"Error executing tool {name}: {exc}"  # a nested crash: its text is generic already
        sdk_logger.error("Tool %r raised an unexpected exception", name, exc_info=exc)
    elif isinstance(exc, ToolError | ResourceError):
        text = f"Error executing tool {name}: {exc}"
        sdk_logger.info("Tool %r failed: %r", name, text)
    else:
        text = f"Error executing tool {name}"
        sdk_logger.error("Tool %r raised an unexpected exception", name, exc_info=exc)
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)


def install(server: MCPServer[Any], tools: Iterable[Tool]) -> bool:
    """Answer the read tools' calls innermost in ``server``'s chain; False (and nothing
    installed) where the SDK does not keep what :class:`DirectCalls` relies on."""
    lowlevel = getattr(server, "_lowlevel_server", None)
    if lowlevel is None or not hasattr(lowlevel, "server_info_stamp") or lowlevel.cache_hints.get(_METHOD):
        logger.warning("tool calls are served by the SDK's own path: this SDK version differs")
        return False
    reads = [tool for tool in tools if tool.annotations is not None and tool.annotations.read_only_hint]
    server.middleware.append(DirectCalls(server, reads, lowlevel))
    return True
