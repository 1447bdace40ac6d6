"""Request bodies: read within the size limit, parsed as JSON, and required to be an object.

Too large: 413 in Twilio's shape (starlette's own limit would answer text/plain). Not JSON, or
not an object: 400. Two kinds of valid-looking JSON are refused with a 400 too (issue 8):

- **Nesting deeper than** :data:`MAX_DEPTH`. No body in the spec goes past four levels; a
  5,000-level body made ``json.loads`` raise ``RecursionError`` (a 500).
- **Unpaired surrogates** (``"\\udc00"`` escapes with no partner). JSON's grammar admits the
  escape, but the string is not Unicode text (RFC 8259 §8.2) and cannot be encoded as UTF-8:
  stored, it made every later answer holding it fail with a 500.
- **Integers past Python's digit limit** (4,300 digits, ``sys.set_int_max_str_digits``):
  ``json.loads`` raises a plain ``ValueError`` for them (a 500, issue 16).

A body that is not declared ``application/json`` (another media type, or no ``Content-Type``)
is refused with 415 (RFC 9110 §15.5.16): every request body in the spec is
``application/json`` only. 415 is not among the statuses the spec lists, as 413 is not.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request

from .context import state_of
from .errors import ApiError, BadRequest

MAX_DEPTH = 32  # arrays and objects inside one another
MEDIA_TYPE = "application/json"
_INT_DIGITS = sys.get_int_max_str_digits() or 4300
_LENGTH = re.compile(r"[0-9]+")


def _check_media_type(content_type: str | None) -> None:
    """``application/json``, any case, parameters (``charset=utf-8``) allowed: RFC 9110 §8.3.1."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type != MEDIA_TYPE:
        said = f"Content-Type {media_type!r}" if media_type else "no Content-Type"
        raise ApiError(415, f"The request body must be sent as {MEDIA_TYPE}; the request has {said}")


async def json_object(request: Request) -> Mapping[str, Any]:
    raw = await _limited_body(request, state_of(request).config.max_body_bytes)
    if raw:  # no body at all is the 400 below: there is no content to be of a media type
        _check_media_type(request.headers.get("content-type"))
    too_deep = BadRequest(f"The request body nests arrays and objects more than {MAX_DEPTH} deep")
    try:
        body = json.loads(raw) if raw else None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BadRequest("The request body is not valid JSON") from None
    except RecursionError:
        raise too_deep from None
    except ValueError:  # "Exceeds the limit (4300 digits) for integer string conversion"
        raise BadRequest(f"The request body holds an integer of more than {_INT_DIGITS} digits") from None
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object")
    _check_document(body, too_deep)
    return body


def _check_document(document: object, too_deep: BadRequest) -> None:
    """Refuse nesting past MAX_DEPTH and strings (values or keys) that are not Unicode text.
    Iterative, so no depth can exhaust the stack here."""
    stack: list[tuple[object, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            _check_text(value)
        elif isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise too_deep
            if isinstance(value, dict):
                for key in value:
                    _check_text(key)
                stack += [(item, depth + 1) for item in value.values()]
            else:
                stack += [(item, depth + 1) for item in value]


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest(
            "The request body holds a string that is not valid Unicode (an unpaired surrogate escape)"
        ) from None


async def _limited_body(request: Request, limit: int) -> bytes:
    # Checked here rather than with starlette's max_body_size, whose 413 is plain text.
    too_large = ApiError(413, f"The request body exceeds {limit} bytes")
    declared = request.headers.get("content-length", "")
    significant = declared.lstrip("0")  # int() would raise past 4,300 digits
    if _LENGTH.fullmatch(declared) and (len(significant) > 18 or int(significant or "0") > limit):
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)
