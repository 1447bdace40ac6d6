"""Reading the Memory API's answers: capped bodies, checked shapes, Twilio's error text.

Everything here treats the answer as untrusted: its size is capped, its shape checked
against the spec's models, and any text passed on is cleaned and cut short. Every string
taken from upstream passes through :func:`parse` (bodies) or :func:`twilio_error` and
:func:`clean` (error text), so the rule that no byte sequence from upstream may break a
transport (issue 9 item 1) is kept here, once, for every model:

- a body whose text is not valid Unicode (invalid UTF-8, or a lone surrogate written as a
  JSON escape, which RFC 8259 §8.2 leaves undefined) is refused as ``invalid_response``:
  a value repaired with U+FFFD would be a value Twilio does not hold, which the model
  might then quote to a customer or look up;
- error text is informational, so there it is repaired instead (lone surrogates and
  invalid bytes become U+FFFD) and Twilio's code and the rest of the message survive.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, TypeVar

import httpx2
from pydantic import BaseModel, ValidationError

from memory.errors import InvalidResponse
from memory.scrub import Scrubber

# The largest answer is ListProfileIdentifiers: 50 types x 100 values x 255 characters,
# about 1.3 MB of JSON before multi-byte characters. Anything beyond 4 MiB is not an answer.
MAX_RESPONSE_BYTES = 4 * 1024 * 1024
MAX_UPSTREAM_MESSAGE = 300  # characters of Twilio's error message passed on

BodyT = TypeVar("BodyT", bound=BaseModel)

_UNSAFE_TEXT = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]+")
# A Python str holds a surrogate only when it is lone (json.loads pairs the others up), and a
# lone one cannot be encoded as UTF-8: every transport's writer fails on it.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# A JSON escape that could make a surrogate (\uD800-\uDFFF). Raw bytes cannot (invalid UTF-8 is
# refused by the parser), so a body without one needs no walk through every string: a fast
# path worth ~0.1 ms on a Recall answer of 25 memories.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


async def read_capped(response: httpx2.Response) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
        raise _too_large(response)
    headers = response.headers
    if declared.isdigit() and "content-encoding" not in headers and "transfer-encoding" not in headers:
        # Framed by its declared length (HTTP/1.1 reads no more: RFC 9112 §6.3), which is
        # within the cap, and not compressed: read whole. The chunk loop below, for bodies
        # that could grow as they are read or decoded, costs a call more (issue 17).
        content = await response.aread()
        if len(content) > MAX_RESPONSE_BYTES:  # an in-process transport need not keep to its header
            raise _too_large(response)
        return content
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():  # decoded, so a compressed bomb is capped too
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise _too_large(response)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(response: httpx2.Response) -> InvalidResponse:
    return InvalidResponse(
        f"the Memory API's answer is larger than {MAX_RESPONSE_BYTES} bytes", http_status=response.status_code
    )


def parse(model: type[BodyT], content: bytes) -> BodyT:
    """``content`` as ``model``, or :class:`InvalidResponse`. pydantic-core's JSON parser
    refuses invalid UTF-8, lone surrogate escapes and raw control characters in strings;
    :func:`_check_text` holds every string of the result to the same rule whatever parsed
    it, so a model with free text or arbitrary JSON values is covered without a validator
    of its own."""
    try:
        body = model.model_validate_json(content)
    except ValidationError as exc:
        # Field locations and error kinds only: the rejected input may hold personal data.
        problems = "; ".join(
            f"{where(error['loc']) or 'body'}: {error['type']}" for error in exc.errors()[:3]
        )
        raise InvalidResponse(
            f"the Memory API's answer does not match the documented {model.__name__} ({problems})",
            http_status=200,
        ) from None
    if _SURROGATE_ESCAPE.search(content) and not _check_text(body):
        raise InvalidResponse(
            f"the Memory API's answer holds text that is not valid Unicode ({model.__name__})",
            http_status=200,
        )
    return body


# A location's part shown as it is: a field name, an index, pydantic's "[key]". Any other
# part is a key the answer chose (a trait's or a group's name): it may be 5,000 characters or
# hold a line break, and an error result must stay small and one line (issue 16 item 3).
_PLAIN_PART = re.compile(r"[A-Za-z0-9_.\[\]-]{1,40}")


def where(loc: Sequence[int | str]) -> str:
    """A validation error's location, with keys that are not plain names shown as ``…``."""
    return ".".join(
        str(part) if isinstance(part, int) or _PLAIN_PART.fullmatch(part) else "…" for part in loc
    )


def _check_text(body: BaseModel) -> bool:
    """True when every string in ``body`` (keys included, at any depth) is valid Unicode."""
    pending: list[Any] = [body]
    while pending:  # a loop, not recursion: arbitrary JSON may nest as deep as the parser allows
        value = pending.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                return False
        elif isinstance(value, BaseModel):
            pending.extend(value.__dict__.values())
            pending.extend((value.__pydantic_extra__ or {}).items())
        elif isinstance(value, dict):
            pending.extend(value.items())
        elif isinstance(value, list | tuple | set | frozenset):
            pending.extend(value)
    return True


def valid_text(text: str) -> str:
    """``text`` with any lone surrogate replaced by U+FFFD: encodable as UTF-8, always."""
    return _SURROGATE.sub("\ufffd", text)


def twilio_error(content: bytes) -> tuple[int | None, str | None]:
    """Twilio's error ``code`` and ``message`` (components/schemas/TwilioError), if present.

    Invalid UTF-8 is replaced rather than refused, so a code next to a broken message
    survives; the message still holds whatever its JSON escapes said (lone surrogates
    included) until :func:`clean` repairs it."""
    try:
        data = json.loads(content.decode("utf-8", "replace"))
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(data, dict):
        return None, None
    code = data.get("code")
    message = data.get("message")
    valid_code = code if isinstance(code, int) and 100 <= code <= 999_999 else None
    return valid_code, message if isinstance(message, str) else None


def clean(text: str, secrets: Scrubber | Sequence[str] = ()) -> str:
    """Untrusted text made safe to show: valid Unicode, one line, no control or bidi
    characters, no credential in any form (see :mod:`memory.scrub`), capped."""
    # Cut first (with room for what cleaning removes), so a 4 MiB message costs no more
    # than a short one; then repair, flatten and scrub, and cut to the final length.
    text = valid_text(text[: MAX_UPSTREAM_MESSAGE * 8])
    text = " ".join(_UNSAFE_TEXT.sub(" ", text).split())
    scrubber = secrets if isinstance(secrets, Scrubber) else Scrubber(secrets)
    text = scrubber.scrub(text)
    if len(text) > MAX_UPSTREAM_MESSAGE:
        text = text[: MAX_UPSTREAM_MESSAGE - 1] + "…"
    return text
