"""Events end: at the `ends_at` of their config, or when an admin closes them.

An ended event takes no joins (410) and no admissions: the admission loop leaves it out, so it
costs no script run. After `TICKETING_EVENT_END_GRACE_SECONDS` (for the holds and confirms of
clients already admitted) its Redis keys are deleted. Its durable record stays in PostgreSQL: a
read of an ended event loads it into Redis again for a short while, with the keys expiring.

Every replica learns each event's end from the admission loop's listing (PostgreSQL, every few
seconds); a close also pauses the event in Redis, so every replica stops admitting at once.
"""

from __future__ import annotations

import math
import time
from datetime import datetime
from typing import TYPE_CHECKING

import asyncpg
import orjson

from ticketing.errors import ApiError, event_not_found
from ticketing.keys import EVENT_IDS_KEY, event_keys

if TYPE_CHECKING:  # Backends holds this module's EventEnds
    from ticketing.backends import Backends

# An ended event read back from PostgreSQL stays in Redis this long.
READ_BACK_SECONDS = 60


def event_ended(event_id: str) -> ApiError:
    return ApiError(410, "event_ended", f"event {event_id!r} has ended")


class EventEnds:
    """When each event ends (Unix seconds), as this process last read it."""

    def __init__(self, grace_seconds: float) -> None:
        self.grace_seconds = grace_seconds
        self._ends: dict[str, float] = {}

    def replace(self, ends: dict[str, float]) -> None:
        self._ends = ends

    def set(self, event_id: str, ends_at: float | None) -> None:
        if ends_at is None:
            self._ends.pop(event_id, None)
        else:
            self._ends[event_id] = ends_at

    def ended(self, event_id: str, now: float | None = None) -> bool:
        ends_at = self._ends.get(event_id)
        return ends_at is not None and ends_at <= (time.time() if now is None else now)

    def expired(self, event_id: str, now: float) -> bool:
        """Ended longer than the grace period ago: its Redis keys go."""
        ends_at = self._ends.get(event_id)
        return ends_at is not None and ends_at + self.grace_seconds <= now

    def refuse_if_ended(self, event_id: str) -> None:
        if self.ended(event_id):
            raise event_ended(event_id)


async def list_event_ends(pool: asyncpg.Pool) -> dict[str, datetime | None]:
    """Every event id with its end (None: open-ended)."""
    rows = await pool.fetch(
        "SELECT event_id, (config->>'ends_at')::timestamptz AS ends_at FROM events"
    )
    return {row["event_id"]: row["ends_at"] for row in rows}


async def close_in_postgres(pool: asyncpg.Pool, event_id: str) -> datetime | None:
    """Sets the event's end to now unless it ended already; its end, None when no such event."""
    async with pool.acquire() as connection, connection.transaction():
        ends_at: datetime | None = await connection.fetchval(
            "UPDATE events SET config = jsonb_set(config, '{ends_at}', to_jsonb(now())),"
            " updated_at = now() WHERE event_id = $1 AND (config->>'ends_at' IS NULL OR"
            " (config->>'ends_at')::timestamptz > now()) RETURNING now()",
            event_id,
        )
        if ends_at is None:
            ends_at = await connection.fetchval(
                "SELECT (config->>'ends_at')::timestamptz FROM events WHERE event_id = $1",
                event_id,
            )
    return ends_at


def event_key_names(event_id: str) -> list[str]:
    """The event's keys (its updates channel is not a key)."""
    keys = event_keys(event_id)
    return [key for key in keys if key != keys.updates]


async def close_event(backends: Backends, event_id: str) -> None:
    """Ends the event now (an admin's close); closing an ended event changes nothing."""
    ends_at = await close_in_postgres(backends.pool, event_id)
    if ends_at is None:
        raise event_not_found(event_id)
    backends.ends.set(event_id, ends_at.timestamp())
    ends_at_ms = int(ends_at.timestamp() * 1000)
    applied = await backends.scripts.run(
        "apply_event", event_id, orjson.dumps({"ends_at_ms": ends_at_ms}), b"{}", b"[]"
    )
    if applied:
        # every replica stops admitting now, not at its next listing
        await backends.redis.hset(event_keys(event_id).queue, "paused", 1)


async def expire_event_keys(backends: Backends, event_id: str, seconds: int) -> None:
    """The event's keys expire in `seconds` (0: deleted now); the admission loop forgets it."""
    async with backends.redis.pipeline(transaction=False) as pipe:
        for key in event_key_names(event_id):
            if seconds:
                pipe.expire(key, seconds)
            else:
                pipe.delete(key)
        await pipe.execute()
    await backends.redis.srem(EVENT_IDS_KEY, event_id)


async def expire_read_back(backends: Backends, event_id: str, ends_at: float) -> None:
    """An ended event just loaded from PostgreSQL stays until its grace period is over, and at
    least READ_BACK_SECONDS."""
    remaining = ends_at + backends.ends.grace_seconds - time.time()
    await expire_event_keys(backends, event_id, max(READ_BACK_SECONDS, math.ceil(remaining)))
