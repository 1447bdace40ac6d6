"""Asking the person before a write (TWILIO_MEMORY_WRITE_CONFIRM, issue 19).

The model reads customer text that may carry instructions, so no write may follow from what
it read alone: a person confirms each one.

- ``elicit`` (the default): the server asks through MCP elicitation, form mode. The SDK's
  resolver path (``Annotated[ElicitationResult[Confirmation], Resolve(fn)]``) works on both
  protocol eras: a server-to-client ``elicitation/create`` on 2025-11-25 and earlier, an
  ``input_required`` round on 2026-07-28. The form's message says exactly what will be
  written, where, and what it may cause; accepting writes it, declining or cancelling writes
  nothing. A client that did not declare form elicitation is not asked (the SDK would fail
  the call with -32021): the tool answers ``confirmation_unavailable``.
- ``host``: the server asks nothing and relies on the host's own approval of each tool
  call (Claude Desktop and Claude Code ask before a call unless the user allowed the tool).

There is no mode that writes without either. The decision is taken in a resolver, before the
tool body runs; the body then reads what was decided (:class:`NotAsked` or the person's answer).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.resolve import Elicit
from mcp_types.version import is_version_at_least
from pydantic import BaseModel, Field

from tools.state import AppState

SETTING = "TWILIO_MEMORY_WRITE_CONFIRM"

# The first protocol revision carrying elicitation in input_required rounds rather than as a
# server-to-client request (the SDK's own threshold, mcp.server.mcpserver.resolve).
INPUT_REQUIRED_VERSION = "2026-07-28"


class Confirmation(BaseModel):
    """The form: one box, ticked. Accepting with it ticked writes; anything else does not."""

    confirm: bool = Field(default=True, title="Write this to Conversation Memory")


NotAskedReason = Literal["dry_run", "host", "unavailable", "refused"]


@dataclass(frozen=True)
class NotAsked:
    """The resolver decided not to ask: a dry run, host mode, a client that cannot be asked,
    or a write refused before asking (``why`` says why, for the last two)."""

    reason: NotAskedReason
    why: str | None = None


@dataclass(frozen=True)
class Shown:
    """What the person (and the result) are shown of one write: values as settings allow."""

    tool: str
    operation: str
    store_id: str
    profile_id: str
    data: dict[str, Any]
    effects: tuple[str, ...] = ()

    def message(self) -> str:
        """The form's message: deterministic, so a 2026-07-28 round asks the same question."""
        data = json.dumps(self.data, ensure_ascii=False, sort_keys=True, indent=1)
        lines = [
            f"Write to Twilio Conversation Memory ({self.tool}, {self.operation})?",
            f"Store: {self.store_id}",
            f"Profile: {self.profile_id}",
            f"Data: {data}",
        ]
        lines += [f"This may: {effect}" for effect in self.effects]
        lines.append("Accept to write exactly this; decline to write nothing.")
        return "\n".join(lines)


def mode_of(ctx: Context[AppState, Any]) -> str:
    return ctx.request_context.lifespan_context.write_confirm


def cannot_ask(ctx: Context[AppState, Any]) -> str | None:
    """Why this client cannot be shown a form now, or None when it can. It must have declared
    form elicitation (a bare ``elicitation: {}`` counts, as the SDK reads it), and, before
    2026-07-28, the transport must carry a request to it: this server's stateless HTTP
    (server/http/app.py) cannot, stdio and a 2026-07-28 round can."""
    version = ctx.protocol_version
    modern = version is not None and is_version_at_least(version, INPUT_REQUIRED_VERSION)
    if not modern and not ctx.session.can_send_request:
        # Stateless HTTP forgets the handshake too: the capabilities are unknown here.
        return STATELESS
    capabilities = ctx.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    if elicitation is None or (elicitation.form is None and elicitation.url is not None):
        return UNDECLARED
    return None


def decide(
    ctx: Context[AppState, Any], shown: Shown, *, dry_run: bool, refused: str | None = None
) -> Elicit[Confirmation] | NotAsked:
    """Ask (an :class:`Elicit`), or say why not. Refusals come first: nothing is asked about
    a write that would be refused, and a dry run asks nothing either."""
    if refused is not None:
        return NotAsked("refused", refused)
    if dry_run:
        return NotAsked("dry_run")
    if mode_of(ctx) == "host":
        return NotAsked("host")
    why = cannot_ask(ctx)
    if why is not None:
        return NotAsked("unavailable", why)
    return Elicit(shown.message(), Confirmation)


UNDECLARED = (
    f"This client cannot show a confirmation form (it did not declare MCP form elicitation), "
    f"and {SETTING}=elicit asks the person before every write, so nothing was written. Use a "
    f"client that supports elicitation, or have the server's operator set {SETTING}=host to "
    "rely on the host's own approval of each tool call."
)
STATELESS = (
    "This client speaks a protocol version before 2026-07-28 over this server's stateless HTTP, "
    "which cannot carry the confirmation form to it, so nothing was written "
    f"({SETTING}=elicit asks the person before every write). Use a client speaking 2026-07-28, "
    f"or stdio, or have the server's operator set {SETTING}=host."
)
