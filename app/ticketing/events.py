"""Events: the durable record in PostgreSQL, its copy in Redis, and the public view of both."""

import hashlib
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any, cast

import asyncpg
import orjson

from ticketing.backends import Backends
from ticketing.config import EventSpec
from ticketing.database import REBUILD_LOCK_KEY
from ticketing.errors import ApiError, event_not_found
from ticketing.event_ends import expire_read_back
from ticketing.keys import EVENT_IDS_KEY, event_keys

log = logging.getLogger("ticketing.events")


@dataclass(frozen=True)
class SavedEvent:
    created: bool
    capacity_changes: dict[str, int]
    removed_slots: list[str]
    seed: bytes


async def event_script(backends: Backends, name: str, event_id: str, *args: Any) -> list[Any]:
    """Runs an event script; when Redis lost the event (e.g. a restart), reloads it from PostgreSQL
    once. Raises 404 when the event does not exist at all."""
    result = await backends.scripts.run(name, event_id, *args)
    if isinstance(result, list) and result and result[0] == b"noevent":
        if not await install_event(backends, event_id):
            raise event_not_found(event_id)
        result = await backends.scripts.run(name, event_id, *args)
    return cast(list[Any], result)


def redis_config(spec: EventSpec, seed: bytes) -> dict[str, Any]:
    return {
        "name": spec.name,
        "admit_per_second": spec.admit_per_second,
        "max_active": spec.max_active,
        "access_ttl_ms": spec.access_ttl_seconds * 1000,
        "hold_ttl_ms": spec.hold_ttl_seconds * 1000,
        "max_per_client": spec.max_per_client,
        "opens_at_ms": int(spec.opens_at.timestamp() * 1000) if spec.opens_at else 0,
        "ends_at_ms": int(spec.ends_at.timestamp() * 1000) if spec.ends_at else 0,
        "seed": seed.hex(),
        "seed_sha256": hashlib.sha256(seed).hexdigest(),
        "slots": orjson.dumps([slot.model_dump() for slot in spec.slots]).decode(),
    }


async def _save_slots(
    connection: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy,
    event_id: str,
    spec: EventSpec,
) -> tuple[dict[str, int], list[str]]:
    rows = await connection.fetch(
        "SELECT slot_id, capacity FROM slots WHERE event_id = $1 FOR UPDATE", event_id
    )
    old_capacity = {row["slot_id"]: row["capacity"] for row in rows}
    changes: dict[str, int] = {}
    for position, slot in enumerate(spec.slots):
        changes[slot.id] = slot.capacity - old_capacity.get(slot.id, 0)
        await connection.execute(
            "INSERT INTO slots (event_id, slot_id, label, position, capacity, remaining) VALUES"
            " ($1, $2, $3, $4, $5, $5) ON CONFLICT (event_id, slot_id) DO UPDATE SET label = $3,"
            " position = $4, capacity = $5, remaining = slots.remaining + ($5 - slots.capacity)",
            event_id,
            slot.id,
            slot.label,
            position,
            slot.capacity,
        )
    removed = sorted(set(old_capacity) - {slot.id for slot in spec.slots})
    if removed:
        booked = await connection.fetchval(
            "SELECT count(*) FROM bookings WHERE event_id = $1 AND slot_id = ANY($2)",
            event_id,
            removed,
        )
        if booked:
            raise ApiError(
                409, "slot_has_bookings", f"slots {removed} have bookings and cannot be removed"
            )
        await connection.execute(
            "DELETE FROM slots WHERE event_id = $1 AND slot_id = ANY($2)", event_id, removed
        )
    return changes, removed


async def save_event(pool: asyncpg.Pool, event_id: str, spec: EventSpec) -> SavedEvent:
    """Upserts the durable record. A capacity below what is already booked is refused (409)."""
    config = spec.model_dump_json(exclude={"slots"})
    try:
        async with pool.acquire() as connection, connection.transaction():
            seed = await connection.fetchval(
                "UPDATE events SET name = $2, config = $3, updated_at = now() WHERE event_id = $1 "
                "RETURNING opening_seed",
                event_id,
                spec.name,
                config,
            )
            created = seed is None
            if created:
                seed = secrets.token_bytes(32)
                await connection.execute(
                    "INSERT INTO events (event_id, name, config, opening_seed) VALUES ($1, $2,"
                    " $3, $4)",
                    event_id,
                    spec.name,
                    config,
                    seed,
                )
            changes, removed = await _save_slots(connection, event_id, spec)
    except asyncpg.CheckViolationError:
        raise ApiError(
            409, "capacity_below_booked", "a slot's capacity is below its confirmed bookings"
        ) from None
    return SavedEvent(created, changes, removed, seed)


