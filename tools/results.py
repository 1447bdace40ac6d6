"""Tool results as a client sees them: structured content plus the same as text.

Failures are results too (``is_error`` true), never protocol errors, so the model can read
them and act: the text says what happened and what to try (some clients show only the
text), and ``structuredContent`` is ``{"error": {...}}`` in the shape of :class:`ErrorDetail`.
Every tool-level error is built here: an upstream failure (:func:`failure`), arguments that
fail the tool's schema (:func:`invalid_arguments`) and a refusal of the server's own, such as
an OAuth scope the caller's token lacks (:func:`refusal`).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel, Field, ValidationError
from pydantic_core import PydanticSerializationError, to_json

from memory.errors import ErrorCode, InvalidResponse, MemoryApiError
from memory.responses import valid_text

if TYPE_CHECKING:
    from tools.answers import Answer

# The codes of the server's own refusals, beside the Memory API client's.
ToolErrorCode = ErrorCode | Literal["insufficient_scope", "confirmation_unavailable"]

# What a client (or the model) should do about each kind of failure.
HINTS: dict[ToolErrorCode, str] = {
    "invalid_argument": (
        "Fix the arguments and call again: store ids look like "
        "mem_store_01kpttrksqe08rhv122gzq52ax, profile ids like "
        "mem_profile_01kpttrksqe08rhv122gzq52ax, identifier types are 2-30 letters, digits, "
        "'-' or '_' (e.g. email, phone). Retrying unchanged will fail the same way."
    ),
    "not_configured": (
        "The server has no Twilio credentials. Tell the user to set TWILIO_API_KEY and "
        "TWILIO_API_SECRET (or TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN) in the MCP server's "
        "environment and restart it. Retrying will not help."
    ),
    "unauthenticated": (
        "Twilio rejected the credentials. Tell the user to check TWILIO_API_KEY and "
        "TWILIO_API_SECRET (or TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN) in the server's "
        "environment. Retrying will not help."
    ),
    "permission_denied": (
        "These credentials may not read this store or profile. Check the store_id belongs to "
        "the configured Twilio account; retrying will not help."
    ),
    "not_found": (
        "Check the store_id, the profile_id and the id_type: identifier types are configured "
        "per store and case-sensitive (e.g. email, phone, whatsapp). To find a profile from "
        "a phone number or email, look it up first with a lookup tool if one is available."
    ),
    "rate_limited": (
        "Twilio is rate limiting this account. Wait retry_after_seconds (if given) before "
        "calling again; do not retry in a tight loop."
    ),
    "upstream_unavailable": (
        "Twilio's Memory API is having trouble; the server already retried. Try again in a "
        "minute, or tell the user the service is unavailable."
    ),  # a transient failure (retryable); a 5xx that is not gets NOT_RETRIED_HINT
    "timeout": (
        "The Memory API did not answer in time, after retries. Try again later; if it keeps "
        "happening the deadline may be too short (TWILIO_MEMORY_DEADLINE)."
    ),
    "connection_failed": (
        "The server could not reach the Memory API. Check network access to "
        "memory.twilio.com (or TWILIO_MEMORY_BASE_URL); try again later."
    ),
    "invalid_response": (
        "The Memory API answered with something the server could not use. Retrying is "
        "unlikely to help; tell the user."
    ),
    "redirect_refused": (
        "The profile was merged, but the redirect to its canonical profile could not be "
        "followed safely. Tell the user; do not retry."
    ),
    "outcome_unknown": (
        "The write was sent but no answer said whether it was applied, so it was not sent "
        "again (a second copy could be stored). Check first (list_observations, "
        "list_conversation_summaries, get_profile or list_profile_identifiers), and write "
        "again only if it is missing."
    ),
    "confirmation_unavailable": (
        "Nothing was written. Tell the user this client cannot show the confirmation form "
        "writes need; retrying from this client will fail the same way."
    ),
    "insufficient_scope": (
        "The caller's access token does not grant this tool. Ask the user to sign in again "
        "granting the scope named in the message, or use the tools listed; retrying with "
        "the same token will fail the same way."
    ),
}

# An upstream failure that another attempt would not fix (501, 505, 507: memory.retries), so
# the server did not retry it and must not say it did.
NOT_RETRIED_HINT = (
    "Twilio's Memory API cannot serve this request (see http_status); the server did not "
    "retry, as retrying will not help. Tell the user the service failed."
)


def hint_for(error: MemoryApiError) -> str:
    """What to do about ``error``: its code's hint, told from the same retry rule."""
    if error.code == "upstream_unavailable" and not error.retryable:
        return NOT_RETRIED_HINT
    return HINTS[error.code]


