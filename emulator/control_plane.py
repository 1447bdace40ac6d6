"""Control plane: Identity Resolution Settings (GET/PUT) and the operations a PUT starts.

``PUT`` honours ``If-Match`` (optimistic concurrency, ``IfMatchHeader``): a tag that does not
match the current ``ETag`` answers 412 (error 520043, "Resource version conflict"); no
``If-Match`` updates unconditionally, as the header is optional in the spec. A successful PUT
applies at once, bumps ``version`` by one, trims stored values to any lowered ``limit`` and
answers 202 with ``Operation-Id``, ``Location`` and ``Retry-After`` headers and
``{message, statusUrl}``; the operation it names is already ``COMPLETED``. Values stored under
an idType the new settings drop are kept but no longer served; values are not re-normalized.

The spec declares neither 401 nor 403 on control-plane operations; the emulator still
authenticates them (as Twilio does), so clients see both there.
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse

from .bodies import json_object
from .context import owned_store, path_store_id, state_of
from .errors import ApiError, BadRequest, NotFound
from .ids import new_ttid
from .resolution import SettingsInvalid, parse_settings
from .state import Operation

RETRY_AFTER_SECONDS = 1


async def fetch_settings(request: Request) -> JSONResponse:
    store = owned_store(request, path_store_id(request))
    return JSONResponse(store.settings.to_json(), headers={"ETag": store.settings.etag(store.id)})


async def update_settings(request: Request) -> JSONResponse:
    store_id = path_store_id(request)
    body = await json_object(request)
    store = owned_store(request, store_id)
    if_match = request.headers.get("if-match")
    if if_match is not None and not _matches(if_match, store.settings.etag(store.id)):
        raise ApiError(
            412,
            "The supplied If-Match ETag does not match the current resource version.",
            product_code=520043,
        )
    try:
        settings = parse_settings(body, version=store.settings.version + 1)
    except SettingsInvalid as error:
        raise BadRequest(f"Invalid identity resolution settings: {error}", product_code=520024) from None
    store.settings = settings
    for profile in store.profiles.values():
        store.apply_limits(profile)
    state = state_of(request)
    operation = Operation(
        id=new_ttid("proc_job"),
        store_id=store.id,
        created_at=_now(),
        result_path=request.url.path,
    )
    state.operations[operation.id] = operation
    status_url = _absolute(request, f"/v1/ControlPlane/Operations/{operation.id}")
    return JSONResponse(
        {"message": "Identity Resolution Settings accepted for processing.", "statusUrl": status_url},
        status_code=202,
        headers={
            "Operation-Id": operation.id,
            "Location": status_url,
            "Retry-After": str(RETRY_AFTER_SECONDS),
        },
    )


async def fetch_operation(request: Request) -> JSONResponse:
    operation_id: str = request.path_params["operationId"]
    if len(operation_id) > 512:
        raise BadRequest("operationId must be at most 512 characters", product_code=520051)
    operation = state_of(request).operations.get(operation_id)
    store = state_of(request).stores.get(operation.store_id) if operation else None
    # Another account's operation is reported as absent, not forbidden: ids are not secrets
    # we want to confirm.
    if operation is None or store is None or store.account_sid != request.state.account_sid:
        raise NotFound(f"Operation {operation_id} was not found", product_code=520052)
    return JSONResponse(
        {
            "operationId": operation.id,
            "status": "COMPLETED",
            "createdAt": operation.created_at,
            "completedAt": operation.created_at,
            "statusUrl": _absolute(request, request.url.path),
            "resultUrl": _absolute(request, operation.result_path),
        },
        headers={"Operation-Id": operation.id},
    )


def _matches(if_match: str, etag: str) -> bool:
    # RFC 9110 §13.1.1: "*" or a list of entity tags; compare opaque tags, quotes optional.
    def opaque(tag: str) -> str:
        tag = tag.strip()
        tag = tag.removeprefix("W/")
        return tag.strip('"')

    candidates = [opaque(t) for t in if_match.split(",")]
    return "*" in candidates or opaque(etag) in candidates


def _absolute(request: Request, path: str) -> str:
    return str(request.base_url).rstrip("/") + path


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
