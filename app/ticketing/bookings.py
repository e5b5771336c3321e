"""Confirming a hold into a booking: a conditional PostgreSQL write, the final authority."""

import secrets
from typing import Any

import asyncpg

from ticketing import metrics
from ticketing.backends import Backends
from ticketing.database import REBUILD_LOCK_KEY
from ticketing.errors import ApiError
from ticketing.inventory import GONE_HOLDS, RELEASE_REFUSALS, refusal
from ticketing.tokens import Claims

# One statement: the booking row and the seat count change together or not at all; the CHECK on
# slots.remaining refuses an oversell even if Redis was wrong, the unique keys refuse doubles. It
# holds the event's rebuild lock shared: a rebuild of the event in Redis (events.install_event)
# waits for confirms in flight, so the remaining counts it reads include them; and a confirm begun
# under an earlier copy of the event in this deployment's Redis ($8, its generation; $9, the
# deployment) books nothing.
INSERT_BOOKING = f"""
WITH rebuild_lock AS (
    SELECT pg_advisory_xact_lock_shared({REBUILD_LOCK_KEY.format(event_id="$2")})
), booking AS (
    INSERT INTO bookings
        (booking_id, event_id, slot_id, quantity, client_id, hold_id, idempotency_key)
    SELECT $1, $2, $3, $4, $5, $6, $7 FROM rebuild_lock
    WHERE COALESCE(
        (SELECT generation FROM redis_copies WHERE event_id = $2 AND deployment = $9), 0
    ) <= $8
    ON CONFLICT DO NOTHING
    RETURNING booking_id, quantity
), seats AS (
    UPDATE slots SET remaining = slots.remaining - booking.quantity FROM booking
    WHERE slots.event_id = $2 AND slots.slot_id = $3
    RETURNING slots.remaining
)
SELECT (SELECT booking_id FROM booking) AS booking_id, (SELECT remaining FROM seats) AS remaining
"""  # noqa: S608 -- REBUILD_LOCK_KEY is a constant; every value is a bind parameter
BOOKING_COLUMNS = "booking_id, event_id, slot_id, quantity, client_id, hold_id, idempotency_key"


def _public(row: asyncpg.Record) -> dict[str, Any]:
    return {key: row[key] for key in ("booking_id", "event_id", "slot_id", "quantity", "client_id")}


async def _booking_for_key(
    backends: Backends, claims: Claims, idempotency_key: str
) -> asyncpg.Record | None:
    return await backends.pool.fetchrow(
        # BOOKING_COLUMNS is a constant; every value is a bind parameter
        f"SELECT {BOOKING_COLUMNS} FROM bookings"  # noqa: S608
        " WHERE event_id = $1 AND client_id = $2 AND idempotency_key = $3",
        claims.event_id,
        claims.client_id,
        idempotency_key,
    )


def _replay(row: asyncpg.Record | None, hold_id: str) -> dict[str, Any]:
    if row is None:
        raise refusal(RELEASE_REFUSALS, b"unknown")
    if row["hold_id"] != hold_id:
        raise ApiError(
            409, "idempotency_key_reused", "this Idempotency-Key already confirmed another hold"
        )
    return _public(row)


async def confirm(
    backends: Backends, claims: Claims, hold_id: str, idempotency_key: str
) -> dict[str, Any]:
    event_id = claims.event_id
    outcome, *rest = await backends.scripts.run(
        "begin_confirm", event_id, hold_id, claims.client_id, idempotency_key
    )
    if outcome in (b"unknown", b"confirmed"):
        # Confirmed before, or Redis lost the hold since: PostgreSQL has the booking if
        # there is one.
        if outcome == b"confirmed" and rest[1].decode() != idempotency_key:
            raise ApiError(
                409, "already_confirmed", "the hold was confirmed with another Idempotency-Key"
            )
        return _replay(await _booking_for_key(backends, claims, idempotency_key), hold_id)
    if outcome == b"released":
        raise refusal(GONE_HOLDS, outcome)
    if outcome != b"begun":
        raise refusal(RELEASE_REFUSALS, outcome)
    slot_id, quantity, generation = rest[0].decode(), int(rest[1]), int(rest[2])
    booking_id = "b_" + secrets.token_urlsafe(16)
    try:
        written = await backends.pool.fetchval(
            INSERT_BOOKING,
            booking_id,
            event_id,
            slot_id,
            quantity,
            claims.client_id,
            hold_id,
            idempotency_key,
            generation,
            backends.deployment,
        )
    except asyncpg.CheckViolationError:
        await backends.scripts.run("end_confirm", event_id, hold_id, "", "release")
        raise ApiError(
            409, "sold_out", "the slot sold out before this hold could be confirmed"
        ) from None
    except BaseException:
        await backends.scripts.run("end_confirm", event_id, hold_id, "", "retry")
        raise
    if written is None:
        existing = await _booking_for_key(backends, claims, idempotency_key)
        same_booking_id = (
            existing["booking_id"]
            if existing is not None and existing["hold_id"] == hold_id
            else ""
        )
        await backends.scripts.run("end_confirm", event_id, hold_id, same_booking_id, "retry")
        return _replay(existing, hold_id)
    await backends.scripts.run("end_confirm", event_id, hold_id, booking_id, "")
    metrics.BOOKINGS.inc(event_id)
    metrics.BOOKED_SEATS.inc(event_id, amount=quantity)
    return {
        "booking_id": booking_id,
        "event_id": event_id,
        "slot_id": slot_id,
        "quantity": quantity,
        "client_id": claims.client_id,
    }


async def get_booking(backends: Backends, claims: Claims, booking_id: str) -> dict[str, Any]:
    row = await backends.pool.fetchrow(
        f"SELECT {BOOKING_COLUMNS} FROM bookings WHERE booking_id = $1",  # noqa: S608 -- as above
        booking_id,
    )
    if row is None or row["client_id"] != claims.client_id or row["event_id"] != claims.event_id:
        raise ApiError(404, "booking_not_found", "no such booking for this client")
    return _public(row)
