"""One place where every tool call is run, timed, logged and audited.

A tool hands :func:`run_call` what it was asked (ids only) and a coroutine that calls the
Memory API; this module turns the outcome into a result and writes one log line (and one
audit entry when the audit log is on). Neither ever holds an identifier value.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.tools import Tool
from mcp.types import CallToolResult, ToolAnnotations

from memory.client import CallTrace, MemoryApiClient
from memory.errors import MemoryApiError
from tools.answers import Answer
from tools.audit import AuditEntry
from tools.budget import fit
from tools.fields import with_store_default
from tools.in_flight import Tracked
from tools.redaction import Redactor
from tools.results import admitting_errors, failure, success
from tools.state import AppState

logger = logging.getLogger("twilio_memory_mcp.calls")


@dataclass(frozen=True)
class Request:
    """What a tool was asked, for the log and the audit trail: ids and types, no values."""

    tool: str
    store_id: str
    profile_id: str | None = None
    id_type: str | None = None
    conversation_id: str | None = None
    # Values the caller sent (lookup's value, recall's query): never logged. (Under redaction
    # Twilio's error text, which might quote them back, is dropped for every tool: see run_with_state.)
    sensitive: tuple[str, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class ToolSpec:
    """What makes a tool: its name, title, description and function (see tools.build_tools)."""

    name: str
    title: str
    description: str
    fn: Callable[..., Awaitable[CallToolResult]]

    def build(
        self, default_store_id: str | None, enabled: frozenset[str], meta: dict[str, Any] | None = None
    ) -> Tool:
        tool = Tool.from_function(
            with_store_default(self.fn, default_store_id),
            name=self.name,
            title=self.title,
            description=self.description + chain_hint(enabled),
            annotations=read_only(self.title),
            meta=meta,
        )
        # Every tool's published outputSchema admits its error results too (tools.results);
        # the answer model stays what the SDK validates successes against.
        success_schema = tool.fn_metadata.output_schema
        if success_schema is not None:
            tool.fn_metadata.output_schema = untitled(admitting_errors(success_schema))
        tool.parameters = untitled(tool.parameters)
        return tool


# Keywords whose value maps names to schemas: there "title" may be a property's name.
_SCHEMA_MAPS = frozenset({"properties", "$defs", "definitions", "patternProperties"})


def untitled(schema: Any) -> Any:
    """``schema`` without pydantic's generated ``title`` annotations ("Store Id", ...).

    They repeat each property's name, and tools/list goes into the model's context on every
    turn: dropping them saves about a tenth of it. Validation keywords are untouched.
    """
    if isinstance(schema, list):
        return [untitled(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    return {
        key: {name: untitled(sub) for name, sub in value.items()}
        if key in _SCHEMA_MAPS and isinstance(value, dict)
        else untitled(value)
        for key, value in schema.items()
        if not (key == "title" and isinstance(value, str))
    }


def read_only(title: str) -> ToolAnnotations:
    """Every tool here only reads (lookup too, though it is a POST), and reaches Twilio."""
    return ToolAnnotations(
        title=title,
        read_only_hint=True,
        destructive_hint=False,
        idempotent_hint=True,
        open_world_hint=True,
    )


# How the tools chain, in the order an investigation walks them: from a contact to identity,
# then to context (issue 10). Each stage names its exposed tools and what they give.
CHAIN = (
    (("lookup_profiles",), "a phone number or email -> profile ids"),
    (("list_profile_identifiers", "get_profile_identifiers"), "identifiers"),
    (("get_profile",), "traits"),
    (("recall_memories",), "memories for the conversation at hand"),
    (("list_conversation_summaries", "list_observations"), "page through all memories"),
)


def chain_hint(enabled: frozenset[str]) -> str:
    """How the exposed tools chain, told when at least two of them are exposed."""
    stages = []
    for names, gives in CHAIN:
        exposed = [name for name in names if name in enabled]
        if exposed:
            stages.append(f"{' / '.join(exposed)} ({gives})")
    if sum(name in enabled for names, _ in CHAIN for name in names) < 2:
        return ""
    return "\n\nChain: " + " -> ".join(stages) + "."


Call = Callable[[MemoryApiClient, Redactor, CallTrace], Awaitable[Answer]]


async def run_call(ctx: Context[AppState, Any], request: Request, call: Call) -> CallToolResult:
    """A tool call: its result held to the size budget (TWILIO_MEMORY_RESULT_BUDGET)."""
    state = ctx.request_context.lifespan_context
    return await run_with_state(state, request, call, budget=state.result_budget)


async def run_with_state(
    state: AppState, request: Request, call: Call, *, budget: int | None = None
) -> CallToolResult:
    """Run ``call``; log it, audit it, and cut its answer to ``budget`` characters if given
    (resources pass none: a client reads one on purpose, and the hints point at them)."""
    trace = CallTrace()
    started = time.perf_counter()
    outcome = "cancelled"  # if the client cancels, the finally clause still records it
    canonical = None
    items = omitted = None
    mark = Tracked()
    try:
        # A shutdown that outlasts its grace cuts the call here: it answers a JSON-RPC error.
        with state.in_flight.track(mark):
            try:
                # A copy of the redactor for this call: it remembers the masks it makes.
                answer = await call(state.api, state.redactor.for_call(), trace)
                result, sent = fit(answer, budget, success)
            except MemoryApiError as error:
                outcome = error.code
                if state.redactor.enabled:
                    # Twilio's message may quote a value back in any form (normalized, quoted, cut
                    # short), whichever tool asked: under redaction keep only its code (issue 9 item 6).
                    error.twilio_message = None
                return failure(error)
            except Exception:
                outcome = "internal_error"  # the SDK reports it to the model as a crash
                raise
            outcome = "ok"
            canonical = sent.canonical_profile_id()
            items, omitted = sent.item_count(), sent.omitted
            return result
    finally:
        if mark.cut:
            outcome = "shutdown"
        latency_ms = round((time.perf_counter() - started) * 1000, 2)
        caller = get_access_token()  # set by the HTTP transport's bearer gate; None on stdio
        logger.info(
            "%s store=%s profile=%s id_type=%s outcome=%s status=%s attempts=%d items=%s omitted=%s ms=%.1f",
            request.tool,
            request.store_id,
            request.profile_id or "-",
            request.id_type or "-",
            outcome,
            trace.http_status or "-",
            trace.attempts,
            "-" if items is None else items,
            "-" if omitted is None else omitted,
            latency_ms,
        )
        state.audit.record(
            AuditEntry(
                tool=request.tool,
                store_id=request.store_id,
                profile_id=request.profile_id,
                id_type=request.id_type,
                conversation_id=request.conversation_id,
                outcome=outcome,
                http_status=trace.http_status,
                attempts=trace.attempts,
                latency_ms=latency_ms,
                canonical_profile_id=canonical,
                sub=caller.subject if caller else None,
                client_id=(caller.client_id or None) if caller else None,
                items=items,
                omitted=omitted,
            )
        )