async def upsert_event(backends: Backends, event_id: str, spec: EventSpec) -> bool:
    """Saves the event and applies it to Redis; returns True when it was created."""
    saved = await save_event(backends.pool, event_id, spec)
    backends.limits.unknown_events.forget(event_id)
    backends.ends.set(event_id, spec.ends_at.timestamp() if spec.ends_at else None)
    applied = await backends.scripts.run(
        "apply_event",
        event_id,
        orjson.dumps(redis_config(spec, saved.seed)),
        orjson.dumps(saved.capacity_changes),
        orjson.dumps(saved.removed_slots),
    )
    if not applied:
        await install_event(backends, event_id)
    await backends.redis.sadd(EVENT_IDS_KEY, event_id)
    backends.queue_states.forget(event_id)  # this replica shows a new rate at once
    return saved.created


async def install_event(backends: Backends, event_id: str) -> bool:
    """Loads the event into Redis from PostgreSQL unless Redis has it; False when it does not
    exist. Holds the event's rebuild lock until Redis has it: the confirms in flight (bookings.py)
    finish before the counts are read, and none commits between the read and the install. An id
    found unknown is answered from memory for a few seconds (limits.py)."""
    unknown = backends.limits.unknown_events
    if unknown.known_unknown(event_id):
        return False
    async with backends.pool.acquire() as connection, connection.transaction():
        await connection.execute(
            f"SELECT pg_advisory_xact_lock({REBUILD_LOCK_KEY.format(event_id='$1')})", event_id
        )
        event = await connection.fetchrow(
            "SELECT config, opening_seed, paused, COALESCE(generation, 0) AS redis_generation"
            " FROM events LEFT JOIN redis_copies ON redis_copies.event_id = events.event_id"
            " AND redis_copies.deployment = $2 WHERE events.event_id = $1",
            event_id,
            backends.deployment,
        )
        if event is None:
            unknown.remember(event_id)
            return False
        slots = await connection.fetch(
            "SELECT slot_id AS id, label, capacity, remaining FROM slots WHERE event_id = $1 ORDER"
            " BY position",
            event_id,
        )
        seats = await connection.fetch(
            "SELECT client_id, sum(quantity) AS seats FROM bookings WHERE event_id = $1 GROUP BY"
            " client_id",
            event_id,
        )
        spec = EventSpec.model_validate(
            {
                **orjson.loads(event["config"]),
                "slots": [
                    {key: slot[key] for key in ("id", "label", "capacity")} for slot in slots
                ],
            },
            strict=False,
        )
        # later than every copy before, whatever the replicas' clocks say
        generation = max(time.time_ns() // 1_000_000, event["redis_generation"] + 1)
        if await _install(backends, event_id, spec, event, slots, seats, generation):
            await _record_copy(connection, event_id, backends.deployment, generation)
    if spec.ends_at and spec.ends_at.timestamp() <= time.time():
        await expire_read_back(backends, event_id, spec.ends_at.timestamp())
    else:
        await backends.redis.sadd(EVENT_IDS_KEY, event_id)
    return True


async def _record_copy(
    connection: asyncpg.pool.PoolConnectionProxy, event_id: str, deployment: str, generation: int
) -> None:
    """Records the Redis copy's generation, which fences confirms begun under earlier copies. A hot
    standby (the dr region before promotion) refuses the write: it books nothing, so its copy has
    nothing to fence, and the load into Redis stands."""
    try:
        # a savepoint: the refusal does not abort the load's own transaction
        async with connection.transaction():
            await connection.execute(
                "INSERT INTO redis_copies (event_id, deployment, generation) VALUES ($1, $2, $3)"
                " ON CONFLICT (event_id, deployment)"
                " DO UPDATE SET generation = excluded.generation",
                event_id,
                deployment,
                generation,
            )
    except asyncpg.ReadOnlySQLTransactionError:
        log.info("read-only database: the Redis copy of %s is not recorded", event_id)


async def _install(
    backends: Backends,
    event_id: str,
    spec: EventSpec,
    event: asyncpg.Record,
    slots: list[asyncpg.Record],
    seats: list[asyncpg.Record],
    generation: int,
) -> bool:
    """True when Redis took it (False: another replica installed the event first)."""
    config = redis_config(spec, event["opening_seed"])
    opened = 0 < config["opens_at_ms"] <= time.time() * 1000
    queue = {
        "paused": int(event["paused"]),
        "frozen": int(opened),
        "assigned": int(opened),
        # tokens of the queue this replaces (a Redis loss) are refused: their numbers restart
        "gen": generation,
        # its tickets reclaim their order for a while (lua/reclaim.lua); none on a first install
        "prev_gen": event["redis_generation"],
        "reclaim_ms": int(backends.reclaim_seconds * 1000) if event["redis_generation"] else 0,
    }
    installed = await backends.scripts.run(
        "install_event",
        event_id,
        orjson.dumps(config),
        orjson.dumps({slot["id"]: slot["remaining"] for slot in slots}),
        orjson.dumps({row["client_id"]: row["seats"] for row in seats}),
        orjson.dumps(queue),
    )
    return bool(installed)


async def set_paused(backends: Backends, event_id: str, paused: bool) -> None:
    updated = await backends.pool.execute(
        "UPDATE events SET paused = $2, updated_at = now() WHERE event_id = $1", event_id, paused
    )
    if updated == "UPDATE 0":
        raise event_not_found(event_id)
    keys = event_keys(event_id)
    # Resuming restarts the clock: a pause never turns into a burst of admissions.
    await backends.redis.hset(
        keys.queue, mapping={"paused": int(paused), "budget": 0, "last_ms": 0}
    )
    await install_event(backends, event_id)
    backends.queue_states.forget(
        event_id
    )  # this replica shows the pause at once, others within FRESH_SECONDS


def _view(
    event_id: str, config: dict[bytes, bytes], available: dict[bytes, bytes], queue: list[Any]
) -> dict[str, Any]:
    text = {key.decode(): value.decode() for key, value in config.items()}
    seq, serving, paused, assigned, prejoined = (int(value or 0) for value in queue)
    opens_at_ms, ends_at_ms = int(text["opens_at_ms"]), int(text.get("ends_at_ms", 0))
    revealed = opens_at_ms > 0 and assigned == 1
    return {
        "event_id": event_id,
        "name": text["name"],
        "slots": [
            {**slot, "remaining": max(0, int(available.get(slot["id"].encode(), 0)))}
            for slot in orjson.loads(text["slots"])
        ],
        "admit_per_second": float(text["admit_per_second"]),
        "max_active": int(text["max_active"]),
        "access_ttl_seconds": int(text["access_ttl_ms"]) // 1000,
        "hold_ttl_seconds": int(text["hold_ttl_ms"]) // 1000,
        "max_per_client": int(text["max_per_client"]),
        "opens_at": _iso(opens_at_ms) if opens_at_ms else None,
        "ends_at": _iso(ends_at_ms) if ends_at_ms else None,
        "paused": paused == 1,
        "queue": {"waiting": max(0, seq - serving), "serving": serving},
        "opening": (
            {
                "seed_sha256": text["seed_sha256"],
                "seed": text["seed"] if revealed else None,
                "prejoined": prejoined if revealed else None,
            }
            if opens_at_ms
            else None
        ),
    }


def _iso(milliseconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(milliseconds / 1000))


async def read_event(backends: Backends, event_id: str) -> dict[str, Any]:
    """The public view in one Redis round trip (reloading from PostgreSQL when Redis lost it)."""
    keys = event_keys(event_id)
    for _ in range(2):
        async with backends.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(keys.config)
            pipe.hgetall(keys.available)
            pipe.hmget(keys.queue, "seq", "serving", "paused", "assigned", "prejoined")
            config, available, queue = await pipe.execute()
        if config:
            return _view(event_id, config, available, queue)
        if not await install_event(backends, event_id):
            break
    raise event_not_found(event_id)


async def read_availability(backends: Backends, event_id: str) -> dict[str, int]:
    available = await backends.redis.hgetall(event_keys(event_id).available)
    return {cast(bytes, slot).decode(): max(0, int(seats)) for slot, seats in available.items()}
