"""The hottest routes (queue entry, position reads), answered straight from the ASGI scope ahead of
Starlette's middleware and router. Their endpoints are the ones Starlette also routes to (for HEAD
and 405s); they read the request through `ScopeConnection`, which takes from the scope only what
they use. Errors go through the same handler table and latency into the same histogram, so answers
and metrics are the same; anything else goes on to Starlette."""

import time
from collections.abc import Awaitable, Callable

from starlette._utils import get_route_path  # where starlette.routing takes it from
from starlette.requests import Request, cookie_parser
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ticketing import metrics
from ticketing.web.error_handlers import error_response_for
from ticketing.web.inputs import Connection
from ticketing.web.responses import JsonResponse

Endpoint = Callable[[Connection], Awaitable[JsonResponse]]
EVENTS_PREFIX = "/api/v1/events/"
EVENT_ROUTE_PREFIX = EVENTS_PREFIX + "{event_id}/"


class ScopeHeaders:
    """`get` of the first header of a name, as Starlette's Headers, without decoding the others."""

    __slots__ = ("raw",)

    def __init__(self, raw: list[tuple[bytes, bytes]]) -> None:
        self.raw = raw

    def get(self, name: str, default: str | None = None) -> str | None:
        wanted = name.encode("latin-1")
        for key, value in self.raw:
            if key == wanted:
                return value.decode("latin-1")
        return default


class ScopeConnection:
    """The app, the path's event id, the peer's (host, port), headers and cookies."""

    __slots__ = ("app", "path_params", "client", "headers")

    def __init__(self, scope: Scope, event_id: str) -> None:
        self.app = scope["app"]
        self.path_params = {"event_id": event_id}
        self.client = scope.get("client")
        self.headers = ScopeHeaders(scope["headers"])

    @property
    def cookies(self) -> dict[str, str]:
        return cookie_parser(self.headers.get("cookie") or "")


class FastRoutes:
    """Serves `routes` (each under `/api/v1/events/{event_id}/`), matched by a dictionary lookup."""

    def __init__(self, app: ASGIApp, routes: list[Route]) -> None:
        self.app = app
        self.routes: dict[tuple[str, str], tuple[str, Endpoint]] = {}
        for route in routes:
            if not route.path.startswith(EVENT_ROUTE_PREFIX) or route.methods is None:
                raise ValueError(f"not an event route with methods: {route.path}")
            for method in route.methods - {"HEAD"}:
                self.routes[(method, route.path.removeprefix(EVENT_ROUTE_PREFIX))] = (
                    route.path,
                    route.endpoint,
                )

    def _match(self, scope: Scope) -> tuple[str, Endpoint, str] | None:
        path = get_route_path(scope)
        if not path.startswith(EVENTS_PREFIX):
            return None
        event_id, _, rest = path[len(EVENTS_PREFIX) :].partition("/")
        found = self.routes.get((scope["method"], rest))
        return (*found, event_id) if found and event_id else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        matched = self._match(scope) if scope["type"] == "http" else None
        if matched is None:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        template, endpoint, event_id = matched
        try:
            response = await endpoint(ScopeConnection(scope, event_id))
        except Exception as error:
            response = await error_response_for(Request(scope, receive), error)
        try:
            await response(scope, receive, send)
        finally:
            metrics.observe_request(
                scope["method"], template, response.status_code, time.perf_counter() - started
            )