class ErrorDetail(BaseModel):
    code: ToolErrorCode
    message: str = Field(description="What happened, in plain words.")
    http_status: int | None = None
    twilio_code: int | None = Field(default=None, description="Twilio's error code, if any.")
    twilio_message: str | None = Field(
        default=None, description="Twilio's error message (untrusted, sanitized, capped)."
    )
    retryable: bool
    retry_after_seconds: float | None = None
    hint: str = Field(description="What to do next.")


def admitting_errors(success_schema: dict[str, Any]) -> dict[str, Any]:
    """A tool's ``outputSchema``: its answer, or ``{"error": ErrorDetail}``.

    Clients check ``structuredContent`` against ``outputSchema``, some even on error results:
    the TypeScript SDK 1.x ``Client.callTool`` and the MCP Inspector CLIs throw ``-32602
    Structured content does not match the tool's output schema`` when an error's content
    fails the success schema, and the user never sees the code or the hint
    (typescript-sdk#1943, issue 8). The spec asks every structured result to conform anyway
    (server/tools, "Output Schema": "Servers MUST provide structured results that conform").

    So the schema is the union of the two shapes, written for the strictest readers:

    - the root stays ``type: object`` with every property declared, ``error`` included (the
      TS SDK's tool-list parser requires an object root; readers of ``properties`` see all);
    - the root has no ``required``; an ``anyOf`` holds two object shapes, the answer (its
      ``required``) and ``{"error": ...}`` with ``required: ["error"]``. Each branch declares
      what it requires, as Ajv's ``strictRequired`` wants, but the answer's branch only by
      its type (or ``$ref``): the root's ``properties`` apply whichever branch matches and
      hold each property's schema once (tools/list is counted against hosts' tool budgets,
      issue 17); ``ErrorDetail`` sits once in ``$defs``;
    - plain keywords only (no ``$schema``, no ``oneOf``, no boolean schemas), read alike by
      draft-07 and 2020-12 validators and clean under the Inspector's portability lint.

    The server still validates its own answers against the tool's answer model.
    """
    answer = copy.deepcopy(success_schema)
    defs = answer.pop("$defs", {})
    if answer.get("type") != "object" or "error" in answer.get("properties", {}) or _DEF in defs:
        raise ValueError("a tool's answer must be an object schema without an 'error' property")
    error_ref = {"$ref": f"#/$defs/{_DEF}"}
    answer_branch: dict[str, Any] = {"type": "object"}
    if answer.get("required"):
        properties = answer.get("properties", {})
        answer_branch["properties"] = {name: _outline(properties[name]) for name in answer["required"]}
        answer_branch["required"] = answer.pop("required")
    schema = answer  # title, description and the like stay where they were
    schema["properties"] = {**answer.get("properties", {}), "error": error_ref}
    schema["anyOf"] = [
        answer_branch,
        {"type": "object", "properties": {"error": error_ref}, "required": ["error"]},
    ]
    schema["$defs"] = {**defs, _DEF: error_schema()}
    return schema


_DEF = "ErrorDetail"


def _outline(schema: dict[str, Any]) -> dict[str, Any]:
    """A property's schema by its one validation keyword that names what it is."""
    for key in ("type", "$ref"):
        if key in schema:
            return {key: schema[key]}
    return schema


@functools.cache
def _error_schema() -> dict[str, Any]:
    return ErrorDetail.model_json_schema()


def error_schema() -> dict[str, Any]:
    """The JSON Schema of the ``error`` object (:class:`ErrorDetail`)."""
    return copy.deepcopy(_error_schema())


def success(answer: Answer) -> CallToolResult:
    """The result for an answer, serialized once (issue 17): the answer's JSON data is the
    ``structuredContent``, and the text is that same data as compact JSON (hosts show one or
    the other; the SDK would dump the model twice, the text indented).
    :class:`InvalidResponse` as :func:`json_text` says."""
    structured = answer.json_data()
    return CallToolResult(
        content=[TextContent(type="text", text=json_text(structured))],
        structured_content=structured,
    )


def json_text(data: Any) -> str:
    """JSON data as compact JSON text; :class:`InvalidResponse` if it holds text that is not
    valid Unicode (a last guard behind memory.responses: the transport's writer would fail on
    it, taking the whole connection down with this call, issue 9 item 1)."""
    try:
        return to_json(data).decode()  # strict UTF-8: raises on a lone surrogate
    except PydanticSerializationError:
        raise InvalidResponse("the answer holds text that is not valid Unicode") from None


def answer_text(answer: Answer) -> str:
    """An answer as JSON text, the same text :func:`success` sends; :class:`InvalidResponse`
    as :func:`json_text` says."""
    return json_text(answer.json_data())


