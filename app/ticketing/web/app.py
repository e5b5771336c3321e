"""The Starlette application: routes, error handling, latency metrics and background tasks."""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator

import asyncpg
from redis.exceptions import RedisError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ticketing import metrics
from ticketing.admission import run_admission_loop
from ticketing.backends import open_backends
from ticketing.config import Settings
from ticketing.database import create_pool, migrate
from ticketing.errors import ApiError
from ticketing.updates import UpdateHub
from ticketing.web import pages, routes_admin, routes_holds, routes_ops, routes_queue, websockets
from ticketing.web.responses import error_response

log = logging.getLogger("ticketing.app")

BACKGROUND_STOP_SECONDS = 3.0
HTTP_ERROR_CODES = {404: "not_found", 405: "method_not_allowed"}


async def api_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, ApiError)
    return error_response(error.status, error.code, error.detail)


async def http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    code = HTTP_ERROR_CODES.get(error.status_code, "http_error")
    return error_response(error.status_code, code, str(error.detail))


async def backend_unavailable(request: Request, error: Exception) -> Response:
    log.warning("backend unavailable", extra={"path": request.url.path, "error": repr(error)})
    return error_response(503, "unavailable", "a backing store is unreachable; retry shortly")


async def unexpected_error(request: Request, error: Exception) -> Response:
    log.exception("unexpected error", extra={"path": request.url.path}, exc_info=error)
    return error_response(500, "internal_error", "unexpected server error")


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
            metrics.REQUEST_SECONDS.labels(scope["method"], route, str(status)).observe(time.perf_counter() - started)


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        pool = await create_pool(settings.database_url)
        applied = await migrate(pool)
        if applied:
            log.info("migrations applied", extra={"versions": applied})
        backends = open_backends(settings.redis_url, pool, settings.secret)
        hub = UpdateHub(backends)
        app.state.backends, app.state.hub, app.state.admin_token = backends, hub, settings.admin_token
        stopping = asyncio.Event()
        jobs = (run_admission_loop(backends, stopping), hub.run_listener(stopping), hub.run_flusher(stopping))
        tasks = [asyncio.create_task(job) for job in jobs]
        try:
            yield
        finally:
            stopping.set()
            _, pending = await asyncio.wait(tasks, timeout=BACKGROUND_STOP_SECONDS)
            for task in pending:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await backends.redis.aclose()
            await pool.close()

    return Starlette(
        routes=[*routes_ops.routes, *routes_admin.routes, *routes_queue.routes, *routes_holds.routes,
                *websockets.routes, *pages.routes],
        lifespan=lifespan,
        middleware=[Middleware(LatencyMiddleware)],
        exception_handlers={
            ApiError: api_error,
            HTTPException: http_error,
            RedisError: backend_unavailable,
            OSError: backend_unavailable,
            asyncpg.InterfaceError: backend_unavailable,
            asyncpg.PostgresConnectionError: backend_unavailable,
            Exception: unexpected_error,
        },
    )
