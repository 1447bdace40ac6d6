"""What every handler needs: the state, checked path parameters, the store and profile in the
path (with their 404/403/301/308 answers), body fields, and redirect URLs (JSON bodies are
read by :mod:`emulator.bodies`).

Order of checks, the same for every operation: authentication (middleware), path parameter
patterns (400), body schema (400), store exists (404) and belongs to the caller's account
(403), profile exists (404) and is not merged (301 for reads, 308 for writes), then the
operation's own rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from starlette.requests import Request

from .errors import ApiError, BadRequest, Moved, NotFound
from .ids import ID_TYPE, PROFILE_ID, STORE_ID
from .state import EmulatorState
from .store import Profile, Store

MAX_VALUE = 255  # Identifier.value / IdentifierUpdate.*Value maxLength


def state_of(request: Request) -> EmulatorState:
    state: EmulatorState = request.app.state.emulator
    return state


def path_store_id(request: Request) -> str:
    store_id: str = request.path_params["storeId"]
    if not STORE_ID.fullmatch(store_id):
        raise BadRequest(f"Invalid storeId {store_id!r}: must match {STORE_ID.pattern}", product_code=520049)
    return store_id


def path_profile_id(request: Request) -> str:
    profile_id: str = request.path_params["profileId"]
    if not PROFILE_ID.fullmatch(profile_id):
        raise BadRequest(f"Invalid profileId {profile_id!r}: must match {PROFILE_ID.pattern}")
    return profile_id


def path_id_type(request: Request) -> str:
    id_type: str = request.path_params["idType"]
    if not ID_TYPE.fullmatch(id_type):
        raise BadRequest(f"Invalid idType {id_type!r}: must match {ID_TYPE.pattern}")
    return id_type


def owned_store(request: Request, store_id: str) -> Store:
    store = state_of(request).stores.get(store_id)
    if store is None:
        raise NotFound(f"Memory store {store_id} was not found", product_code=520041)
    if store.account_sid != request.state.account_sid:
        raise ApiError(403, f"Permission to access memory store {store_id} denied")
    return store


def live_profile(request: Request, store: Store, profile_id: str, *, write: bool) -> Profile:
    """The profile named in the path; a merged id answers 301 (reads) or 308 (writes)."""
    profile = _canonical(store, profile_id)
    if profile.id != profile_id:
        raise Moved(308 if write else 301, profile.id, moved_url(request, profile_id, profile.id))
    return profile


def answering_profile(
    request: Request, store: Store, profile_id: str, *, write: bool
) -> tuple[Profile, dict[str, str]]:
    """For the operations whose 200 declares ``Canonical-Profile-Id``: the profile to answer
    from and the headers to add. By default a merged id is redirected as everywhere else (so
    no header); with ``merged_answer="direct"`` the canonical profile answers and the header
    names it ("indicates that the requested profile is merged", components/headers)."""
    if state_of(request).config.merged_answer == "redirect":
        return live_profile(request, store, profile_id, write=write), {}
    profile = _canonical(store, profile_id)
    return profile, ({"Canonical-Profile-Id": profile.id} if profile.id != profile_id else {})


def _canonical(store: Store, profile_id: str) -> Profile:
    profile = store.canonical(profile_id)
    if profile is None:
        raise NotFound(f"Profile {profile_id} was not found", product_code=520009)
    return profile


def moved_url(request: Request, old_id: str, new_id: str) -> str:
    """Absolute URL on the request's own base URL, per the ``redirect_target`` switch."""
    base = str(request.base_url).rstrip("/")
    path = request.url.path
    marker = f"/Profiles/{old_id}"
    head, _, tail = path.partition(marker)
    if state_of(request).config.redirect_target == "profile-root":
        return f"{base}{head}/Profiles/{new_id}"
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{base}{head}/Profiles/{new_id}{tail}{query}"


def string_fields(
    body: Mapping[str, Any], schema: str, fields: Mapping[str, Literal["idType", "value"]]
) -> dict[str, str]:
    """Check a body against an identifier schema (``additionalProperties: false``, all the
    named fields required strings; ``idType`` 2..30 of ``[A-Za-z0-9_-]``, values ≤ 255)."""
    unknown = set(body) - set(fields)
    if unknown:
        raise BadRequest(f"{schema} has unknown properties: {', '.join(sorted(unknown))}")
    out = {}
    for name, kind in fields.items():
        value = body.get(name)
        if not isinstance(value, str):
            raise BadRequest(f"{schema}.{name} is required and must be a string")
        if kind == "idType" and not ID_TYPE.fullmatch(value):
            raise BadRequest(f"{schema}.{name} must match {ID_TYPE.pattern}")
        if kind == "value" and len(value) > MAX_VALUE:
            raise BadRequest(f"{schema}.{name} must be at most {MAX_VALUE} characters")
        out[name] = value
    return out
