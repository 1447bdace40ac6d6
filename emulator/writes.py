"""Profile writes: observations, conversation summaries and traits (CreateProfileIdentifier is
in :mod:`emulator.identifiers`, through :func:`accepted` here too).

Every write is checked first (path, body, store, profile: a merged profile answers 308 and
nothing is written), then answered 202 ``{"message": ...}`` as the spec says. Its effect shows
in reads at once, or after ``EmulatorConfig.write_delay`` seconds, imitating the API's queue;
the effect finds the profile's canonical one when it is applied, so a merge in between does not
lose it. Scripted faults (:attr:`Faults.write_faults`) come after the checks: a ``timeout``
applies the write and holds the answer, ``500``/``429`` apply nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse

from .bodies import json_object
from .context import live_profile, owned_store, path_profile_id, path_store_id, state_of
from .errors import ApiError, BadRequest
from .ids import CONVERSATION_ID, SOURCE, new_ttid
from .memories import MAX_CONTENT, MAX_CONVERSATION_IDS, Observation, Summary
from .state import ReceivedWrite
from .store import Profile, Store
from .timestamps import read_timestamp

MAX_BATCH = 10  # observations / summaries per request (minItems 1, maxItems 10)
MAX_TRAIT_GROUPS = 50  # PatchProfileTraits: traits maxProperties
MAX_TRAITS = 99  # each group's maxProperties


async def create_observations(request: Request) -> JSONResponse:
    """CreateProfileObservation: ``{"observations": [...]}``, 1-10 items (content, source and
    occurredAt required; conversationIds up to 10)."""
    store, profile, body = await _target(request, "ObservationsCreate", "observations")
    now = datetime.now(UTC)
    items = [
        Observation(
            id=new_ttid("mem_observation"),
            content=_content(item, index),
            source=_source(item, index, required=True),
            occurred_at=_occurred(item, index),
            created_at=now,
            updated_at=now,
            conversation_ids=tuple(_conversation_ids(item, index)),
        )
        for index, item in enumerate(_batch(body, "observations"))
    ]

    def effect(live: Profile) -> None:
        live.memories.observations.extend(items)

    return await accepted(
        request, "CreateProfileObservation", store, profile, effect, "Observations creation accepted"
    )


async def create_summaries(request: Request) -> JSONResponse:
    """CreateProfileConversationSummary: ``{"summaries": [...]}``, 1-10 items (content,
    conversationId and occurredAt required; source optional)."""
    store, profile, body = await _target(request, "SummariesCreate", "summaries")
    now = datetime.now(UTC)
    items = []
    for index, item in enumerate(_batch(body, "summaries")):
        conversation = item.get("conversationId")
        if not isinstance(conversation, str) or not CONVERSATION_ID.fullmatch(conversation):
            raise BadRequest(
                f"summaries[{index}].conversationId is required and must match {CONVERSATION_ID.pattern}"
            )
        items.append(
            Summary(
                id=new_ttid("mem_summary"),
                conversation_id=conversation,
                content=_content(item, index),
                source=_source(item, index, required=False),
                occurred_at=_occurred(item, index),
                created_at=now,
                updated_at=now,
            )
        )

    def effect(live: Profile) -> None:
        live.memories.summaries.extend(items)

    return await accepted(
        request, "CreateProfileConversationSummary", store, profile, effect, "Summaries creation accepted"
    )


async def patch_traits(request: Request) -> JSONResponse:
    """PatchProfileTraits: only the traits given change; a null value removes the trait."""
    store_id, profile_id = path_store_id(request), path_profile_id(request)
    body = await json_object(request)
    unknown = set(body) - {"traits"}
    if unknown:
        raise BadRequest(f"ProfilePatch has unknown properties: {', '.join(sorted(unknown))}")
    traits = body.get("traits", {})
    if not isinstance(traits, Mapping) or len(traits) > MAX_TRAIT_GROUPS:
        raise BadRequest(f"traits must be an object of at most {MAX_TRAIT_GROUPS} trait groups")
    for group, values in traits.items():
        if not isinstance(values, Mapping) or len(values) > MAX_TRAITS:
            raise BadRequest(f"traits.{group} must be an object of at most {MAX_TRAITS} traits")
        for name, value in values.items():
            if not _trait_value(value):
                raise BadRequest(
                    f"traits.{group}.{name} must be a string, number, boolean, an array of those, or null"
                )
    store = owned_store(request, store_id)
    profile = live_profile(request, store, profile_id, write=True)
    patch = {group: dict(values) for group, values in traits.items()}

    def effect(live: Profile) -> None:
        for group, values in patch.items():
            current = live.traits.setdefault(group, {})
            for name, value in values.items():
                if value is None:
                    current.pop(name, None)
                else:
                    current[name] = value
            if not current:
                del live.traits[group]

    return await accepted(
        request, "PatchProfileTraits", store, profile, effect, "Trait modifications accepted for processing."
    )


async def accepted(
    request: Request,
    operation: str,
    store: Store,
    profile: Profile,
    effect: Callable[[Profile], None],
    message: str,
) -> JSONResponse:
    """Answer a checked write: a scripted fault, or 202 with its effect applied (or queued)."""
    state = state_of(request)
    fault = state.injector.write_fault(operation)
    outcome = fault or ("applied" if state.config.write_delay <= 0 else "pending")
    state.received.append(ReceivedWrite(operation, store.id, profile.id, outcome))
    if fault == "500":
        raise ApiError(500)
    if fault == "429":
        raise ApiError(429, headers={"Retry-After": str(state.faults.retry_after)})
    profile_id = profile.id

    def apply() -> None:
        live = store.canonical(profile_id)
        if live is not None:
            effect(live)

    state.accept(apply)
    if fault == "timeout":
        await anyio.sleep(state.faults.write_hold)  # the client stops waiting first
    return JSONResponse({"message": message}, status_code=202)


async def _target(request: Request, schema: str, key: str) -> tuple[Store, Profile, Mapping[str, Any]]:
    store_id, profile_id = path_store_id(request), path_profile_id(request)
    body = await json_object(request)
    unknown = set(body) - {key}
    if unknown:
        raise BadRequest(f"{schema} has unknown properties: {', '.join(sorted(unknown))}")
    _batch(body, key)  # checked before the store and profile, as every body is
    store = owned_store(request, store_id)
    return store, live_profile(request, store, profile_id, write=True), body


def _batch(body: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    items = body.get(key)
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH:
        raise BadRequest(f"{key} is required: an array of 1 to {MAX_BATCH} objects")
    if not all(isinstance(item, Mapping) for item in items):
        raise BadRequest(f"{key} must hold objects")
    return items


def _content(item: Mapping[str, Any], index: int) -> str:
    value = item.get("content")
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_CONTENT:
        raise BadRequest(f"[{index}].content is required: a string of 1 to {MAX_CONTENT} characters")
    return value


def _source(item: Mapping[str, Any], index: int, *, required: bool) -> str:
    value = item.get("source")
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not SOURCE.fullmatch(value):
        raise BadRequest(f"[{index}].source must match {SOURCE.pattern}")
    return value


def _occurred(item: Mapping[str, Any], index: int) -> datetime:
    return read_timestamp(
        item.get("occurredAt"), f"[{index}].occurredAt", BadRequest, "is required: an RFC 3339 date-time"
    )


def _conversation_ids(item: Mapping[str, Any], index: int) -> list[str]:
    ids = item.get("conversationIds", [])
    if not isinstance(ids, list) or len(ids) > MAX_CONVERSATION_IDS:
        raise BadRequest(f"[{index}].conversationIds must be an array of at most {MAX_CONVERSATION_IDS}")
    for value in ids:
        if not isinstance(value, str) or not CONVERSATION_ID.fullmatch(value):
            raise BadRequest(f"[{index}].conversationIds items must match {CONVERSATION_ID.pattern}")
    return ids


def _trait_value(value: object) -> bool:
    scalar = (str, int, float, bool)
    if value is None or isinstance(value, scalar):
        return True
    return isinstance(value, list) and all(isinstance(item, scalar) for item in value)
