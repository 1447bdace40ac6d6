"""Pages of the list operations: ``pageSize``, ``pageToken`` and the ``meta`` of the answer.

What the spec fixes (``PageSize``, ``PageToken``, ``ObservationsMeta``): a request may ask for
``pageSize`` 1..1000 (default 50), but a list answer holds at most 50 items (``maxItems: 50``)
and ``meta.pageSize`` is at most 50; so a page holds ``min(pageSize, 50)`` items and
``meta.pageSize`` says that number. ``meta.key`` names the list property; ``nextToken`` and
``previousToken`` (1..4096 characters) are present only when there is a page that way.

What the emulator chooses: tokens are opaque base64url JSON holding a keyset position (the
sort key of the last, or first, item shown) and a fingerprint of the query (operation, profile,
filters, order). A token is therefore stable while items are added or removed elsewhere in the
list, and a token replayed with other filters, another order or another profile is a 400
(``pageToken is not valid for this request``) rather than a silently wrong page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .errors import BadRequest

MAX_ITEMS = 50  # the list answers' maxItems and ObservationsMeta.pageSize maximum

T = TypeVar("T")
SortKey = tuple[int, str]


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    meta: dict[str, Any]


def fingerprint(*parts: object) -> str:
    """A short digest of everything that shapes a list: a token only fits the same query."""
    raw = json.dumps(parts, default=str, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def paginate(
    items: Sequence[T],
    key: Callable[[T], SortKey],
    *,
    descending: bool,
    page_size: int,
    token: str | None,
    query: str,
    list_key: str,
) -> Page[T]:
    """The page of ``items`` (already sorted, ``descending`` or not, by ``key``) that ``token``
    points at, or the first page."""
    size = min(page_size, MAX_ITEMS)
    keys = [key(item) for item in items]
    if token is None:
        return _page(items, keys, 0, min(len(items), size), query, list_key, size)
    direction, mark = _decode(token, query)

    def past(k: SortKey) -> bool:  # k comes after mark in the list's order
        return k < mark if descending else k > mark

    if direction == "next":
        start = next((i for i, k in enumerate(keys) if past(k)), len(keys))
        return _page(items, keys, start, min(len(items), start + size), query, list_key, size)
    # "prev": the last `size` items before mark.
    end = next((i for i, k in enumerate(keys) if k == mark or past(k)), len(keys))
    return _page(items, keys, max(0, end - size), end, query, list_key, size)


def _page(
    items: Sequence[T], keys: list[SortKey], start: int, end: int, query: str, list_key: str, size: int
) -> Page[T]:
    meta: dict[str, Any] = {"key": list_key, "pageSize": size}
    if end < len(items):
        meta["nextToken"] = _encode("next", keys[end - 1], query) if end > start else None
    if start > 0:
        meta["previousToken"] = _encode("prev", keys[start], query) if end > start else None
    return Page(list(items[start:end]), {k: v for k, v in meta.items() if v is not None})


def _encode(direction: str, mark: SortKey, query: str) -> str:
    raw = json.dumps({"v": 1, "d": direction, "k": list(mark), "q": query}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(token: str, query: str) -> tuple[str, SortKey]:
    invalid = BadRequest("pageToken is not valid for this request (use the token from the previous page)")
    try:
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, RecursionError):  # RecursionError: a deeply nested fake
        raise invalid from None
    if not isinstance(raw, dict) or raw.get("v") != 1 or raw.get("q") != query:
        raise invalid
    direction, mark = raw.get("d"), raw.get("k")
    if (
        direction not in ("next", "prev")
        or not isinstance(mark, list)
        or len(mark) != 2
        or not isinstance(mark[0], int)
        or isinstance(mark[0], bool)
        or not isinstance(mark[1], str)
    ):
        raise invalid
    return direction, (mark[0], mark[1])
