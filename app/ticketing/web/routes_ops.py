"""Health, readiness, Prometheus metrics and the API's OpenAPI document."""

import asyncio
import functools
from importlib import resources
from typing import Any

import yaml
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ticketing import metrics
from ticketing.web.responses import JsonResponse, error_response, json_response

READY_TIMEOUT_SECONDS = 2.0


async def healthz(request: Request) -> JsonResponse:
    return json_response({"status": "ok"})


async def readyz(request: Request) -> JsonResponse:
    backends = request.app.backends
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS):
            await backends.redis.ping()
            await backends.pool.fetchval("SELECT 1")
    except Exception as error:
        return error_response(
            503, "not_ready", f"Redis or PostgreSQL unreachable: {type(error).__name__}"
        )
    return json_response({"status": "ready"})


async def prometheus(request: Request) -> Response:
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)


@functools.cache
def openapi_document() -> dict[str, Any]:
    """The contract of record, `ticketing/openapi.yaml` (also at app/openapi.yaml)."""
    document: dict[str, Any] = yaml.safe_load(
        resources.files("ticketing").joinpath("openapi.yaml").read_text()
    )
    return document


async def openapi(request: Request) -> JsonResponse:
    return json_response(openapi_document())


routes = [
    Route("/healthz", healthz, methods=["GET"]),
    Route("/readyz", readyz, methods=["GET"]),
    Route("/metrics", prometheus, methods=["GET"]),
    Route("/api/v1/openapi.json", openapi, methods=["GET"]),
]
