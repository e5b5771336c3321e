"""Holds and bookings, for admitted clients (access token)."""

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ticketing import bookings, inventory
from ticketing.config import ID_PATTERN
from ticketing.tokens import Claims
from ticketing.web.inputs import (
    bearer_token,
    event_id_of,
    idempotency_key_of,
    optional_idempotency_key_of,
    read_body,
    resource_id_of,
    verified,
)
from ticketing.web.responses import JsonResponse, json_response

MAX_SEATS_PER_HOLD = 100


class HoldRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    slot_id: str = Field(pattern=ID_PATTERN)
    quantity: int = Field(ge=1, le=MAX_SEATS_PER_HOLD)


def _access(request: Request, event_id: str | None = None) -> Claims:
    return verified(request, bearer_token(request), "access", event_id)


async def create_hold(request: Request) -> JsonResponse:
    event_id = event_id_of(request)
    claims = _access(request, event_id)
    body = await read_body(request, HoldRequest)
    created, hold = await inventory.hold(
        request.app.backends,
        claims,
        body.slot_id,
        body.quantity,
        optional_idempotency_key_of(request),
    )
    return json_response(hold, 201 if created else 200)


async def confirm_hold(request: Request) -> JsonResponse:
    hold_id = resource_id_of(request, "hold_id", "hold_not_found")
    claims = _access(request)
    key = idempotency_key_of(request)
    return json_response(await bookings.confirm(request.app.backends, claims, hold_id, key), 201)


async def delete_hold(request: Request) -> Response:
    hold_id = resource_id_of(request, "hold_id", "hold_not_found")
    await inventory.release(request.app.backends, _access(request), hold_id)
    return Response(status_code=204)


async def get_booking(request: Request) -> JsonResponse:
    booking_id = resource_id_of(request, "booking_id", "booking_not_found")
    return json_response(
        await bookings.get_booking(request.app.backends, _access(request), booking_id)
    )


routes = [
    Route("/api/v1/events/{event_id}/holds", create_hold, methods=["POST"]),
    Route("/api/v1/holds/{hold_id}/confirm", confirm_hold, methods=["POST"]),
    Route("/api/v1/holds/{hold_id}", delete_hold, methods=["DELETE"]),
    Route("/api/v1/bookings/{booking_id}", get_booking, methods=["GET"]),
]
