"""CreateFetchProfileMemory: ``POST /v1/Stores/{storeId}/Profiles/{profileId}/Recall``.

A POST that only reads. The body is a ``MemoryRetrievalRequest``, checked field by field
against its schema (types, ``conversationId`` pattern, ``query`` ≤ 1024, RFC 3339 dates, limits
0..100, ``relevanceThreshold`` 0..1); the schema does not forbid other properties, so they are
ignored. One rule the spec leaves open: ``beginDate`` must be earlier than ``endDate`` (an empty
window is a caller's mistake; 400). A merged profile id answers 308 (PermanentRedirect: re-send
the same POST to the canonical profile), or 200 under ``merged_answer="direct"``. Selection
and ranking are :mod:`emulator.search`; ``meta.queryTime`` is the measured time in ms.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from .bodies import json_object
from .context import answering_profile, owned_store, path_profile_id, path_store_id
from .errors import BadRequest
from .ids import CONVERSATION_ID
from .search import RecallQuery, recall
from .timestamps import read_timestamp

MAX_QUERY = 1024  # MemoryRetrievalRequest.query maxLength
MAX_LIMIT = 100  # *Limit maximum
MAX_QUERY_TIME = 600_000  # meta.queryTime maximum


async def recall_memories(request: Request) -> JSONResponse:
    started = time.perf_counter()
    store_id, profile_id = path_store_id(request), path_profile_id(request)
    query = parse_recall(await json_object(request))
    store = owned_store(request, store_id)
    profile, headers = answering_profile(request, store, profile_id, write=True)
    body: dict[str, Any] = recall(profile.memories, query)
    elapsed = int((time.perf_counter() - started) * 1000)
    body["meta"] = {"queryTime": min(elapsed, MAX_QUERY_TIME)}
    return JSONResponse(body, headers=headers)


FIELDS = (
    "conversationId",
    "query",
    "beginDate",
    "endDate",
    "communicationsLimit",
    "observationsLimit",
    "summariesLimit",
    "relevanceThreshold",
)


def parse_recall(body: Mapping[str, Any]) -> RecallQuery:
    where = "MemoryRetrievalRequest"
    nulls = [name for name in FIELDS if name in body and body[name] is None]
    if nulls:  # no property of the schema is nullable
        raise BadRequest(f"{where}.{nulls[0]} must not be null")
    conversation = body.get("conversationId")
    if conversation is not None and (
        not isinstance(conversation, str) or not CONVERSATION_ID.fullmatch(conversation)
    ):
        raise BadRequest(f"{where}.conversationId must match {CONVERSATION_ID.pattern}")
    query = body.get("query")
    if query is not None and (not isinstance(query, str) or len(query) > MAX_QUERY):
        raise BadRequest(f"{where}.query must be a string of at most {MAX_QUERY} characters")
    begin, end = _date(body, "beginDate"), _date(body, "endDate")
    if begin is not None and end is not None and begin >= end:
        raise BadRequest(f"{where}.beginDate must be earlier than endDate (endDate is exclusive)")
    threshold = body.get("relevanceThreshold", 0)
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0 <= threshold <= 1:
        raise BadRequest(f"{where}.relevanceThreshold must be a number from 0 to 1")
    return RecallQuery(
        query=query,
        conversation_id=conversation,
        begin=begin,
        end=end,
        observations_limit=_limit(body, "observationsLimit", 20),
        summaries_limit=_limit(body, "summariesLimit", 5),
        communications_limit=_limit(body, "communicationsLimit", 0),
        relevance_threshold=float(threshold),
    )


def _limit(body: Mapping[str, Any], name: str, default: int) -> int:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_LIMIT:
        raise BadRequest(f"MemoryRetrievalRequest.{name} must be an integer from 0 to {MAX_LIMIT}")
    return value


def _date(body: Mapping[str, Any], name: str) -> datetime | None:
    value = body.get(name)
    if value is None:
        return None
    return read_timestamp(value, f"MemoryRetrievalRequest.{name}", BadRequest)
