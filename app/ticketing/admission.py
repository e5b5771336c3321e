"""The background loop every replica runs: admission steps, hold expiry, scheduled openings,
reloading events Redis lost, and reconciling availability with PostgreSQL. Every step is an atomic
script, so replicas never double-admit."""

import asyncio
import logging
import time
from typing import cast

from ticketing import metrics
from ticketing.backends import Backends
from ticketing.background import wait_or_stop
from ticketing.event_ends import expire_event_keys, list_event_ends
from ticketing.events import install_event
from ticketing.keys import EVENT_IDS_KEY, event_keys
from ticketing.opening import opening_order
from ticketing.reconcile import reconcile

TICK_SECONDS = 0.1
EVENT_LIST_REFRESH_SECONDS = 5.0
REAP_BATCH = 200
ASSIGN_BATCH = 2000

log = logging.getLogger("ticketing.admission")


async def open_event(backends: Backends, event_id: str) -> None:
    """Assigns the pre-opening joiners their places from the seeded permutation."""
    keys = event_keys(event_id)
    seed_hex, prejoined = (
        await backends.redis.hget(keys.config, "seed"),
        await backends.redis.hget(keys.queue, "prejoined"),
    )
    clients = await backends.redis.lrange(keys.prejoin, 0, int(prejoined or 0) - 1)
    places = opening_order(bytes.fromhex(cast(bytes, seed_hex).decode()), len(clients))
    pairs = [
        value for client, place in zip(clients, places, strict=True) for value in (client, place)
    ]
    for start in range(0, max(len(pairs), 1), ASSIGN_BATCH):
        final = start + ASSIGN_BATCH >= len(pairs)
        await backends.scripts.run(
            "assign_opening", event_id, *pairs[start : start + ASSIGN_BATCH], int(final)
        )
    log.info("opening assigned", extra={"event_id": event_id, "prejoined": len(clients)})


async def resolve_overdue_confirm(backends: Backends, event_id: str, hold_id: str) -> None:
    """A confirm that never finished (the replica died): PostgreSQL says whether it booked."""
    booking_id = await backends.pool.fetchval(
        "SELECT booking_id FROM bookings WHERE hold_id = $1", hold_id
    )
    await backends.scripts.run("end_confirm", event_id, hold_id, booking_id or "", "release")


async def step(backends: Backends, event_ids: list[str]) -> None:
    # issued together, the calls travel to Redis as one pipeline (batching.py)
    results = await asyncio.gather(
        *(
            call
            for event_id in event_ids
            for call in (
                backends.scripts.run("admit", event_id),
                backends.scripts.run("reap", event_id, REAP_BATCH),
            )
        )
    )
    for index, event_id in enumerate(event_ids):
        (outcome, serving, seq, admitted, active), overdue = (
            results[2 * index],
            results[2 * index + 1],
        )
        metrics.record_admission_step(
            event_id, waiting=seq - serving, admitted=admitted, active=active
        )
        if outcome == b"noevent":
            await install_event(backends, event_id)
        elif outcome == b"opening":
            await open_event(backends, event_id)
        for hold_id in overdue:
            await resolve_overdue_confirm(backends, event_id, hold_id.decode())
    await asyncio.gather(*(reconcile(backends, event_id) for event_id in event_ids))


async def _list_events(backends: Backends) -> set[str]:
    """Every event id in PostgreSQL; each one's end is noted on the way."""
    ends = await list_event_ends(backends.pool)
    backends.ends.replace(
        {event_id: ends_at.timestamp() for event_id, ends_at in ends.items() if ends_at}
    )
    return set(ends)


async def run_admission_loop(backends: Backends, stopping: asyncio.Event) -> None:
    durable_ids: set[str] = set()
    listed_at = 0.0
    while not stopping.is_set():
        started = time.monotonic()
        try:
            # Redis knows new events at once; PostgreSQL also those a Redis loss forgot.
            if started - listed_at > EVENT_LIST_REFRESH_SECONDS:
                durable_ids, listed_at = await _list_events(backends), started
            loaded_ids = {
                cast(bytes, event_id).decode()
                for event_id in await backends.redis.smembers(EVENT_IDS_KEY)
            }
            # ended events cost no script run; past their grace period their keys go
            now = time.time()
            for event_id in loaded_ids:
                if backends.ends.expired(event_id, now):
                    await expire_event_keys(backends, event_id, 0)
            event_ids = sorted(
                event_id
                for event_id in durable_ids | loaded_ids
                if not backends.ends.ended(event_id, now)
            )
            if event_ids:
                await step(backends, event_ids)
        except Exception:  # Redis or PostgreSQL away: keep trying, the next step catches up
            log.exception("admission step failed")
            await wait_or_stop(stopping, 1)
        await wait_or_stop(stopping, TICK_SECONDS - (time.monotonic() - started))
