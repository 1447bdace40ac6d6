"""Following a merged profile to its canonical one, safely.

A request addressed to a profile that was merged into another is answered with a redirect
carrying ``Canonical-Profile-Id`` and ``Location`` (spec components/responses
MovedPermanently and PermanentRedirect): **301** for GETs, **308** for requests whose method
and body must be kept (Recall's POST among them; RFC 9110 section 15.4.9). The client
follows them itself: the next URL is rebuilt on our own base URL from the header (the spec's
``Location`` example, ``https:///memory...``, is malformed), so credentials cannot leave the
origin; a ``Location`` naming another origin is refused anyway, as a sign that something
between us and Twilio is rewriting answers; loops and long chains are refused too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from memory.errors import RedirectRefused
from memory.ids import PROFILE_ID_PATTERN
from memory.responses import clean

# A merged profile redirects to its canonical one; merges of merges may chain. Three hops
# is more than any single merge needs and stops a loop quickly.
MAX_REDIRECTS = 3

# The status by which the API says "merged" for each method we send: 301 keeps a GET a GET;
# a POST or PATCH needs 308, which keeps the method and body (a 301 would let a client turn
# it into a GET; spec: every profile write declares 308). Any other redirect is not a merge
# and is refused as an invalid response.
MERGE_STATUS = {"GET": 301, "POST": 308, "PATCH": 308}

Origin = tuple[str, str, int | None]


def origin_of(url: str) -> Origin:
    parsed = urlsplit(url)  # the base URL, validated by the caller
    scheme = parsed.scheme.lower()
    return scheme, (parsed.hostname or "").lower(), parsed.port or {"https": 443, "http": 80}.get(scheme)


def is_merge(method: str, status: int) -> bool:
    return MERGE_STATUS.get(method) == status


def next_profile(headers: Mapping[str, str], visited: list[str], origin: Origin, status: int) -> str:
    """The canonical profile a merge redirect points at, or :class:`RedirectRefused`.

    ``visited`` holds the profile ids asked for so far, the first one included; the new
    one is appended.
    """
    if len(visited) > MAX_REDIRECTS:
        raise RedirectRefused(f"more than {MAX_REDIRECTS} merge redirects", http_status=status)
    location = headers.get("location")
    if location is not None:
        check_location(location.strip(), origin, status)
    canonical = headers.get("canonical-profile-id", "").strip()
    if not re.fullmatch(PROFILE_ID_PATTERN, canonical):
        raise RedirectRefused(
            "the profile moved but the API gave no valid Canonical-Profile-Id", http_status=status
        )
    if canonical in visited:
        raise RedirectRefused("the merge redirects form a loop", http_status=status)
    visited.append(canonical)
    return canonical


def canonical_on_success(headers: Mapping[str, str], profile_id: str) -> str:
    """The profile a 200 belongs to: the spec lets FetchProfile, Recall and the memory lists
    answer a merged id directly, naming the canonical profile in ``Canonical-Profile-Id``.
    A header that is not a profile id is ignored: the body is what was asked for either way."""
    canonical = headers.get("canonical-profile-id", "").strip()
    return canonical if re.fullmatch(PROFILE_ID_PATTERN, canonical) else profile_id


def check_location(location: str, origin: Origin, status: int) -> None:
    """Refuse a ``Location`` naming another origin, or one too malformed to tell.

    A relative one, or the spec's hostless ``https:///...``, names no origin: fine, since
    the next URL comes from ``Canonical-Profile-Id`` on our own base URL either way.
    """
    try:
        parts = urlsplit(location)
        if not parts.netloc:
            return
        scheme = parts.scheme.lower() or origin[0]  # "//host/..." keeps our scheme
        port = parts.port or {"https": 443, "http": 80}.get(scheme)
        host = (parts.hostname or "").lower()
    except ValueError:
        raise RedirectRefused("the API redirected to a malformed Location", http_status=status) from None
    if (scheme, host, port) != origin:
        named = host or parts.netloc.rpartition("@")[2]  # never the userinfo
        raise RedirectRefused(
            f"the API redirected to another origin ({clean(named, ())})",
            http_status=status,
        )
