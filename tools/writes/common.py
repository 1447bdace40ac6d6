"""What the write tools share: their annotations, and values shown as the settings allow."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from mcp.server.mcpserver import Context
from mcp.types import ToolAnnotations

from tools.redaction import Redactor
from tools.state import AppState

# A redaction mask as tools.redaction.Redactor.mask writes it: a shape with "***" (or more
# stars) and a "#" with six hex digits, e.g. j***@example.com#1a2b3c, +1******6789#1a2b3c.
_MASK = re.compile(r"\*{3,}[^\s#]*#[0-9a-f]{6}(?![0-9a-f])")


def write_annotations(title: str, *, destructive: bool = False, idempotent: bool = False) -> ToolAnnotations:
    """A write: never read-only; destructive where data can be lost or merged; idempotent
    only where the same call twice leaves what once would (a trait patch)."""
    return ToolAnnotations(
        title=title,
        read_only_hint=False,
        destructive_hint=destructive,
        idempotent_hint=idempotent,
        open_world_hint=True,
    )


def redactor_of(ctx: Context[AppState, Any]) -> Redactor:
    return ctx.request_context.lifespan_context.redactor


def holds_mask(text: str) -> bool:
    return _MASK.search(text) is not None


def refuse_masks(ctx: Context[AppState, Any], *texts: str) -> str | None:
    """Why a write is refused under TWILIO_MEMORY_REDACT=1: it holds a redaction mask, which
    the model copied from a masked read; stored, it would replace real data with the mask."""
    if not redactor_of(ctx).enabled or not any(holds_mask(text) for text in texts):
        return None
    return (
        "the value holds a redaction mask (like j***@example.com#1a2b3c), copied from a masked "
        "read: writing it would store the mask, not the data. Ask the user for the real value"
    )


def masked_text(ctx: Context[AppState, Any], text: str) -> str:
    return redactor_of(ctx).text(text)


def masked_value(ctx: Context[AppState, Any], value: str) -> str:
    return redactor_of(ctx).value(value)


def view_memories(ctx: Context[AppState, Any], key: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A memory write's body with each item's content masked as settings say."""
    redactor = redactor_of(ctx)

    def view(body: dict[str, Any]) -> dict[str, Any]:
        items = [{**item, "content": redactor.text(item["content"])} for item in body[key]]
        return {**body, key: items}

    return view
