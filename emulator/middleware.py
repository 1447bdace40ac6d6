"""What wraps the routes: the gateway (authentication, then faults) and the crash guard.

The crash guard is the outermost layer of the emulator's own. Any exception a handler did not
turn into an answer becomes a 500 in Twilio's JSON error shape (``InternalServerError``), and
the exception stops there. Starlette's own last resort would answer ``text/plain`` and re-raise,
and uvicorn, seeing an exception after the response started, closes the connection; a client
under test would then see a transport error where the spec promises a 500 it can retry. The
traceback is logged (logger ``emulator``) for whoever debugs the emulator.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .admin import ADMIN_PREFIX
from .errors import WWW_AUTHENTICATE, ApiError
from .state import EmulatorState

logger = logging.getLogger("emulator")


class _HttpLayer:
    """A layer around the emulator's app: HTTP requests go through :meth:`http`, anything
    else (lifespan) straight to the app."""

    def __init__(self, app: ASGIApp, state: EmulatorState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.http(scope, receive, send)

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


class GatewayMiddleware(_HttpLayer):
    """What happens before routing: authentication (401), then faults (never on the admin
    endpoint). Authenticating first means only authenticated requests consume fault counters
    and rate-limit tokens, as a per-account limit would."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        account_sid = self.state.authenticator.account_for(request.headers.get("authorization"))
        style = self.state.config.error_codes
        if account_sid is None:
            error = ApiError(401, headers={"WWW-Authenticate": WWW_AUTHENTICATE})
            await error.to_response(style)(scope, receive, send)
            return
        scope.setdefault("state", {})["account_sid"] = account_sid
        self.state.settle()  # accepted writes that are due become visible before this request
        if not request.url.path.startswith(f"{ADMIN_PREFIX}/"):
            fault = await self.state.injector.before_request()
            if fault is not None:
                await fault.to_response(style)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class CrashGuard(_HttpLayer):
    """Unexpected exceptions become a Twilio-shaped 500 and go no further (see the module)."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            logger.exception("emulator: unexpected failure on %s %s", scope["method"], scope["path"])
            if started:
                raise  # half an answer is out: only closing the connection is honest now
            await ApiError(500).to_response(self.state.config.error_codes)(scope, receive, send)
