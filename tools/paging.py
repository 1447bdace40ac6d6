"""Page tokens for the paged tools: the API's token, and where to resume within its page.

The tools page as the API does (``pageToken`` in, ``meta.nextToken`` out), with one twist:
when the size budget cuts a page short, the next call must resume *inside* that page, which
the API's own tokens cannot say. So the tools' ``next_page_token`` is ours:
``"<skip>:<the API's token>"``, meaning "ask the API for the page at that token and leave out
its first <skip> items" (``"12:"`` is the first page from its 13th item). A page that was not
cut continues at the API's next token with nothing to skip. Tokens are opaque to the model:
it passes back what it was given.

Resuming re-reads a page, so a memory added meanwhile at the front of a newest-first listing
can show up twice; nothing is skipped unseen.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

from tools.fields import MAX_PAGE_SIZE

API_TOKEN_MAX = 4096  # components/parameters/PageToken, ObservationsMeta.nextToken
TOKEN_PATTERN = r"^[0-9]{1,2}:"
_TOKEN = re.compile(r"([0-9]{1,2}):(.*)", re.S)


def _api_token_fits(token: str) -> str:
    """The API's part within components/parameters/PageToken's 4096 characters: the schema's
    maxLength counts our "<skip>:" too, so "0:" and 4097 characters would pass it."""
    if len(token.partition(":")[2]) > API_TOKEN_MAX:
        raise ValueError("not a page token from this server (too long)")
    return token


PageToken = Annotated[
    str,
    Field(
        pattern=TOKEN_PATTERN,
        max_length=API_TOKEN_MAX + 3,
    ),
    AfterValidator(_api_token_fits),
]


def encode(api_token: str | None, skip: int) -> str:
    return f"{skip}:{api_token or ''}"


def decode(token: str | None) -> tuple[str | None, int]:
    """The API's token (None for the first page) and how many of its items to skip."""
    if token is None:
        return None, 0
    match = _TOKEN.fullmatch(token)
    if match is None:  # the input schema's pattern admits only tokens of this shape
        raise ValueError("not a page token from this server")
    skip = min(int(match.group(1)), MAX_PAGE_SIZE)
    return match.group(2) or None, skip


def next_token(api_token: str | None, skip: int, kept: int, total: int, api_next: str | None) -> str | None:
    """The token after a page that was fetched at ``api_token``, its first ``skip`` items
    skipped and the next ``kept`` of its ``total`` items sent: the API's next page when
    everything was sent, else the same page, resuming after what was sent."""
    if skip + kept >= total:
        return encode(api_next, 0) if api_next else None
    return encode(api_token, skip + kept)
