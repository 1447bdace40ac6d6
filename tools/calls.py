"""One place where every tool call is run, timed, logged and audited.

A tool hands :func:`run_call` what it was asked (ids only) and a coroutine that calls the
Memory API; this module turns the outcome into a result. Running a call and recording it are
apart: :func:`recording` tracks a call in flight and writes its one log line (and one audit
entry when the audit log is on), so the resource template records its reads the same way
while answering with the answer or the error itself. Neither ever holds an identifier value.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.tools import Tool
from mcp.types import CallToolResult, ToolAnnotations

from memory.client import CallTrace, MemoryApiClient
from memory.errors import MemoryApiError
from memory.ids import CONVERSATION_ID_PATTERN, ID_TYPE_PATTERN, PROFILE_ID_PATTERN, STORE_ID_PATTERN
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
    store_id: str | None
    profile_id: str | None = None
    id_type: str | None = None
    conversation_id: str | None = None

    @classmethod
    def of_refused(cls, tool: str, arguments: Mapping[str, Any], default_store_id: str | None = None) -> Self:
        """What a refused call asked for: each id only if it is well formed. An argument that
        is not may be anything a model put there (an email where a profile id belongs), so it
        is recorded as absent, never as given."""

        def well_formed(name: str, pattern: str) -> str | None:
            value = arguments.get(name)
            return value if isinstance(value, str) and re.fullmatch(pattern, value) else None

        store_id = well_formed("store_id", STORE_ID_PATTERN)
        if "store_id" not in arguments:
            store_id = default_store_id
        return cls(
            tool,
            store_id,
            well_formed("profile_id", PROFILE_ID_PATTERN),
            well_formed("id_type", ID_TYPE_PATTERN),
            well_formed("conversation_id", CONVERSATION_ID_PATTERN),
        )


@dataclass(frozen=True)
class ToolSpec:
    """What makes a tool: its name, title, description and function (see tools.build_tools)."""

    name: str
    title: str
    description: str
    fn: Callable[..., Awaitable[CallToolResult]]
    annotations: ToolAnnotations | None = None  # None: read_only(title)

    def build(self, default_store_id: str | None, meta: dict[str, Any] | None = None) -> Tool:
        """The SDK's tool, its schemas compacted for the model's context (issue 17)."""
        tool = Tool.from_function(
            with_store_default(self.fn, default_store_id),
            name=self.name,
            title=self.title,
            description=self.description,
            annotations=self.annotations or read_only(self.title),
            meta=meta,
        )
        # Every tool's published outputSchema admits its error results too (tools.results).
        success_schema = tool.fn_metadata.output_schema
        if success_schema is not None:
            tool.fn_metadata.output_schema = compact_output(admitting_errors(success_schema))
        # The SDK would validate each result's structuredContent against the answer model
        # again: a second pass over what was just dumped from a validated instance of that
        # very model (83 us of a 10 KB recall, issue 17). Without a model it publishes the
        # schema and skips that; tests validate real answers against the listed schema.
        tool.fn_metadata.output_model = None
        tool.parameters = compact_input(tool.parameters)
        return tool


# Keywords whose value maps names to schemas: there "title" may be a property's name.
_SCHEMA_MAPS = frozenset({"properties", "$defs", "definitions", "patternProperties"})
_NULL = {"type": "null"}


def compact_input(schema: Any) -> Any:
    """An input schema as the model reads it on every turn (issue 17): every validation
    keyword kept (pattern, length, range, enum, format, default), pydantic's generated
    ``title`` dropped (it repeats each property's name), and an optional argument's
    ``anyOf: [X, {"type": "null"}], "default": null`` written as X alone. Leaving such an
    argument out means the same as null, and the server's own argument model still accepts an
    explicit null, so the schema loses nothing a model needs to call the tool right."""
    return _compact(schema, output=False)


def compact_output(schema: Any) -> Any:
    """An output schema as hosts count it against their tool budget (VS Code sends it with
    every tool): the types, ``required`` and enums only. Descriptions are dropped (the
    instructions and each tool's description say what the fields mean), so are ``default``
    (an annotation only) and ``title``. A nullable field stays ``anyOf`` with a null branch:
    the Inspector's portability lint flags a ``type`` array (Gemini's dialect has none)."""
    return _compact(schema, output=True)


def _compact(schema: Any, *, output: bool) -> Any:
    if isinstance(schema, list):
        return [_compact(item, output=output) for item in schema]
    if not isinstance(schema, dict):
        return schema
    dropped = ("title", "description", "default") if output else ("title",)
    compact: dict[str, Any] = {}
    for key, value in schema.items():
        if key in dropped and not isinstance(value, dict):
            continue
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            compact[key] = {name: _compact(sub, output=output) for name, sub in value.items()}
        else:
            compact[key] = _compact(value, output=output)
    options = compact.get("anyOf")
    if not output and isinstance(options, list) and len(options) == 2 and options[1] == _NULL:
        kept = options[0]
        if compact.get("default") is None and isinstance(kept, dict):
            rest = {key: value for key, value in compact.items() if key not in ("anyOf", "default")}
            return {**kept, **rest}
    return compact


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
        with recording(state, asked) as record:
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
    # Writes only (tools/writes): how consent was sought and answered, and the SHA-256 of
    # the request body (never the body: it holds customer data).
    consent: str | None = None
    consent_answer: str | None = None
    content_sha256: str | None = None

    def sent(self, answer: Answer) -> None:
        """The call answered with ``answer`` (as sent, after any cut)."""
        self.outcome = "ok"
        self.canonical = answer.canonical_profile_id()
        self.items, self.omitted = answer.item_count(), answer.omitted


class recording:
    """Run the body as one call, tracked in flight, then log it and audit it.

    The body runs the call (its :class:`CallRecord`'s trace goes to the client) and reports
    the answer it sends with :meth:`CallRecord.sent`; a :class:`MemoryApiError` is recorded
    under its code and raised on, for the caller to answer with. A shutdown that outlasts its
    grace cuts the call here: it answers a JSON-RPC error (:mod:`tools.in_flight`).

    A class rather than a generator-based context manager: every call enters one, and the
    generator's frames cost a call more than the rest of its bookkeeping (issue 17).
    """

    __slots__ = ("_asked", "_mark", "_record", "_started", "_state", "_tracking")

    def __init__(self, state: AppState, asked: Asked) -> None:
        self._state = state
        self._asked = asked
        self._record = CallRecord()
        self._mark = Tracked()
        self._tracking = state.in_flight.track(self._mark)

    def __enter__(self) -> CallRecord:
        self._started = time.perf_counter()
        try:
            self._tracking.__enter__()
        except BaseException:
            self._done()
            raise
        return self._record

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        try:
            if isinstance(error, MemoryApiError):
                self._record.outcome = error.code
                if self._state.redactor.enabled:
                    # Twilio's message may quote a value back in any form (normalized, quoted, cut
                    # short), whichever tool asked: under redaction keep only its code (issue 9 item 6).
                    error.twilio_message = None
            elif isinstance(error, Exception):
                self._record.outcome = "internal_error"  # the SDK reports it to the model as a crash
            self._tracking.__exit__(kind, error, trace)
        finally:
            self._done()

    def _done(self) -> None:
        _record(self._state, self._asked, self._record, self._started, self._mark)


def record_refusal(state: AppState, asked: Asked, outcome: str) -> None:
    """Log and audit a call refused before it ran (its arguments, a resource's ids): one
    entry per call, refused ones included (issue 16 item 4)."""
    _record(state, asked, CallRecord(outcome=outcome), time.perf_counter(), Tracked())


def _record(state: AppState, asked: Asked, record: CallRecord, started: float, mark: Tracked) -> None:
    outcome = "shutdown" if mark.cut else record.outcome
    trace = record.trace
    latency_ms = round((time.perf_counter() - started) * 1000, 2)
    # A call that went well is logged at DEBUG, every other outcome at INFO: the line goes
    # through the scrubbing formatter, about 200 us a call, more than half of what the SDK
    # floor spends on a whole call (issue 17, bench/tool_call.py). The audit log
    # (TWILIO_MEMORY_AUDIT_LOG) records every call, successes included.
    level = logging.DEBUG if outcome == "ok" else logging.INFO
    if logger.isEnabledFor(level):
        _log(level, asked, outcome, trace, record, latency_ms)
    if not state.audit.enabled:
        return
    caller = get_access_token()  # set by the HTTP transport's bearer gate; None on stdio
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
            consent=record.consent,
            consent_answer=record.consent_answer,
            content_sha256=record.content_sha256,
        )
    )


def _log(
    level: int, asked: Asked, outcome: str, trace: CallTrace, record: CallRecord, latency_ms: float
) -> None:
    logger.log(
        level,
        "%s store=%s profile=%s id_type=%s outcome=%s status=%s attempts=%d items=%s omitted=%s ms=%.1f",
        asked.tool,
        asked.store_id or "-",
        asked.profile_id or "-",
        asked.id_type or "-",
        outcome,
        trace.http_status or "-",
        trace.attempts,
        "-" if record.items is None else record.items,
        "-" if record.omitted is None else record.omitted,
        latency_ms,
    )
