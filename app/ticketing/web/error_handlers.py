"""How each exception becomes the API's JSON error: one table for Starlette and the fast routes."""

import logging

import asyncpg
from redis.exceptions import RedisClusterException, RedisError
from starlette.exceptions import HTTPException
from starlette.requests import Request

from ticketing.errors import ApiError
from ticketing.web.responses import JsonResponse, error_response

log = logging.getLogger("ticketing.app")

HTTP_ERROR_CODES = {404: "not_found", 405: "method_not_allowed"}


async def api_error(request: Request, error: Exception) -> JsonResponse:
    if not isinstance(error, ApiError):
        raise TypeError(f"api_error handles ApiError, got {error!r}")
    return error_response(error.status, error.code, error.detail)


async def http_error(request: Request, error: Exception) -> JsonResponse:
    if not isinstance(error, HTTPException):
        raise TypeError(f"http_error handles HTTPException, got {error!r}")
    code = HTTP_ERROR_CODES.get(error.status_code, "http_error")
    return error_response(error.status_code, code, str(error.detail))


async def backend_unavailable(request: Request, error: Exception) -> JsonResponse:
    log.warning("backend unavailable", extra={"path": request.url.path, "error": repr(error)})
    return error_response(503, "unavailable", "a backing store is unreachable; retry shortly")


async def unexpected_error(request: Request, error: Exception) -> JsonResponse:
    log.exception("unexpected error", extra={"path": request.url.path}, exc_info=error)
    return error_response(500, "internal_error", "unexpected server error")


EXCEPTION_HANDLERS = {
    ApiError: api_error,
    HTTPException: http_error,
    RedisError: backend_unavailable,
    RedisClusterException: backend_unavailable,  # not a RedisError: e.g. no cluster node reachable
    OSError: backend_unavailable,
    asyncpg.InterfaceError: backend_unavailable,
    asyncpg.PostgresConnectionError: backend_unavailable,
    # A hot standby (the dr region before promotion) or a writer fenced for a switchover.
    asyncpg.ReadOnlySQLTransactionError: backend_unavailable,
    Exception: unexpected_error,
}


async def error_response_for(request: Request, error: Exception) -> JsonResponse:
    """The most specific handler's answer, as Starlette picks it (by the exception's MRO)."""
    handler = next(
        EXCEPTION_HANDLERS[cls] for cls in type(error).__mro__ if cls in EXCEPTION_HANDLERS
    )
    return await handler(request, error)
