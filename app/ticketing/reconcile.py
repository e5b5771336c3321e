"""Availability converges on PostgreSQL: every second one replica per event sets Redis's count of
each slot to PostgreSQL's remaining minus the seats of live holds. Whatever a fault did to the
fast gate (a script run twice, an admin update lost, a rebuild that raced confirms in flight), the
count is right again within a round.

A confirm in flight is counted in both (its hold is live in Redis while PostgreSQL has booked it),
so the round lists those holds in Redis first and asks PostgreSQL which of them are booked, in the
same snapshot as the remaining counts (lua/reconcile.lua)."""

import orjson

from ticketing.backends import Backends

RECONCILE_INTERVAL_MS = 1000
# One statement, one snapshot: the remaining counts and which of the listed holds are booked.
SNAPSHOT = """
SELECT slot_id, remaining,
    (SELECT coalesce(array_agg(hold_id), '{}') FROM bookings WHERE hold_id = ANY($2::text[]))
        AS booked
FROM slots WHERE event_id = $1
"""


async def reconcile(backends: Backends, event_id: str) -> bytes | None:
    """One round when due; its outcome (b"ok", b"fixed" or b"busy"), None when not due."""
    begun = await backends.scripts.run("reconcile_begin", event_id, RECONCILE_INTERVAL_MS)
    if begun[0] != b"due":
        return None
    listed = [hold_id.decode() for hold_id in begun[1]]
    rows = await backends.pool.fetch(SNAPSHOT, event_id, listed)
    if not rows:
        return None
    outcome, _changed = await backends.scripts.run(
        "reconcile",
        event_id,
        orjson.dumps({row["slot_id"]: row["remaining"] for row in rows}),
        orjson.dumps(listed),
        orjson.dumps(list(rows[0]["booked"])),
    )
    return bytes(outcome)