def failure(error: MemoryApiError) -> CallToolResult:
    # valid_text: a last guard, should any text from upstream reach here unrepaired.
    return _error_result(
        ErrorDetail(
            code=error.code,
            message=valid_text(error.message),
            http_status=error.http_status,
            twilio_code=error.twilio_code,
            twilio_message=valid_text(error.twilio_message) if error.twilio_message else None,
            retryable=error.retryable,
            retry_after_seconds=error.retry_after_seconds,
            hint=hint_for(error),
        )
    )


def invalid_arguments(tool: str, error: ValidationError) -> CallToolResult:
    """The pydantic errors as one invalid_argument result, naming fields but never values;
    the hint speaks of the arguments that failed (issue 18 item 4)."""
    items = error.errors(include_url=False, include_input=False)
    problems = "; ".join(
        f"{'.'.join(str(part) for part in item['loc']) or 'arguments'}: {item['msg']}" for item in items
    )
    return _error_result(
        ErrorDetail(
            code="invalid_argument",
            message=f"invalid arguments for {tool}: {problems}",
            retryable=False,
            hint=argument_hint(items),
        )
    )


# What a valid value of each argument looks like (the input schemas hold the exact rules).
ARGUMENT_HINTS: dict[str, str] = {
    "store_id": "store ids look like mem_store_01kpttrksqe08rhv122gzq52ax.",
    "profile_id": (
        "profile ids look like mem_profile_01kpttrksqe08rhv122gzq52ax; to find one from a phone "
        "number or email, look it up first with a lookup tool if one is available."
    ),
    "id_type": "identifier types are 2-30 letters, digits, '-' or '_' (e.g. email, phone).",
    "value": "value is the phone number or email to look up, 1-255 characters.",
    "conversation_id": "conversation ids look like conv_conversation_01kpttrksqe08rhv122gzq52ax.",
    "date": (
        "dates are RFC 3339 with a time and an offset, e.g. 2025-01-31T23:59:59Z or "
        "2025-01-31T23:59:59-08:00 (a T between date and time, not a space), and a real calendar date."
    ),
    "limit": "each recall limit is a whole number from 0 to 100.",
    "query": "query is free text of up to 1,024 characters.",
    "trait_groups": "trait_groups is a list of up to 50 group names (letters, digits, '_', '-', '.').",
    "source": "source is 1-100 letters, digits, spaces, '_', '.' or '-'.",
    "order_by": "order_by is ASC or DESC.",
    "page_size": "page_size is a whole number from 1 to 50.",
    "page_token": (
        "page_token is the next_page_token of the previous page, passed back unchanged with the "
        "same other arguments; omit it for the first page."
    ),
}
MISSING_STORE_ID = (
    "store_id is required: pass one (store ids look like mem_store_01kpttrksqe08rhv122gzq52ax), or "
    "ask the user to set TWILIO_MEMORY_STORE_ID in the MCP server's environment, which makes it "
    "the default."
)
_ARGUMENT_KINDS = {
    "begin_date": "date",
    "end_date": "date",
    "created_after": "date",
    "created_before": "date",
    "observations_limit": "limit",
    "summaries_limit": "limit",
    "communications_limit": "limit",
}


def argument_hint(items: Sequence[Mapping[str, Any]]) -> str:
    """What to fix, for each argument that failed, once each, in the order they failed."""
    hints: list[str] = []
    for item in items:
        name = str(item["loc"][0]) if item["loc"] else ""
        if name == "store_id" and item["type"] == "missing":
            hint = MISSING_STORE_ID
        else:
            hint = ARGUMENT_HINTS.get(_ARGUMENT_KINDS.get(name, name), "")
        if hint and hint not in hints:
            hints.append(hint)
    if not hints:
        return HINTS["invalid_argument"]
    return (
        "Fix the arguments and call again: " + " ".join(hints) + " Retrying unchanged will fail the same way."
    )


def refusal(code: ToolErrorCode, message: str) -> CallToolResult:
    """The server's own refusal of a call (no upstream request was made): never retryable."""
    return _error_result(ErrorDetail(code=code, message=message, retryable=False, hint=HINTS[code]))


def _error_result(detail: ErrorDetail) -> CallToolResult:
    text = f"Error ({detail.code}): {detail.message}."
    if detail.twilio_message or detail.twilio_code:
        text += f" Twilio said: {detail.twilio_message or '(no message)'}"
        text += f" (code {detail.twilio_code})." if detail.twilio_code else "."
    if detail.retry_after_seconds is not None:
        text += f" Retry after {detail.retry_after_seconds:g} seconds."
    text += f" What to do: {detail.hint}"
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content={"error": detail.model_dump(mode="json")},
        is_error=True,
    )
