"""The Conversation Memory API client: one method per operation. No MCP here.

One :class:`MemoryApiClient` wraps the process's one shared ``httpx2.AsyncClient`` (made by
:func:`http_client`, or at the first request by :class:`LazyHttpClient`);
:class:`memory.http.Exchange` sends each call (retries, deadline, merges, capped body) and this
module says what to send and how to read the answer. A merged profile is followed to its
canonical one (301 for the GETs, 308 for Recall's POST, re-sent with the same body), and the
answer names both ids (:class:`Located`).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Generic, Literal, TypedDict, TypeVar, Unpack

import httpx2
from pydantic import BaseModel

from memory import models
from memory.config import ClientConfig
from memory.errors import InvalidResponse
from memory.http import CallTrace, Clock, Exchange, LazyHttpClient, Sleep, Target, http_client
from memory.responses import parse

if TYPE_CHECKING:
    # Imported by write() itself: only the write toolset sends writes, and a default start
    # loads none of it (issue 17, cold start).
    from memory.writes import WriteAccepted, WriteRequest

__all__ = ["CallTrace", "Clock", "LazyHttpClient", "Located", "MemoryApiClient", "Sleep", "http_client"]

BodyT = TypeVar("BodyT", bound=BaseModel)


class SummaryQuery(TypedDict, total=False):
    """ListProfileConversationSummaries' query parameters (spec components/parameters)."""

    conversation_id: str | None
    page_size: int | None
    page_token: str | None


class ObservationQuery(TypedDict, total=False):
    """ListProfileObservations' query parameters, in the order they are sent."""

    source: str | None
    created_after: str | None
    created_before: str | None
    conversation_id: str | None
    order_by: Literal["ASC", "DESC"] | None
    page_size: int | None
    page_token: str | None


@dataclass(frozen=True)
class Located(Generic[BodyT]):
    """A body and the profile it belongs to: the canonical one when the asked-for id was merged."""

    store_id: str
    profile_id: str
    requested_profile_id: str
    body: BodyT


class Timing(TypedDict, total=False):
    """What tests replace in an :class:`Exchange`: how it sleeps, its clock, its jitter."""

    sleep: Sleep
    clock: Clock
    rng: random.Random | None


class MemoryApiClient:
    def __init__(
        self,
        http: httpx2.AsyncClient | Callable[[], httpx2.AsyncClient],
        config: ClientConfig,
        **timing: Unpack[Timing],
    ) -> None:
        self._exchange = Exchange(http, config, **timing)

    async def fetch_profile_identifier(
        self, store_id: str, profile_id: str, id_type: str, *, trace: CallTrace | None = None
    ) -> Located[models.IdentifierSet]:
        """FetchProfileIdentifier: every stored value of one identifier type, oldest first."""
        target = Target(store_id, profile_id, ("Identifiers", id_type))
        return await self._located("GET", target, models.IdentifierSet, trace)

    async def list_profile_identifiers(
        self, store_id: str, profile_id: str, *, trace: CallTrace | None = None
    ) -> Located[models.IdentifierList]:
        """ListProfileIdentifiers: every identifier type on a profile, with its values."""
        target = Target(store_id, profile_id, ("Identifiers",))
        return await self._located("GET", target, models.IdentifierList, trace)

    async def lookup_profiles(
        self, store_id: str, id_type: str, value: str, *, trace: CallTrace | None = None
    ) -> models.LookupResult:
        """CreateProfilesLookup: canonical ids of the profiles holding a value (a read, by POST)."""
        target = Target(store_id, None, ("Lookup",))
        body = _json({"idType": id_type, "value": value})
        _, content = await self._exchange.call("POST", target, body, trace)
        return parse(models.LookupResult, content)

    async def fetch_profile(
        self,
        store_id: str,
        profile_id: str,
        trait_groups: Sequence[str] = (),
        *,
        trace: CallTrace | None = None,
    ) -> Located[models.Profile]:
        """FetchProfile: the profile's traits, only the named groups when ``trait_groups`` is given."""
        query = (("traitGroups", ",".join(trait_groups)),) if trait_groups else ()
        target = Target(store_id, profile_id, (), query)
        found = await self._located("GET", target, models.Profile, trace)
        # models.Profile.id is "the canonical profile ID": the body may name it where no header did.
        if found.body.id is not None and found.body.id != found.profile_id:
            found = replace(found, profile_id=found.body.id)
        return found

    async def recall(
        self,
        store_id: str,
        profile_id: str,
        request: models.RecallRequest,
        *,
        trace: CallTrace | None = None,
    ) -> Located[models.RecallResult]:
        """CreateFetchProfileMemory: memories for an agent (a read, by POST; merges answer 308)."""
        target = Target(store_id, profile_id, ("Recall",))
        return await self._located("POST", target, models.RecallResult, trace, request.body())

    async def list_conversation_summaries(
        self, store_id: str, profile_id: str, *, trace: CallTrace | None = None, **query: Unpack[SummaryQuery]
    ) -> Located[models.SummaryPage]:
        """ListProfileConversationSummaries: one page; ``meta.next_token`` leads to the next."""
        target = Target(store_id, profile_id, ("ConversationSummaries",), _query(SummaryQuery, query))
        return await self._located("GET", target, models.SummaryPage, trace)

    async def list_observations(
        self,
        store_id: str,
        profile_id: str,
        *,
        trace: CallTrace | None = None,
        **query: Unpack[ObservationQuery],
    ) -> Located[models.ObservationPage]:
        """ListProfileObservations: one page, newest first unless ``order_by`` says ASC."""
        target = Target(store_id, profile_id, ("Observations",), _query(ObservationQuery, query))
        return await self._located("GET", target, models.ObservationPage, trace)

    async def write(self, request: WriteRequest, *, trace: CallTrace | None = None) -> Located[WriteAccepted]:
        """Send one of the four profile writes (:mod:`memory.writes`); 202 means accepted.

        A write is sent again only when the API proves it was not applied (a 429, or a
        connection refused before anything left: :func:`memory.retries.retryable_status`); a
        timeout or 5xx after sending raises :class:`memory.errors.OutcomeUnknown`. A merged
        profile's 308 re-sends the same bytes to the canonical profile, on our own origin.
        """
        from memory.writes import WriteAccepted

        canonical, content = await self._exchange.call(
            request.method, request.target, request.body, trace, replayable=False
        )
        try:
            accepted = parse(WriteAccepted, content)
        except InvalidResponse:
            # A 2xx said the write was accepted; an odd message must not make it look failed.
            accepted = WriteAccepted()
        return Located(request.store_id, canonical, request.profile_id, accepted)

    def url(self, request: WriteRequest) -> str:
        """Where ``request`` would be sent (for a dry run)."""
        return self._exchange.url(request.target)

    async def _located(
        self,
        method: str,
        target: Target,
        model: type[BodyT],
        trace: CallTrace | None,
        body: dict[str, object] | None = None,
    ) -> Located[BodyT]:
        assert target.profile_id is not None
        payload = _json(body) if body is not None else None
        canonical, content = await self._exchange.call(method, target, payload, trace)
        return Located(target.store_id, canonical, target.profile_id, parse(model, content))


def _json(body: dict[str, object]) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def _query(kind: type[Any], given: Mapping[str, object]) -> tuple[tuple[str, str], ...]:
    """Query parameters in ``kind``'s order (a stable URL), named as the API spells them
    (``page_size`` is ``pageSize``), the unset ones left out."""
    return tuple(
        (_camel(name), str(given[name])) for name in kind.__annotations__ if given.get(name) is not None
    )


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)
