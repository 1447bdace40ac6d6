"""Reading the Memory API's answers: capped bodies, checked shapes, Twilio's error text.

Everything here treats the answer as untrusted: its size is capped, its shape checked
against the spec's models, and any text passed on is cleaned and cut short.
"""

from __future__ import annotations

import json
import re
from typing import TypeVar

import httpx2
from pydantic import BaseModel, ValidationError

from memory.errors import InvalidResponse

# The largest answer is ListProfileIdentifiers: 50 types x 100 values x 255 characters,
# about 1.3 MB of JSON before multi-byte characters. Anything beyond 4 MiB is not an answer.
MAX_RESPONSE_BYTES = 4 * 1024 * 1024
MAX_UPSTREAM_MESSAGE = 300  # characters of Twilio's error message passed on

BodyT = TypeVar("BodyT", bound=BaseModel)

_UNSAFE_TEXT = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]+")


async def read_capped(response: httpx2.Response) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
        raise InvalidResponse(
            f"the Memory API's answer is larger than {MAX_RESPONSE_BYTES} bytes",
            http_status=response.status_code,
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():  # decoded, so a compressed bomb is capped too
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise InvalidResponse(
                f"the Memory API's answer is larger than {MAX_RESPONSE_BYTES} bytes",
                http_status=response.status_code,
            )
        chunks.append(chunk)
    return b"".join(chunks)


def parse(model: type[BodyT], content: bytes) -> BodyT:
    try:
        return model.model_validate_json(content)
    except ValidationError as exc:
        # Field locations and error kinds only: the rejected input may hold personal data.
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'body'}: {error['type']}"
            for error in exc.errors()[:3]
        )
        raise InvalidResponse(
            f"the Memory API's answer does not match the documented {model.__name__} ({problems})",
            http_status=200,
        ) from None


def twilio_error(content: bytes) -> tuple[int | None, str | None]:
    """Twilio's error ``code`` and ``message`` (components/schemas/TwilioError), if present."""
    try:
        data = json.loads(content)
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(data, dict):
        return None, None
    code = data.get("code")
    message = data.get("message")
    valid_code = code if isinstance(code, int) and 100 <= code <= 999_999 else None
    return valid_code, message if isinstance(message, str) else None


def clean(text: str, secrets: tuple[str, ...]) -> str:
    """Untrusted text made safe to show: one line, no control or bidi characters, capped."""
    text = " ".join(_UNSAFE_TEXT.sub(" ", text).split())
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    if len(text) > MAX_UPSTREAM_MESSAGE:
        text = text[: MAX_UPSTREAM_MESSAGE - 1] + "…"
    return text
