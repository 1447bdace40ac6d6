"""One write: from the consent outcome to a result, sent at most as memory.writes allows.

:func:`run_write` is the body every write tool ends in. It reads what the consent resolver
decided (:mod:`tools.writes.consent`), answers a dry run with the exact request, a refusal or
a decline with nothing sent, and otherwise sends the write once
(:meth:`memory.client.MemoryApiClient.write`: retried only when the API proves it was not
applied). Every attempt is logged and audited through :func:`tools.calls.recording`, with the
consent mode and answer and the SHA-256 of the body, never the body.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, Literal

from mcp.server.elicitation import AcceptedElicitation, CancelledElicitation, ElicitationResult
from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field

from memory.errors import MemoryApiError
from memory.writes import WriteRequest
from tools.answers import Answer
from tools.calls import Asked, recording
from tools.results import failure, refusal, success
from tools.state import AppState
from tools.writes.consent import UNDECLARED, Confirmation, NotAsked, Shown, mode_of

ACCEPTED = "Accepted by Twilio; it may take a moment to appear in reads."


def _absent(value: object) -> bool:
    """Fields a given answer leaves out rather than sending null or []: fewer characters for
    the model, and what is there is what applies."""
    return value is None or value == []


class WriteAnswer(Answer):
    outcome: Literal["written", "declined", "dry_run"] = Field(
        description="written: accepted by Twilio; declined: nothing written; dry_run: nothing sent."
    )
    message: str
    operation: str
    store_id: str
    profile_id: str = Field(description="The profile written: the canonical one after a merge.")
    requested_profile_id: str | None = Field(
        default=None, exclude_if=_absent, description="The merged profile asked for."
    )
    data: dict[str, Any] = Field(description="What is written (values as settings allow).")
    effects: list[str] = Field(
        default=[], exclude_if=_absent, description="What it may cause: a merge, a deleted trait."
    )
    request: dict[str, Any] | None = Field(
        default=None, exclude_if=_absent, description="dry_run: method, url and body."
    )
    confirmed_by: Literal["person", "host"] | None = Field(default=None, exclude_if=_absent)

    def canonical_profile_id(self) -> str | None:
        return self.profile_id


async def run_write(
    ctx: Context[AppState, Any],
    asked: Asked,
    shown: Shown,
    build: Callable[[], WriteRequest],
    consent: ElicitationResult[Confirmation],
    *,
    view: Callable[[dict[str, Any]], dict[str, Any]],
    written_hint: str,
) -> CallToolResult:
    """The write ``build`` makes, as ``consent`` allows. ``view`` shows a body as settings
    allow (masked under redaction); ``written_hint`` names the read that shows the write."""
    state = ctx.request_context.lifespan_context
    mode = mode_of(ctx)
    request = build()
    data = consent.data if isinstance(consent, AcceptedElicitation) else None
    answer = consent.action if not isinstance(data, NotAsked) else "not_asked"
    if isinstance(consent, AcceptedElicitation) and isinstance(data, Confirmation) and not data.confirm:
        answer = "decline"  # accepted with the box unticked: a no, said in the form
    common: dict[str, Any] = {
        "operation": request.operation,
        "store_id": shown.store_id,
        "profile_id": shown.profile_id,
        "data": shown.data,
        "effects": list(shown.effects),
    }
    try:
        with recording(state, asked) as record:
            record.consent, record.consent_answer = mode, answer
            record.content_sha256 = hashlib.sha256(request.body).hexdigest()
            if isinstance(data, NotAsked) and data.reason == "refused":
                record.outcome = "invalid_argument"
                return refusal("invalid_argument", data.why or "refused")
            if isinstance(data, NotAsked) and data.reason == "unavailable":
                record.outcome = "confirmation_unavailable"
                return refusal("confirmation_unavailable", data.why or UNDECLARED)
            if isinstance(data, NotAsked) and data.reason == "dry_run":
                record.outcome = "dry_run"
                sent = {
                    "method": request.method,
                    "url": state.api.url(request),
                    "body": view(request.document()),
                }
                result = WriteAnswer(
                    outcome="dry_run",
                    message="Dry run: nothing was sent. Call again without dry_run to write it.",
                    request=sent,
                    **common,
                )
                return success(result)
            if answer != "accept" and not (isinstance(data, NotAsked) and data.reason == "host"):
                record.outcome = "declined"
                how = "cancelled the form" if isinstance(consent, CancelledElicitation) else "declined"
                result = WriteAnswer(
                    outcome="declined", message=f"The person {how}; nothing was written.", **common
                )
                return success(result)
            located = await state.api.write(request, trace=record.trace)
            record.outcome, record.canonical = "written", located.profile_id
            merged = located.profile_id != located.requested_profile_id
            result = WriteAnswer(
                outcome="written",
                message=f"{ACCEPTED} {written_hint}",
                confirmed_by="host" if isinstance(data, NotAsked) else "person",
                **(common | {"profile_id": located.profile_id}),
                requested_profile_id=located.requested_profile_id if merged else None,
            )
            return success(result)
    except MemoryApiError as error:
        return failure(error)
