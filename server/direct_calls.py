"""Middleware: a read tool's call answered in one pass, its result built as the wire form once.

Left to the SDK (mcp 2.3), a tools/call is checked as a request twice (the spec's surface,
then the handler's params model), dispatched through four layers (the handler, the tool
manager, ``Tool.run``, the argument model), and the ``CallToolResult`` the tool returns is
dumped, validated and dumped again on its way out: two more walks over ``structuredContent``,
which the tool had serialized once already (issue 17: 58 us of a 10 KB recall, timed in
place, more than the SDK floor's whole output conversion). :class:`DirectCalls` answers a read tool's call
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

Everything else goes on to the SDK: writes (their confirmation rounds are the SDK's), params
beyond a name, arguments and ``_meta`` (a task, input responses: the SDK's params model judges
them), a connection whose handshake is not done. The tool gets the ``Context`` a read needs
(the request, the server), without the input responses and subscriptions no read tool uses.
Where the SDK does not keep what this relies on, or something wraps tools/call that this would
skip (an extension's interceptor, a cache hint), no call is answered here (:func:`install`;
a test fails with the SDK we install).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from mcp import MCPError
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.extension import Extension
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import (
    ResourceError,
    ToolError,
    UnexpectedResourceError,
    UnexpectedToolError,
)
from mcp.server.mcpserver.tools import Tool
from mcp.types import CallToolResult, TextContent
from mcp_types import INTERNAL_ERROR, SERVER_INFO_META_KEY
from mcp_types import methods as spec_methods
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import ValidationError

# The SDK's loggers, so a failure logs the same line on either path.
sdk_logger = logging.getLogger("mcp.server.mcpserver.server")
sdk_runner_logger = logging.getLogger("mcp.server.runner")
logger = logging.getLogger("twilio_memory_mcp")

_METHOD = "tools/call"
_PLAIN = frozenset({"name", "arguments", "_meta"})  # a read tool's call has no other params


class DirectCalls:
    """Answers tools/call of the given (read) tools; see the module's docstring."""

    def __init__(self, server: MCPServer[Any], tools: Iterable[Tool], lowlevel: Any) -> None:
        self._server = server
        self._tools = {tool.name: tool for tool in tools if not tool.resolved_params}
        self._lowlevel = lowlevel  # the SDK's lowlevel server, for its server_info_stamp
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
        if tool is None or not isinstance(params.get("arguments", {}), dict) or params.keys() - _PLAIN:
            return None  # a field a read tool never needs (a task, input responses): the SDK checks it
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
            wire["_meta"] = {**template["_meta"], SERVER_INFO_META_KEY: self._lowlevel.server_info_stamp}
        return wire

    def _envelope(self, version: str, dumped: dict[str, Any]) -> dict[str, Any]:
        """What the SDK's runner makes of a handler's dumped result (``ServerRunner._serialize``):
        the version's surface, ``resultType`` and the server-info stamp on 2026-07-28."""
        try:
            wire = spec_methods.serialize_server_result(_METHOD, version, dumped)
        except ValidationError:  # as the SDK's runner answers a result it cannot send
            sdk_runner_logger.exception("handler for %r returned an invalid result", _METHOD)
            raise MCPError(code=INTERNAL_ERROR, message="Handler returned an invalid result") from None
        if version in MODERN_PROTOCOL_VERSIONS:
            wire.setdefault("resultType", "complete")
            meta = wire.get("_meta")
            if meta is None or (isinstance(meta, dict) and meta.get(SERVER_INFO_META_KEY) is None):
                wire["_meta"] = {**(meta or {}), SERVER_INFO_META_KEY: self._lowlevel.server_info_stamp}
        return wire


def _dumped(result: CallToolResult) -> dict[str, Any]:
    return result.model_dump(by_alias=True, mode="json", exclude_none=True)  # as the SDK's runner


def _failed(name: str, exc: Exception) -> CallToolResult:
    """A tool that raised, answered as ``Tool.run`` and the SDK's handler answer it: a
    failure it meant keeps its text, a crash says only that the tool failed."""
    if isinstance(exc, ToolError | ResourceError) and not isinstance(
        exc, UnexpectedToolError | UnexpectedResourceError
    ):
        text = f"Error executing tool {name}: {exc}"
        sdk_logger.info("Tool %r failed: %r", name, text)
    else:
        # A crash: a nested one's text is generic already; any other's stays on the server.
        nested = isinstance(exc, UnexpectedToolError | UnexpectedResourceError)
        crash = UnexpectedToolError(
            f"Error executing tool {name}: {exc}" if nested else f"Error executing tool {name}"
        )
        crash.__cause__ = exc
        text = str(crash)
        sdk_logger.error("Tool %r raised an unexpected exception", name, exc_info=crash)
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)


def install(server: MCPServer[Any], reads: Iterable[Tool]) -> bool:
    """Answer the calls of ``reads`` (tools that only read, never a write) innermost in
    ``server``'s chain; False (and nothing installed) where the SDK does not keep what
    :class:`DirectCalls` relies on, or where something wraps tools/call that this would skip
    (an extension's ``intercept_tool_call``, a cache hint)."""
    lowlevel = getattr(server, "_lowlevel_server", None)
    extensions = getattr(server, "_extensions", None)
    if (
        lowlevel is None
        or not hasattr(lowlevel, "server_info_stamp")
        or lowlevel.cache_hints.get(_METHOD)
        or extensions is None
        or any(type(each).intercept_tool_call is not Extension.intercept_tool_call for each in extensions)
    ):
        logger.info("read tools' calls are served by the SDK's own path: what it relies on differs here")
        return False
    read_only = [tool for tool in reads if tool.annotations is not None and tool.annotations.read_only_hint]
    server.middleware.append(DirectCalls(server, read_only, lowlevel))
    return True
