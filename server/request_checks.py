"""The checks every request passes before the SDK serves it, as MCP middleware.

Bad client requests are protocol errors: ``-32602`` with a message naming the problem.

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

:class:`ArgumentCheck`, next in the chain, gives a tools/call whose arguments fail the tool's
schema the structured ``invalid_argument`` error every other tool failure has.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

from mcp import MCPError
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver.prompts import Prompt
from mcp.server.mcpserver.tools import Tool
from mcp_types import INVALID_PARAMS
from mcp_types import methods as spec_methods
from pydantic import ValidationError

from tools.calls import Asked, record_refusal
from tools.results import invalid_arguments
from tools.state import AppState

logger = logging.getLogger("twilio_memory_mcp.requests")

_SHOWN_NAME_CHARS = 64
_TOOL_NAME = re.compile(r"[A-Za-z0-9_./-]{1,64}")  # SEP-986


class RequestCheck:
    """Middleware: spec shape, known tool or prompt, and the prompt's arguments.

    ``tools`` and ``prompts`` are the server's own: they are fixed once it is built.
    """

    def __init__(self, tools: Iterable[str], prompts: Iterable[Prompt]) -> None:
        self._tools = sorted(tools)
        self._known_tools = frozenset(self._tools)
        self._prompts = {prompt.name: prompt for prompt in prompts}

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if self._plain_tool_call(ctx.method, ctx.params):
            # The hot path (issue 17): the SDK validates these params against the spec itself,
            # so a second validation here would only cost every call its time. Its refusal
            # says no word on what was wrong: that refusal alone is checked again, for ours.
            try:
                return await call_next(ctx)
            except MCPError as error:
                if error.code != INVALID_PARAMS:
                    raise
                self._refuse_if_bad(ctx)
                raise
            except ValidationError:  # the params' check itself, which the SDK answers -32602
                self._refuse_if_bad(ctx)
                raise
        self._refuse_if_bad(ctx)
        return await call_next(ctx)

    def _plain_tool_call(self, method: str, params: Mapping[str, Any] | None) -> bool:
        """A tools/call of a known tool whose arguments are an object (or absent)."""
        if method != "tools/call" or not isinstance(params, Mapping):
            return False
        name = params.get("name")
        return (
            isinstance(name, str)
            and name in self._known_tools
            and isinstance(params.get("arguments", {}), dict)
        )

    def _refuse_if_bad(self, ctx: ServerRequestContext[Any, Any]) -> None:
        problem = self._problem(ctx.method, ctx.protocol_version, ctx.params)
        if problem is not None:
            logger.info("refused %s: %s", ctx.method, problem)
            if ctx.method == "tools/call" and isinstance(ctx.lifespan_context, AppState):
                self._audit_refused_call(ctx.lifespan_context, ctx.params or {})
            raise MCPError(INVALID_PARAMS, problem)

    def _audit_refused_call(self, state: AppState, params: Mapping[str, Any]) -> None:
        """A refused tools/call is a call too: one audit entry (issue 16 item 4), naming the tool
        only if its name could be one (SEP-986), and the well-formed ids only."""
        name = params.get("name")
        tool = name if isinstance(name, str) and _TOOL_NAME.fullmatch(name) else "?"
        arguments = params.get("arguments")
        asked = Asked.of_refused(tool, arguments if isinstance(arguments, dict) else {})
        known = isinstance(name, str) and name in self._known_tools
        record_refusal(state, asked, "invalid_argument" if known else "unknown_tool")

    def _problem(self, method: str, version: str, params: Mapping[str, Any] | None) -> str | None:
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
            return self._tool_problem(params["name"])
        if method == "prompts/get" and params is not None:
            return self._prompt_problem(params["name"], params.get("arguments") or {})
        return None

    def _tool_problem(self, name: str) -> str | None:
        if name in self._tools:
            return None
        return f"unknown tool {_shown(name)}; this server's tools are {', '.join(self._tools)}"

    def _prompt_problem(self, name: str, arguments: Mapping[str, Any]) -> str | None:
        prompt = self._prompts.get(name)
        if prompt is None:
            offered = ", ".join(sorted(self._prompts)) or "none"
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


class ArgumentCheck:
    """Gives rejected tools/call arguments the same structured error as every other failure.

    The SDK rejects bad arguments as text alone; the model gets the same
    ``{"error": {"code": "invalid_argument", ...}}`` as for every other failure instead. It
    validates with each tool's own argument model, so the schema in tools/list is the only
    rulebook. The SDK still answers the call (and logs the rejected field names): only its
    content is replaced, so the result keeps the envelope the SDK gives each protocol version
    (``resultType`` and the server-info stamp on 2026-07-28, neither before).

    It acts only after the SDK has answered with an error of its own (``isError`` without
    ``structuredContent``: every error of ours has one): the SDK validates every call's
    arguments already, and validating them a second time on every call cost the hot path
    about 25 us (issue 17).
    """

    def __init__(self, tools: Iterable[Tool]) -> None:
        self._tools = {tool.name: tool for tool in tools}

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        result = await call_next(ctx)
        if not isinstance(result, dict) or result.get("isError") is not True or "structuredContent" in result:
            return result
        rejected = self._rejected(ctx.method, ctx.params)
        if rejected is None:
            return result
        if isinstance(ctx.lifespan_context, AppState):
            # The tool never ran, so nothing else records the call: audit it here, with the
            # ids that are well formed and none that is not (issue 16 item 4).
            assert ctx.params is not None  # _rejected found a tool and its arguments there
            tool = self._tools[rejected[0]]
            default = tool.parameters.get("properties", {}).get("store_id", {}).get("default")
            asked = Asked.of_refused(tool.name, ctx.params.get("arguments") or {}, default)
            record_refusal(ctx.lifespan_context, asked, "invalid_argument")
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
