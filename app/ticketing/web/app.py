"""The Starlette application: routes, latency metrics and background tasks (errors:
error_handlers.py).
"""

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any, cast

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.types import ASGIApp, ExceptionHandler, Message, Receive, Scope, Send

from ticketing import metrics
from ticketing.admission import run_admission_loop
from ticketing.backends import Backends, open_backends
from ticketing.config import Settings
from ticketing.database import create_pool, migrate
from ticketing.updates import UpdateHub
from ticketing.web import pages, routes_admin, routes_holds, routes_ops, routes_queue, websockets
from ticketing.web.error_handlers import EXCEPTION_HANDLERS
from ticketing.web.fast_routes import FastRoutes

log = logging.getLogger("ticketing.app")

BACKGROUND_STOP_SECONDS = 3.0
# Allocations before a young collection, young collections before a middle one, middle before a
# full one.
GC_THRESHOLDS = (10_000, 20, 100)


class LatencyMiddleware:
    """Records each HTTP request's latency by route template (not raw path: bounded labels)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            metrics.observe_request(scope["method"], route, status, time.perf_counter() - started)


class TicketingApp(Starlette):
    """Starlette, with the hot routes answered ahead of its middleware stack (web/fast_routes.py).
    What the lifespan opens is kept in plain attributes, not `app.state`: a State attribute lookup
    costs ~0.3 us, a tenth of a position read's own work."""

    backends: Backends
    hub: UpdateHub
    admin_token: str

    def build_middleware_stack(self) -> ASGIApp:
        return FastRoutes(super().build_middleware_stack(), routes_queue.hot_routes)


def create_app(settings: Settings | None = None) -> TicketingApp:
    settings = settings or Settings.from_env()

    @contextlib.asynccontextmanager
    async def lifespan(app: TicketingApp) -> AsyncIterator[None]:
        pool = await create_pool(settings.database_url)
        applied = await migrate(pool)
        if applied:
            log.info("migrations applied", extra={"versions": applied})
        backends = open_backends(settings, pool)
        hub = UpdateHub(backends)
        app.backends, app.hub, app.admin_token = backends, hub, settings.admin_token
        stopping = asyncio.Event()
        jobs = (
            run_admission_loop(backends, stopping),
            hub.run_listener(stopping),
            hub.run_flusher(stopping),
        )
        tasks = [asyncio.create_task(job) for job in jobs]
        # What start-up made (modules, the app, pools) lives as long as the process: frozen, no
        # collection walks it again. Collections are also rarer than CPython's default: most of a
        # request's objects die before one, and the objects of thousands of sockets are not walked
        # again at every burst (a push to 5,000 sockets: 40 -> 30 us per socket).
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)
        try:
            yield
        finally:
            stopping.set()
            _, pending = await asyncio.wait(tasks, timeout=BACKGROUND_STOP_SECONDS)
            for task in pending:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await backends.close_redis()
            await pool.close()

    return TicketingApp(
        routes=[
            *routes_ops.routes,
            *routes_admin.routes,
            *routes_queue.routes,
            *routes_holds.routes,
            *websockets.routes,
            *pages.routes,
        ],
        lifespan=lifespan,
        middleware=[Middleware(LatencyMiddleware)],
        # the handlers answer with an ASGI JsonResponse, which Starlette awaits like a Response
        exception_handlers=cast(Mapping[Any, ExceptionHandler], EXCEPTION_HANDLERS),
    )
