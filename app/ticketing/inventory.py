"""Seat holds: a Redis check-and-decrement (the fast gate against overselling), and releases."""

import asyncio
import logging
import secrets
import time
from typing import Any

from redis.exceptions import RedisError

from ticketing import metrics
from ticketing.backends import Backends
from ticketing.errors import ApiError
from ticketing.events import event_script
from ticketing.tokens import Claims

log = logging.getLogger("ticketing.inventory")

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
# The same Idempotency-Key again, for a hold that no longer holds seats.
GONE_HOLDS = {
    b"expired": RELEASE_REFUSALS[b"expired"],
    b"released": (410, "hold_released", "the hold was released"),
}


def iso_from_ms(milliseconds: int) -> str:
    return (
        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(milliseconds / 1000))
        + f".{milliseconds % 1000:03d}Z"
    )


def refusal(table: dict[bytes, tuple[int, str, str]], outcome: bytes) -> ApiError:
    return ApiError(*table[outcome])


# A hold answered 503 without an Idempotency-Key is undone in the background for this long.
ABANDON_SECONDS = 60.0
ABANDON_RETRY_SECONDS = 0.5


def _hold_body(hold_id: str, slot_id: str, quantity: int, expires_ms: int) -> dict[str, Any]:
    return {
        "hold_id": hold_id,
        "slot_id": slot_id,
        "quantity": quantity,
        "expires_at": iso_from_ms(expires_ms),
    }


async def hold(
    backends: Backends,
    claims: Claims,
    slot_id: str,
    quantity: int,
    idempotency_key: str | None = None,
) -> tuple[bool, dict[str, Any]]:
    """Returns (created, body). With an Idempotency-Key the hold id derives from the client and the
    key, so the same key again finds the same hold (a lost reply is recovered by retrying)."""
    hold_id = "h_" + (
        backends.tokens.derived_id("hold", claims.event_id, claims.client_id, idempotency_key)
        if idempotency_key is not None
        else secrets.token_urlsafe(16)
    )
    try:
        outcome, *rest = await event_script(
            backends,
            "hold",
            claims.event_id,
            claims.number,
            claims.client_id,
            slot_id,
            quantity,
            hold_id,
            claims.generation,
        )
    except (RedisError, OSError):
        if idempotency_key is None:  # the caller cannot ask again for this hold: undo it
            backends.chores.start(abandon(backends, claims, hold_id))
        raise
    metrics.HOLDS.inc(claims.event_id, outcome.decode())
    if outcome == b"existing":
        return False, _replayed_hold(hold_id, slot_id, quantity, rest)
    if outcome != b"ok":
        raise refusal(HOLD_REFUSALS, outcome)
    return True, _hold_body(hold_id, slot_id, quantity, int(rest[0]))


def _replayed_hold(hold_id: str, slot_id: str, quantity: int, rest: list[Any]) -> dict[str, Any]:
    expires_ms, state, held_slot, held_quantity = rest
    if held_slot.decode() != slot_id or int(held_quantity) != quantity:
        raise ApiError(
            409, "idempotency_key_reused", "this Idempotency-Key already holds other seats"
        )
    if state in GONE_HOLDS:
        raise refusal(GONE_HOLDS, state)
    return _hold_body(hold_id, slot_id, quantity, int(expires_ms))


async def abandon(backends: Backends, claims: Claims, hold_id: str) -> None:
    """Releases the hold if Redis made it, or fences its id so that a late copy makes none."""
    deadline = time.monotonic() + ABANDON_SECONDS
    while True:
        try:
            await backends.scripts.run("abandon", claims.event_id, hold_id, claims.client_id)
            return
        except (RedisError, OSError):
            if time.monotonic() > deadline:
                log.warning("hold not abandoned", extra={"hold_id": hold_id})
                return
            await asyncio.sleep(ABANDON_RETRY_SECONDS)


async def release(backends: Backends, claims: Claims, hold_id: str) -> None:
    """Returns the hold's seats to the pool; releasing twice is fine."""
    (outcome,) = await backends.scripts.run("release", claims.event_id, hold_id, claims.client_id)
    if outcome in RELEASE_REFUSALS:
        raise refusal(RELEASE_REFUSALS, outcome)
