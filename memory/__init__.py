"""A client for Twilio's Conversation Memory API: HTTP, retries, merges, checked bodies.

It knows HTTP (httpx2) and pydantic, nothing of MCP, and imports nothing of the server:
its configuration (:class:`ClientConfig`) is handed in.

    config.py     ClientConfig, Credentials
    client.py     MemoryApiClient: one method per API operation
    http.py       Exchange: one call with retries, deadline and merges, over the pooled client
    merges.py     following a merged profile (301 GET, 308 POST) to its canonical one, safely
    models/       the API's bodies as the spec draws them
    errors.py     the error tree, mapped from HTTP status in one table
    retries.py    what is retried and how long to wait
    responses.py  capped bodies, shape checks, Twilio's error text made safe
    scrub.py      every form a credential takes in text, masked
    writes.py     the four profile writes, built as requests before anything is sent
    ids.py        the spec's id and field patterns
"""

from __future__ import annotations

from memory.client import CallTrace, Located, MemoryApiClient
from memory.config import ClientConfig, Credentials
from memory.errors import ErrorCode, MemoryApiError

__all__ = [
    "CallTrace",
    "ClientConfig",
    "Credentials",
    "ErrorCode",
    "Located",
    "MemoryApiClient",
    "MemoryApiError",
]
