"""One route per path, dispatching on the method, so a 405 can say everything the path serves.

Starlette's router, given several routes for one path (one per method), answers a wrong method
with the ``Allow`` of the first route it tried (``GET, HEAD`` on a path that also serves POST and
DELETE), and lets a literal segment's wrong method fall through to a template route
(``GET …/Profiles/Lookup`` reached FetchProfile and answered 400 "Invalid profileId 'Lookup'").
Here each path is one :class:`~starlette.routing.Route` that accepts every method: it runs the
handler for the method or answers 405 with ``Allow`` listing all of them (RFC 9110 §15.5.6: a
405 "MUST generate an Allow header field"). ``HEAD`` is served wherever ``GET`` is, as
starlette does. Literal paths are declared before templates, so they are matched first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, request_response
from starlette.types import Receive, Scope, Send

from .errors import ApiError

Handler = Callable[[Request], Awaitable[Response]]
_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def resource(path: str, **handlers: Handler) -> Route:
    """A route for ``path`` whose handlers are given by method name: ``resource(p, GET=f)``."""
    # An ASGI object, not a function: starlette then leaves the route open to every method.
    return Route(path, _Resource(handlers))


class _Resource:
    def __init__(self, handlers: dict[str, Handler]) -> None:
        self.table = {method.upper(): handler for method, handler in handlers.items()}
        if "GET" in self.table:
            self.table.setdefault("HEAD", self.table["GET"])
        order = {method: index for index, method in enumerate(_ORDER)}
        self.allowed = ", ".join(sorted(self.table, key=lambda m: order.get(m, len(order))))
        self.app = request_response(self.dispatch)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    async def dispatch(self, request: Request) -> Response:
        handler = self.table.get(request.method)
        if handler is None:
            raise ApiError(
                405,
                f"Method {request.method} is not allowed here; allowed: {self.allowed}",
                headers={"Allow": self.allowed},
            )
        return await handler(request)
