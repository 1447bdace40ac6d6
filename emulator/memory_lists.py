"""ListProfileObservations and ListProfileConversationSummaries: paged memory lists.

Both answer ``{<list>: [...], "meta": {key, pageSize, nextToken?, previousToken?}}`` (paging in
:mod:`emulator.paging`), and 301 for a merged profile id (or 200 with ``Canonical-Profile-Id``
under ``merged_answer="direct"``).

- Observations are sorted by ``createdAt`` (then ``id``), ``orderBy`` DESC by default ("sorted by
  creation time in descending order by default"); filters: ``source`` (exact match),
  ``conversationId`` (one of the observation's ``conversationIds``), ``createdAfter``
  (inclusive) and ``createdBefore`` (exclusive), as the parameters' descriptions say.
- Summaries take no ``orderBy`` in the spec; they come most recently created first, the
  data-plane lists' default. Filter: ``conversationId``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from . import params
from .context import answering_profile, owned_store, path_profile_id, path_store_id
from .memories import Observation, Summary
from .paging import SortKey, fingerprint, paginate
from .timestamps import epoch_micros


def _created(item: Observation | Summary) -> SortKey:
    return (epoch_micros(item.created_at), item.id)


async def list_observations(request: Request) -> JSONResponse:
    store_id, profile_id = path_store_id(request), path_profile_id(request)
    size, token, order = params.page_size(request), params.page_token(request), params.order_by(request)
    source, conversation = params.source(request), params.conversation_id(request)
    after, before = params.timestamp(request, "createdAfter"), params.timestamp(request, "createdBefore")
    store = owned_store(request, store_id)
    profile, headers = answering_profile(request, store, profile_id, write=False)
    chosen = sorted(
        (
            o
            for o in profile.memories.observations
            if (source is None or o.source == source)
            and (conversation is None or conversation in o.conversation_ids)
            and (after is None or o.created_at >= after)
            and (before is None or o.created_at < before)
        ),
        key=_created,
        reverse=order == "DESC",
    )
    page = paginate(
        chosen,
        _created,
        descending=order == "DESC",
        page_size=size,
        token=token,
        query=fingerprint("observations", profile.id, source, conversation, after, before, order),
        list_key="observations",
    )
    body = {"observations": [o.to_json() for o in page.items], "meta": page.meta}
    return JSONResponse(body, headers=headers)


async def list_summaries(request: Request) -> JSONResponse:
    store_id, profile_id = path_store_id(request), path_profile_id(request)
    size, token = params.page_size(request), params.page_token(request)
    conversation = params.conversation_id(request)
    store = owned_store(request, store_id)
    profile, headers = answering_profile(request, store, profile_id, write=False)
    chosen = sorted(
        (s for s in profile.memories.summaries if conversation is None or s.conversation_id == conversation),
        key=_created,
        reverse=True,
    )
    page = paginate(
        chosen,
        _created,
        descending=True,
        page_size=size,
        token=token,
        query=fingerprint("summaries", profile.id, conversation),
        list_key="summaries",
    )
    body = {"summaries": [s.to_json() for s in page.items], "meta": page.meta}
    return JSONResponse(body, headers=headers)
