"""Admin routes: create or update an event, pause and resume its admissions, close it."""

import hmac
import logging

from starlette.requests import Request
from starlette.routing import Route

from ticketing.config import EventSpec
from ticketing.errors import ApiError
from ticketing.event_ends import close_event
from ticketing.events import read_event, set_paused, upsert_event
from ticketing.web.inputs import bearer_token, event_id_of, read_body
from ticketing.web.responses import JsonResponse, json_response

log = logging.getLogger("ticketing.admin")


def require_admin(request: Request) -> None:
    token = bearer_token(request)
    if not hmac.compare_digest(token.encode(), request.app.admin_token.encode()):
        raise ApiError(
            401, "unauthorized", "admin routes need Authorization: Bearer $TICKETING_ADMIN_TOKEN"
        )


async def put_event(request: Request) -> JsonResponse:
    require_admin(request)
    event_id = event_id_of(request)
    spec = await read_body(request, EventSpec)
    backends = request.app.backends
    created = await upsert_event(backends, event_id, spec)
    log.info("event saved", extra={"event_id": event_id, "new_event": created})
    return json_response(await read_event(backends, event_id), 201 if created else 200)


async def pause(request: Request) -> JsonResponse:
    return await _set_paused(request, True)


async def resume(request: Request) -> JsonResponse:
    return await _set_paused(request, False)


async def _set_paused(request: Request, paused: bool) -> JsonResponse:
    require_admin(request)
    event_id = event_id_of(request)
    backends = request.app.backends
    if not paused and backends.ends.ended(event_id):
        raise ApiError(409, "event_ended", f"event {event_id!r} has ended; it cannot resume")
    await set_paused(backends, event_id, paused)
    log.info("admissions paused" if paused else "admissions resumed", extra={"event_id": event_id})
    return json_response(await read_event(backends, event_id))


async def close(request: Request) -> JsonResponse:
    require_admin(request)
    event_id = event_id_of(request)
    backends = request.app.backends
    await close_event(backends, event_id)
    log.info("event closed", extra={"event_id": event_id})
    return json_response(await read_event(backends, event_id))


routes = [
    Route("/api/v1/events/{event_id}", put_event, methods=["PUT"]),
    Route("/api/v1/events/{event_id}/pause", pause, methods=["POST"]),
    Route("/api/v1/events/{event_id}/resume", resume, methods=["POST"]),
    Route("/api/v1/events/{event_id}/close", close, methods=["POST"]),
]
