"""The ASGI application: one route per path (:mod:`emulator.routing`), the middleware
(:mod:`emulator.middleware`), and the error answers.

Route order matters for the literal segments after ``Profiles/``: ``Lookup``, ``Imports`` and
``Bulk`` are declared before ``Profiles/{profileId}`` (notes §2), so every method on them reaches
their own resource (a GET on Lookup is a 405, not FetchProfile with an invalid id). Imports and
Bulk are not emulated: the methods the spec declares on them answer 404, as any path the emulator
does not serve, and the others 405 with the spec's ``Allow``.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from . import control_plane, identifiers, memory_lists, profiles, recall, writes
from .admin import ADMIN_PREFIX, faults_endpoint, writes_endpoint
from .config import EmulatorConfig
from .errors import ApiError, Moved, NotFound
from .middleware import CrashGuard, GatewayMiddleware
from .routing import resource
from .state import EmulatorState

_PROFILES = "/v1/Stores/{storeId}/Profiles"
_PROFILE = _PROFILES + "/{profileId}"


async def _not_emulated(request: Request) -> Response:
    raise NotFound(f"{request.method} {request.url.path} is not emulated")


ROUTES = [
    resource(f"{_PROFILES}/Lookup", POST=profiles.lookup_profiles),
    resource(f"{_PROFILES}/Imports", GET=_not_emulated, POST=_not_emulated),
    resource(f"{_PROFILES}/Imports/{{importId}}", GET=_not_emulated),
    resource(f"{_PROFILES}/Bulk", PUT=_not_emulated),
    resource(_PROFILE, GET=profiles.fetch_profile, PATCH=writes.patch_traits),
    resource(f"{_PROFILE}/Recall", POST=recall.recall_memories),
    resource(f"{_PROFILE}/Observations", GET=memory_lists.list_observations, POST=writes.create_observations),
    resource(
        f"{_PROFILE}/ConversationSummaries",
        GET=memory_lists.list_summaries,
        POST=writes.create_summaries,
    ),
    resource(
        f"{_PROFILE}/Identifiers",
        GET=identifiers.list_identifiers,
        POST=identifiers.create_identifier,
    ),
    resource(
        f"{_PROFILE}/Identifiers/{{idType}}",
        GET=identifiers.fetch_identifier,
        PATCH=identifiers.patch_identifier,
        DELETE=identifiers.delete_identifier,
    ),
    resource(
        "/v1/ControlPlane/Stores/{storeId}/IdentityResolutionSettings",
        GET=control_plane.fetch_settings,
        PUT=control_plane.update_settings,
    ),
    resource("/v1/ControlPlane/Operations/{operationId}", GET=control_plane.fetch_operation),
    resource(f"{ADMIN_PREFIX}/faults", GET=faults_endpoint, PUT=faults_endpoint, PATCH=faults_endpoint),
    resource(f"{ADMIN_PREFIX}/writes", GET=writes_endpoint),
]


def create_app(config: EmulatorConfig | None = None) -> Starlette:
    """A fresh emulator with its own data; its state is ``app.state.emulator``."""
    config = config or EmulatorConfig()
    state = EmulatorState.from_config(config)
    app = Starlette(
        routes=ROUTES,
        exception_handlers={
            ApiError: _api_error,
            Moved: _moved,
            HTTPException: _http_exception,
        },
    )
    # A trailing slash is a different (unknown) path, as on the real API; no 307 to guess.
    app.router.redirect_slashes = False
    app.state.emulator = state
    app.add_middleware(GatewayMiddleware, state=state)
    app.add_middleware(CrashGuard, state=state)  # added last: the outermost of ours
    return app


def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    state: EmulatorState = request.app.state.emulator
    return exc.to_response(state.config.error_codes)


def _moved(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Moved)
    return exc.to_response()


def _http_exception(request: Request, exc: Exception) -> Response:
    # Unknown paths (404), in Twilio's shape; wrong methods are answered by routing.resource.
    assert isinstance(exc, HTTPException)
    state: EmulatorState = request.app.state.emulator
    return ApiError(exc.status_code, headers=exc.headers).to_response(state.config.error_codes)
