"""One place where every tool call is run, timed, logged and audited.

A tool hands :func:`run_call` what it was asked (ids only) and a coroutine that calls the
Memory API; this module turns the outcome into a result. Running a call and recording it are
apart: :func:`recording` tracks a call in flight and writes its one log line (and one audit
entry when the audit log is on), so the resource template records its reads the same way
while answering with the answer or the error itself. Neither ever holds an identifier value.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
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
class Asked:
    """What a tool was asked, for the log and the audit trail: ids and types, no values."""

    tool: str
    store_id: str
    profile_id: str | None = None
    id_type: str | None = None
    conversation_id: str | None = None


@dataclass(frozen=True)
class ToolSpec:
    """What makes a tool: its name, title, description and function (see tools.build_tools)."""

    name: str
    title: str
    description: str
    fn: Callable[..., Awaitable[CallToolResult]]

    def build(
        self, default_store_id: str | None, chain: str = "", meta: dict[str, Any] | None = None
    ) -> Tool:
        """The SDK's tool; ``chain`` (how the exposed tools chain) ends its description."""
        tool = Tool.from_function(
            with_store_default(self.fn, default_store_id),
            name=self.name,
            title=self.title,
            description=self.description + chain,
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


Call = Callable[[MemoryApiClient, Redactor, CallTrace], Awaitable[Answer]]


async def run_call(ctx: Context[AppState, Any], asked: Asked, call: Call) -> CallToolResult:
    """A tool call: its answer held to the size budget (TWILIO_MEMORY_RESULT_BUDGET), or its
    error, as a result; recorded either way."""
    state = ctx.request_context.lifespan_context
    try:
        async with recording(state, asked) as record:
            # A copy of the redactor for this call: it remembers the masks it makes.
            answer = await call(state.api, state.redactor.for_call(), record.trace)
            result, sent = fit(answer, state.result_budget, success)
            record.sent(sent)
            return result
    except MemoryApiError as error:
        return failure(error)


@dataclass
class CallRecord:
    """What one call did, filled in as it runs, for its log line and audit entry."""

    trace: CallTrace = field(default_factory=CallTrace)
    outcome: str = "cancelled"  # if the client cancels, it is recorded so
    canonical: str | None = None
    items: int | None = None
    omitted: int | None = None

    def sent(self, answer: Answer) -> None:
        """The call answered with ``answer`` (as sent, after any cut)."""
        self.outcome = "ok"
        self.canonical = answer.canonical_profile_id()
        self.items, self.omitted = answer.item_count(), answer.omitted


@contextlib.asynccontextmanager
async def recording(state: AppState, asked: Asked) -> AsyncIterator[CallRecord]:
    """Run the body as one call, tracked in flight, then log it and audit it.

    The body runs the call (its :class:`CallRecord`'s trace goes to the client) and reports
    the answer it sends with :meth:`CallRecord.sent`; a :class:`MemoryApiError` is recorded
    under its code and raised on, for the caller to answer with. A shutdown that outlasts its
    grace cuts the call here: it answers a JSON-RPC error (:mod:`tools.in_flight`).
    """
    record = CallRecord()
    started = time.perf_counter()
    mark = Tracked()
    try:
        with state.in_flight.track(mark):
            try:
                yield record
            except MemoryApiError as error:
                record.outcome = error.code
                if state.redactor.enabled:
                    # Twilio's message may quote a value back in any form (normalized, quoted, cut
                    # short), whichever tool asked: under redaction keep only its code (issue 9 item 6).
                    error.twilio_message = None
                raise
            except Exception:
                record.outcome = "internal_error"  # the SDK reports it to the model as a crash
                raise
    finally:
        _record(state, asked, record, started, mark)


def _record(state: AppState, asked: Asked, record: CallRecord, started: float, mark: Tracked) -> None:
    outcome = "shutdown" if mark.cut else record.outcome
    trace = record.trace
    latency_ms = round((time.perf_counter() - started) * 1000, 2)
    caller = get_access_token()  # set by the HTTP transport's bearer gate; None on stdio
    logger.info(
        "%s store=%s profile=%s id_type=%s outcome=%s status=%s attempts=%d items=%s omitted=%s ms=%.1f",
        asked.tool,
        asked.store_id,
        asked.profile_id or "-",
        asked.id_type or "-",
        outcome,
        trace.http_status or "-",
        trace.attempts,
        "-" if record.items is None else record.items,
        "-" if record.omitted is None else record.omitted,
        latency_ms,
    )
    state.audit.record(
        AuditEntry(
            tool=asked.tool,
            store_id=asked.store_id,
            profile_id=asked.profile_id,
            id_type=asked.id_type,
            conversation_id=asked.conversation_id,
            outcome=outcome,
            http_status=trace.http_status,
            attempts=trace.attempts,
            latency_ms=latency_ms,
            canonical_profile_id=record.canonical,
            sub=caller.subject if caller else None,
            client_id=(caller.client_id or None) if caller else None,
            items=record.items,
            omitted=record.omitted,
        )
    )
