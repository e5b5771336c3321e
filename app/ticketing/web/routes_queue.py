"""Public event and queue routes: read an event, join its queue, ask for one's place."""

from starlette.requests import Request
from starlette.routing import Route

from ticketing import metrics, queue
from ticketing.events import read_event
from ticketing.web.inputs import (
    CLIENT_COOKIE,
    Connection,
    bearer_token,
    client_address_of,
    client_id_of,
    event_id_of,
    verified,
)
from ticketing.web.responses import JsonResponse, json_response

CLIENT_COOKIE_MAX_AGE = 7 * 24 * 3600


async def get_event(request: Request) -> JsonResponse:
    return json_response(await read_event(request.app.backends, event_id_of(request)))


async def join_queue(request: Connection) -> JsonResponse:
    event_id = event_id_of(request)
    client_id, issued = client_id_of(request)
    backends = request.app.backends
    backends.ends.refuse_if_ended(event_id)
    joins = backends.limits.joins
    if joins.per_second:  # the address costs a header scan: not when the limit is off
        joins.check(client_address_of(request))
    created, body = await queue.join(backends, event_id, client_id)
    metrics.QUEUE_JOINS.inc(event_id, "new" if created else "again")
    response = json_response(body, 201 if created else 200)
    if issued:
        response.set_cookie(CLIENT_COOKIE, client_id, CLIENT_COOKIE_MAX_AGE)
    return response


async def my_place(request: Connection) -> JsonResponse:
    event_id = event_id_of(request)
    claims = verified(request, bearer_token(request), "ticket", event_id)
    return json_response(
        await queue.status(
            request.app.backends, event_id, claims.client_id, claims.number, claims.generation
        )
    )


# Also served ahead of Starlette's middleware and router (web/fast_routes.py); listed here too for
# 405s and HEAD.
hot_routes = [
    Route("/api/v1/events/{event_id}/queue", join_queue, methods=["POST"]),
    Route("/api/v1/events/{event_id}/queue/me", my_place, methods=["GET"]),
]
routes = [Route("/api/v1/events/{event_id}", get_event, methods=["GET"]), *hot_routes]
