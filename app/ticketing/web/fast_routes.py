"""The hottest routes (queue entry, position reads) served straight from their endpoints, ahead of
Starlette's whole middleware stack: matching is each route's own `matches`, errors go through the
same handler table and latency into the same histogram, so answers and metrics are the same;
anything else goes on to Starlette."""

import time

from starlette.requests import Request
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ticketing import metrics
from ticketing.web.error_handlers import error_response_for


class FastRoutes:
    def __init__(self, app: ASGIApp, routes: list[Route]) -> None:
        self.app, self.routes = app, routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            started = time.perf_counter()
            for route in self.routes:
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    scope.update(child_scope)
                    scope["route"] = route
                    request = Request(scope, receive)
                    try:
                        response = await route.endpoint(request)
                    except Exception as error:
                        response = await error_response_for(request, error)
                    try:
                        await response(scope, receive, send)
                    finally:
                        metrics.observe_request(scope["method"], route.path, response.status_code,
                                                time.perf_counter() - started)
                    return
        await self.app(scope, receive, send)
