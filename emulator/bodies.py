"""Request bodies: read within the size limit, parsed as JSON, and required to be an object.

Too large: 413 in Twilio's shape (starlette's own limit would answer text/plain). Not JSON, or
not an object: 400.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request

from .context import state_of
from .errors import ApiError, BadRequest


async def json_object(request: Request) -> Mapping[str, Any]:
    raw = await _limited_body(request, state_of(request).config.max_body_bytes)
    try:
        body = json.loads(raw) if raw else None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BadRequest("The request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object")
    return body


async def _limited_body(request: Request, limit: int) -> bytes:
    # Checked here rather than with starlette's max_body_size, whose 413 is plain text.
    too_large = ApiError(413, f"The request body exceeds {limit} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)
