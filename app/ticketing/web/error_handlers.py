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
# How long a client should wait after a 503 before it tries again.
UNAVAILABLE_RETRY_AFTER_SECONDS = 1

# Redis or PostgreSQL is away, restarting, failing over or refusing connections for now: the
# request may succeed when retried, so it is a 503, never a 500.
DEPENDENCY_ERRORS: tuple[type[BaseException], ...] = (
    RedisError,  # connection, timeout, cluster-down, busy-loading, read-only replica
    RedisClusterException,  # not a RedisError: e.g. no cluster node reachable
    OSError,  # refused, reset, timed out (TimeoutError is an OSError)
    asyncpg.InterfaceError,  # e.g. the connection was closed under the query
    asyncpg.InternalClientError,  # e.g. a protocol state broken by a dropped connection
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08
    asyncpg.exceptions.OperatorInterventionError,  # class 57: starting up, in recovery, shutting
    asyncpg.exceptions.InsufficientResourcesError,  # class 53: too many connections, disk full
    asyncpg.exceptions.ReadOnlySQLTransactionError,  # a write reached a standby mid-failover
)


def unavailable(error: BaseException, where: str) -> ApiError:
    """The 503 a dependency error becomes, logged once with where it happened."""
    log.warning("backend unavailable", extra={"path": where, "error": repr(error)})
    return ApiError(
        503,
        "unavailable",
        "a backing store is unreachable; retry shortly",
        UNAVAILABLE_RETRY_AFTER_SECONDS,
    )


def error_json(error: ApiError) -> JsonResponse:
    """The JSON error of an ApiError, with `Retry-After` when retrying later may succeed."""
    response = error_response(error.status, error.code, error.detail)
    if error.retry_after is not None:
        response.raw_headers.append((b"retry-after", str(error.retry_after).encode()))
    return response


async def api_error(request: Request, error: Exception) -> JsonResponse:
    if not isinstance(error, ApiError):
        raise TypeError(f"api_error handles ApiError, got {error!r}")
    return error_json(error)


async def http_error(request: Request, error: Exception) -> JsonResponse:
    if not isinstance(error, HTTPException):
        raise TypeError(f"http_error handles HTTPException, got {error!r}")
    code = HTTP_ERROR_CODES.get(error.status_code, "http_error")
    return error_response(error.status_code, code, str(error.detail))


async def backend_unavailable(request: Request, error: Exception) -> JsonResponse:
    return error_json(unavailable(error, request.url.path))


async def unexpected_error(request: Request, error: Exception) -> JsonResponse:
    log.exception("unexpected error", extra={"path": request.url.path}, exc_info=error)
    return error_response(500, "internal_error", "unexpected server error")


EXCEPTION_HANDLERS = {
    ApiError: api_error,
    HTTPException: http_error,
    **dict.fromkeys(DEPENDENCY_ERRORS, backend_unavailable),
    Exception: unexpected_error,
}


async def error_response_for(request: Request, error: Exception) -> JsonResponse:
    """The most specific handler's answer, as Starlette picks it (by the exception's MRO)."""
    handler = next(
        EXCEPTION_HANDLERS[cls] for cls in type(error).__mro__ if cls in EXCEPTION_HANDLERS
    )
    return await handler(request, error)
