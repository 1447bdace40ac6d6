"""Profile reads: CreateProfilesLookup (``POST …/Profiles/Lookup``) and FetchProfile."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from .bodies import json_object
from .context import answering_profile, owned_store, path_profile_id, path_store_id, string_fields
from .errors import BadRequest
from .normalization import InvalidValue


async def lookup_profiles(request: Request) -> JSONResponse:
    """Find the canonical profiles holding a value, normalized first (notes §6).

    No match is ``200`` with ``profiles: []`` (a search found nothing; the spec leaves it open).
    Several profiles match only for a type with ``enforceUnique: false``.
    """
    store_id = path_store_id(request)
    body = string_fields(await json_object(request), "Identifier", {"idType": "idType", "value": "value"})
    store = owned_store(request, store_id)
    config = store.settings.config(body["idType"])
    if config is None:
        raise BadRequest(f"Identifier type {body['idType']!r} is not configured on memory store {store.id}")
    try:
        value = store.normalize(config.id_type, body["value"])
    except InvalidValue as error:
        raise BadRequest(f"Invalid {config.id_type} value: {error}") from None
    profiles = [p.id for p in store.holders(config.id_type, value)]
    return JSONResponse({"normalizedValue": value, "profiles": profiles})


async def fetch_profile(request: Request) -> JSONResponse:
    """FetchProfile: id, createdAt and traits, optionally only the ``traitGroups`` named.

    ``traitGroups`` (TraitGroupsQueryParam, 1..256 characters) is a comma-separated allow list:
    names are trimmed, empty ones ignored, and names the profile has no group for simply match
    nothing (a filter, not a lookup: no 404). ``id`` is the canonical profile's.
    """
    store_id, profile_id = path_store_id(request), path_profile_id(request)
    groups_raw = request.query_params.get("traitGroups")
    if groups_raw is not None and not 1 <= len(groups_raw) <= 256:
        raise BadRequest("traitGroups must be 1 to 256 characters")
    store = owned_store(request, store_id)
    profile, headers = answering_profile(request, store, profile_id, write=False)
    traits = profile.traits
    if groups_raw is not None:
        wanted = {name.strip() for name in groups_raw.split(",")} - {""}
        traits = {name: group for name, group in traits.items() if name in wanted}
    body = {"id": profile.id, "createdAt": profile.created_at, "traits": traits}
    return JSONResponse(body, headers=headers)
