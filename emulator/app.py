"""The ASGI application: routes, the authentication and fault middleware, error answers.

Route order matters once: the literal ``Profiles/Lookup`` is declared before
``Profiles/{profileId}`` (notes §2), although a profile id can never be ``Lookup``.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from . import control_plane, identifiers, memory_lists, profiles, recall
from .admin import ADMIN_PREFIX, faults_endpoint
from .config import EmulatorConfig
from .errors import WWW_AUTHENTICATE, ApiError, Moved
from .state import EmulatorState

_PROFILE = "/v1/Stores/{storeId}/Profiles/{profileId}"

ROUTES = [
    Route("/v1/Stores/{storeId}/Profiles/Lookup", profiles.lookup_profiles, methods=["POST"]),
    Route(_PROFILE, profiles.fetch_profile, methods=["GET"]),
    Route(f"{_PROFILE}/Recall", recall.recall_memories, methods=["POST"]),
    Route(f"{_PROFILE}/Observations", memory_lists.list_observations, methods=["GET"]),
    Route(f"{_PROFILE}/ConversationSummaries", memory_lists.list_summaries, methods=["GET"]),
    Route(f"{_PROFILE}/Identifiers", identifiers.list_identifiers, methods=["GET"]),
    Route(f"{_PROFILE}/Identifiers", identifiers.create_identifier, methods=["POST"]),
    Route(f"{_PROFILE}/Identifiers/{{idType}}", identifiers.fetch_identifier, methods=["GET"]),
    Route(f"{_PROFILE}/Identifiers/{{idType}}", identifiers.patch_identifier, methods=["PATCH"]),
    Route(f"{_PROFILE}/Identifiers/{{idType}}", identifiers.delete_identifier, methods=["DELETE"]),
    Route(
        "/v1/ControlPlane/Stores/{storeId}/IdentityResolutionSettings",
        control_plane.fetch_settings,
        methods=["GET"],
    ),
    Route(
        "/v1/ControlPlane/Stores/{storeId}/IdentityResolutionSettings",
        control_plane.update_settings,
        methods=["PUT"],
    ),
    Route("/v1/ControlPlane/Operations/{operationId}", control_plane.fetch_operation, methods=["GET"]),
    Route(f"{ADMIN_PREFIX}/faults", faults_endpoint, methods=["GET", "PUT", "PATCH"]),
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
    return app


class GatewayMiddleware:
    """What happens before routing: authentication (401), then faults (never on the admin
    endpoint). Authenticating first means only authenticated requests consume fault counters
    and rate-limit tokens, as a per-account limit would."""

    def __init__(self, app: ASGIApp, state: EmulatorState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        account_sid = self.state.authenticator.account_for(request.headers.get("authorization"))
        style = self.state.config.error_codes
        if account_sid is None:
            error = ApiError(401, headers={"WWW-Authenticate": WWW_AUTHENTICATE})
            await error.to_response(style)(scope, receive, send)
            return
        scope.setdefault("state", {})["account_sid"] = account_sid
        if not request.url.path.startswith(f"{ADMIN_PREFIX}/"):
            fault = await self.state.injector.before_request()
            if fault is not None:
                await fault.to_response(style)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    state: EmulatorState = request.app.state.emulator
    return exc.to_response(state.config.error_codes)


def _moved(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Moved)
    return exc.to_response()


def _http_exception(request: Request, exc: Exception) -> Response:
    # Unknown paths (404) and wrong methods (405), in Twilio's shape.
    assert isinstance(exc, HTTPException)
    state: EmulatorState = request.app.state.emulator
    return ApiError(exc.status_code, headers=exc.headers).to_response(state.config.error_codes)
