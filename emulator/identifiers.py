"""The five Identifiers operations (spec tag ``Identifiers``, notes §3-§4).

Writes answer 202 with the spec's ``{message}`` body. CreateProfileIdentifier goes through
:func:`emulator.writes.accepted` (``write_delay``, scripted write faults); the patch and the
delete take effect at once.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from .bodies import json_object
from .context import (
    live_profile,
    owned_store,
    path_id_type,
    path_profile_id,
    path_store_id,
    state_of,
    string_fields,
)
from .errors import ApiError, BadRequest, NotFound
from .normalization import InvalidValue
from .resolution import IdentifierConfig
from .store import Profile, Store, ValueConflict, ValueNotFound
from .writes import accepted


async def list_identifiers(request: Request) -> JSONResponse:
    """ListProfileIdentifiers: every configured type holding values, in settings order."""
    store_id, profile_id = path_store_id(request), path_profile_id(request)
    store = owned_store(request, store_id)
    profile = live_profile(request, store, profile_id, write=False)
    sets = [
        {"idType": config.id_type, "values": profile.values(config.id_type)}
        for config in store.settings.identifier_configs
        if profile.values(config.id_type)
    ]
    return JSONResponse({"identifiers": sets})


async def fetch_identifier(request: Request) -> JSONResponse:
    """FetchProfileIdentifier: the values of one type, oldest first."""
    store_id, profile_id = path_store_id(request), path_profile_id(request)
    id_type = path_id_type(request)
    store = owned_store(request, store_id)
    profile = live_profile(request, store, profile_id, write=False)
    _path_config(request, store, id_type)
    values = profile.values(id_type)
    if not values and state_of(request).config.empty_identifier == "404":
        raise NotFound(f"Profile {profile_id} has no {id_type} identifier", product_code=520014)
    return JSONResponse({"idType": id_type, "values": values})


async def create_identifier(request: Request) -> JSONResponse:
    """CreateProfileIdentifier: add a value (normalized; may merge profiles)."""
    store_id, profile_id = path_store_id(request), path_profile_id(request)
    body = string_fields(await json_object(request), "Identifier", {"idType": "idType", "value": "value"})
    store = owned_store(request, store_id)
    profile = live_profile(request, store, profile_id, write=True)
    config = _body_config(store, body["idType"])
    try:
        store.normalize(config.id_type, body["value"])  # a bad value is refused before the 202
    except InvalidValue as error:
        raise BadRequest(f"Invalid {body['idType']} value: {error}") from None

    def effect(live: Profile) -> None:
        store.add_value(live, config.id_type, body["value"])

    return await accepted(
        request, "CreateProfileIdentifier", store, profile, effect, "Identifier accepted for processing."
    )


async def patch_identifier(request: Request) -> JSONResponse:
    """PatchProfileIdentifier: replace ``oldValue`` with ``newValue`` in place.

    ``oldValue`` is normalized before matching too, so callers may pass raw input (notes §8).
    404 if it is not stored; 409 (the one operation that declares it) if ``newValue`` is
    already stored on the profile under another entry.
    """
    store_id, profile_id = path_store_id(request), path_profile_id(request)
    id_type = path_id_type(request)
    body = string_fields(
        await json_object(request),
        "IdentifierUpdate",
        {"idType": "idType", "oldValue": "value", "newValue": "value"},
    )
    if body["idType"] != id_type:
        raise BadRequest(f"IdentifierUpdate.idType {body['idType']!r} differs from the path's")
    store = owned_store(request, store_id)
    profile = live_profile(request, store, profile_id, write=True)
    _path_config(request, store, id_type)
    try:
        store.replace_value(profile, id_type, body["oldValue"], body["newValue"])
    except InvalidValue as error:
        raise BadRequest(f"Invalid {id_type} value: {error}") from None
    except ValueNotFound:
        raise NotFound(
            f"Profile {profile_id} holds no {id_type} value {body['oldValue']!r}",
            product_code=520014,
        ) from None
    except ValueConflict:
        raise ApiError(
            409, f"Profile {profile_id} already holds {id_type} value {body['newValue']!r}"
        ) from None
    return JSONResponse({"message": "Identifier update accepted."}, status_code=202)


async def delete_identifier(request: Request) -> JSONResponse:
    """DeleteProfileIdentifier: one value chosen by ``limitPolicy``, or all with ``removeAll``.
    Nothing stored for the type: 404 (error 520017, "Identifier not found for deletion")."""
    store_id, profile_id = path_store_id(request), path_profile_id(request)
    id_type = path_id_type(request)
    remove_all = _boolean_query(request, "removeAll")
    store = owned_store(request, store_id)
    profile = live_profile(request, store, profile_id, write=True)
    _path_config(request, store, id_type)
    if store.remove_value(profile, id_type, remove_all=remove_all) == 0:
        raise NotFound(f"Profile {profile_id} has no {id_type} value to remove", product_code=520017)
    return JSONResponse({"message": "Identifier removal accepted."}, status_code=202)


def _path_config(request: Request, store: Store, id_type: str) -> IdentifierConfig:
    config = store.settings.config(id_type)
    if config is None:
        message = f"Identifier type {id_type!r} is not configured on memory store {store.id}"
        if state_of(request).config.unconfigured_id_type == "400":
            raise BadRequest(message)
        raise NotFound(message)
    return config


def _body_config(store: Store, id_type: str) -> IdentifierConfig:
    config = store.settings.config(id_type)
    if config is None:
        raise BadRequest(f"Identifier type {id_type!r} is not configured on memory store {store.id}")
    return config


def _boolean_query(request: Request, name: str) -> bool:
    raw = request.query_params.get(name)
    if raw is None:
        return False
    if raw.lower() not in ("true", "false"):
        raise BadRequest(f"Query parameter {name} must be true or false")
    return raw.lower() == "true"
