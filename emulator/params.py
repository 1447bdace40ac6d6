"""Query parameters of the list operations, checked against their ``components/parameters``.

Each reader returns the parsed value (or the spec's default) and raises :class:`BadRequest`
naming the parameter and its rule; the emulator answers 400 before looking at the store, as for
any request-shape error. Query parameters the operation does not declare are ignored.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from starlette.requests import Request

from .errors import BadRequest
from .ids import CONVERSATION_ID, SOURCE
from .timestamps import InvalidTimestamp, parse_timestamp

MAX_PAGE_SIZE = 1000  # PageSize: integer 1..1000, default 50
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_TOKEN = 4096  # PageToken maxLength
# Bounded before int(), which raises past 4,300 digits (sys.set_int_max_str_digits).
_DIGITS = re.compile(r"[0-9]{1,9}")

Order = Literal["ASC", "DESC"]


def page_size(request: Request) -> int:
    raw = request.query_params.get("pageSize")
    if raw is None:
        return DEFAULT_PAGE_SIZE
    if not _DIGITS.fullmatch(raw) or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise BadRequest(f"pageSize must be an integer from 1 to {MAX_PAGE_SIZE}")
    return int(raw)


def page_token(request: Request) -> str | None:
    raw = request.query_params.get("pageToken")
    if raw is not None and len(raw) > MAX_PAGE_TOKEN:
        raise BadRequest(f"pageToken must be at most {MAX_PAGE_TOKEN} characters")
    return raw or None


def order_by(request: Request) -> Order:
    # OrderBy: enum ASC|DESC, default DESC (case as in the enum).
    raw = request.query_params.get("orderBy", "DESC")
    if raw == "ASC":
        return "ASC"
    if raw == "DESC":
        return "DESC"
    raise BadRequest("orderBy must be ASC or DESC")


def source(request: Request) -> str | None:
    raw = request.query_params.get("source")
    if raw is not None and not SOURCE.fullmatch(raw):
        raise BadRequest(f"source must be 1 to 100 characters matching {SOURCE.pattern}")
    return raw


def conversation_id(request: Request) -> str | None:
    raw = request.query_params.get("conversationId")
    if raw is not None and not CONVERSATION_ID.fullmatch(raw):
        raise BadRequest(f"conversationId must match {CONVERSATION_ID.pattern}")
    return raw


def timestamp(request: Request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        return parse_timestamp(raw)
    except InvalidTimestamp as error:
        raise BadRequest(f"{name}: {error}") from None
