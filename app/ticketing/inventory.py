"""Seat holds: a Redis check-and-decrement (the fast gate against overselling), and releases."""

import secrets
import time
from typing import Any

from ticketing import metrics
from ticketing.backends import Backends
from ticketing.errors import ApiError
from ticketing.events import event_script
from ticketing.tokens import Claims

HOLD_REFUSALS = {
    b"inactive": (
        401,
        "access_expired",
        "admission lapsed (no request within access_ttl_seconds); join the queue again",
    ),
    b"noslot": (422, "unknown_slot", "the event has no slot with this slot_id"),
    b"sold_out": (409, "sold_out", "not enough seats left in this slot"),
    b"limit": (429, "over_client_limit", "this would exceed max_per_client seats for this client"),
}
RELEASE_REFUSALS = {
    b"unknown": (404, "hold_not_found", "no such hold for this client"),
    b"expired": (410, "hold_expired", "the hold expired and its seats returned to the pool"),
    b"confirming": (409, "confirm_in_progress", "the hold is being confirmed"),
    b"confirmed": (409, "already_confirmed", "the hold is already a booking"),
}


def iso_from_ms(milliseconds: int) -> str:
    return (
        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(milliseconds / 1000))
        + f".{milliseconds % 1000:03d}Z"
    )


def refusal(table: dict[bytes, tuple[int, str, str]], outcome: bytes) -> ApiError:
    return ApiError(*table[outcome])


async def hold(backends: Backends, claims: Claims, slot_id: str, quantity: int) -> dict[str, Any]:
    hold_id = "h_" + secrets.token_urlsafe(16)
    outcome, *rest = await event_script(
        backends,
        "hold",
        claims.event_id,
        claims.number,
        claims.client_id,
        slot_id,
        quantity,
        hold_id,
    )
    metrics.HOLDS.inc(claims.event_id, outcome.decode())
    if outcome != b"ok":
        raise refusal(HOLD_REFUSALS, outcome)
    return {
        "hold_id": hold_id,
        "slot_id": slot_id,
        "quantity": quantity,
        "expires_at": iso_from_ms(int(rest[0])),
    }


async def release(backends: Backends, claims: Claims, hold_id: str) -> None:
    """Returns the hold's seats to the pool; releasing twice is fine."""
    (outcome,) = await backends.scripts.run("release", claims.event_id, hold_id, claims.client_id)
    if outcome in RELEASE_REFUSALS:
        raise refusal(RELEASE_REFUSALS, outcome)
