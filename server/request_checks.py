"""Bad client requests are protocol errors: ``-32602`` with a message naming the problem.

Left to the SDK (mcp 2.3), a ``prompts/get`` for an unknown prompt or with a missing argument
raises ``ValueError`` deep in ``MCPServer.get_prompt``: the client gets code ``0`` on the 2025
protocols and ``-32603 Internal server error`` on 2026-07-28, and the log a traceback (issue 8,
item 2). Params that fail the spec's shape get ``-32602 Invalid request parameters`` with no
word on which; an unknown tool gets a tool result where the spec asks for a protocol error
(server/tools, "Error Handling": unknown tools are ``-32602``).

:class:`RequestCheck` runs first in the server's middleware chain, on every protocol version
and transport (the SDK runs the same chain for both eras), and answers these itself: an
``MCPError`` raised here reaches the client as its JSON-RPC error, with no traceback logged.
It logs one INFO line per refusal, naming the method and what was wrong, never argument values.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from mcp import MCPError
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp_types import INVALID_PARAMS
from mcp_types import methods as spec_methods
from pydantic import ValidationError

logger = logging.getLogger("twilio_memory_mcp.requests")

_SHOWN_NAME_CHARS = 64


class RequestCheck:
    """Middleware: spec shape, known tool or prompt, and the prompt's arguments."""

    def __init__(self) -> None:
        self._server: MCPServer[Any] | None = None
        self._tools: list[str] | None = None  # the server's tool names, read at the first call

    def bind(self, server: MCPServer[Any]) -> None:
        """The server whose tools and prompts are the known ones (it is built after us)."""
        self._server = server

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        problem = await self._problem(ctx.method, ctx.protocol_version, ctx.params)
        if problem is not None:
            logger.info("refused %s: %s", ctx.method, problem)
            raise MCPError(INVALID_PARAMS, problem)
        return await call_next(ctx)

    async def _problem(self, method: str, version: str, params: Mapping[str, Any] | None) -> str | None:
        try:
            spec_methods.validate_client_request(method, version, params)
        except ValidationError as error:  # pydantic's messages, without the values sent
            return "invalid params: " + "; ".join(
                f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}"
                for item in error.errors(include_url=False, include_input=False, include_context=False)
            )
        except (KeyError, ValueError):
            return None  # not a spec method at this version: the SDK answers -32601 itself
        if method == "tools/call" and params is not None:
            return await self._tool_problem(params["name"])
        if method == "prompts/get" and params is not None:
            return await self._prompt_problem(params["name"], params.get("arguments") or {})
        return None

    async def _tool_problem(self, name: str) -> str | None:
        assert self._server is not None, "RequestCheck.bind() was not called"
        if self._tools is None:  # the tools are fixed once the server is built: list them once
            self._tools = sorted(tool.name for tool in await self._server.list_tools())
        known = self._tools
        if name in known:
            return None
        return f"unknown tool {_shown(name)}; this server's tools are {', '.join(known)}"

    async def _prompt_problem(self, name: str, arguments: Mapping[str, Any]) -> str | None:
        assert self._server is not None, "RequestCheck.bind() was not called"
        prompts = {prompt.name: prompt for prompt in await self._server.list_prompts()}
        prompt = prompts.get(name)
        if prompt is None:
            offered = ", ".join(sorted(prompts)) or "none"
            return f"unknown prompt {_shown(name)}; this server's prompts are {offered}"
        declared = prompt.arguments or []
        missing = [arg.name for arg in declared if arg.required and arg.name not in arguments]
        if missing:
            return f"prompt {name} needs the argument(s) {', '.join(missing)}"
        unknown = sorted(set(arguments) - {arg.name for arg in declared})
        if unknown:
            takes = ", ".join(arg.name for arg in declared) or "no arguments"
            return f"prompt {name} takes {takes}; not {', '.join(_shown(key) for key in unknown)}"
        return None


def _shown(name: str) -> str:
    """A client-chosen name, quoted and capped: it lands in the answer and in the log."""
    return repr(name[:_SHOWN_NAME_CHARS] + ("..." if len(name) > _SHOWN_NAME_CHARS else ""))
