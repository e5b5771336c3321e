"""Exactly once under faults (issue 14): scripts run once per request id even when a batch is
resent during a Redis stall, holds take an Idempotency-Key, a confirm cut short by a dead pod is
finished by the retry, availability converges on PostgreSQL, and tokens of a rebuilt queue are
refused."""

import asyncio
import os
import secrets
import signal
from collections.abc import AsyncIterator

import asyncpg
import httpx
import orjson
import pytest
from redis.asyncio import Redis

from tests.app.conftest import SECRET, Stores, admitted_token, bearer
from ticketing import tokens
from ticketing.batching import ConnectionSender, ScriptBatcher, sender_for
from ticketing.bookings import INSERT_BOOKING
from ticketing.config import DEFAULT_DEPLOYMENT
from ticketing.database import REBUILD_LOCK_KEY
from ticketing.embedded import EmbeddedRedis
from ticketing.keys import event_keys
from ticketing.scripts import EventScripts, register_scripts


@pytest.fixture
async def scripts(stores: Stores) -> AsyncIterator[EventScripts]:
    redis = Redis.from_url(stores.redis_url, socket_timeout=0.5)
    yield register_scripts(redis)
    await redis.aclose()


async def redis_only_event(stores: Stores, seats: int) -> str:
    """An event only Redis knows (no reconciliation with PostgreSQL touches it)."""
    event_id = "once-" + secrets.token_hex(4)
    redis = Redis.from_url(stores.redis_url)
    try:
        keys = event_keys(event_id)
        await redis.hset(keys.config, mapping={"admit_per_second": 5, "opens_at_ms": 0})
        await redis.hset(keys.available, "a", seats)
    finally:
        await redis.aclose()
    return event_id


async def available(stores: Stores, event_id: str) -> int:
    redis = Redis.from_url(stores.redis_url)
    try:
        seats = await redis.hget(event_keys(event_id).available, "a")
        assert seats is not None, "the event is in Redis"
        return int(seats)
    finally:
        await redis.aclose()


def apply_args(added: int) -> list[bytes]:
    return [orjson.dumps({"name": "x"}), orjson.dumps({"a": added}), orjson.dumps([])]


async def test_a_call_repeated_with_its_request_id_acts_once(
    stores: Stores, scripts: EventScripts
) -> None:
    event_id = await redis_only_event(stores, 10)
    keys = list(event_keys(event_id))
    script = scripts.scripts["apply_event"]
    first = await scripts.batcher.call(script, keys, [*apply_args(5), "request-1"])
    again = await scripts.batcher.call(script, keys, [*apply_args(5), "request-1"])
    assert first == again == 1
    assert await available(stores, event_id) == 15
    await scripts.run("apply_event", event_id, *apply_args(5))  # a new call acts again
    assert await available(stores, event_id) == 20


async def test_a_batch_resent_during_a_stall_acts_once(
    stores: Stores, scripts: EventScripts
) -> None:
    """The first copy waits in the stalled server's socket buffer when its connection drops (as a
    CLIENT KILL or a failover drops it): the batch goes again on a new connection, both copies run
    once Redis continues, and only one acts. (A timeout alone is not resent: batching.py.)"""
    server = stores.redis_server
    if not isinstance(server, EmbeddedRedis) or server.process is None:
        pytest.skip("stalling Redis needs the private redis-server")
    event_id = await redis_only_event(stores, 10)
    sender = sender_for(scripts.scripts["apply_event"].registered_client)
    assert isinstance(sender, ConnectionSender)
    sent = ScriptBatcher(sender)
    stalled = EventScripts(scripts.scripts, sent)
    await stalled.run("apply_event", event_id, *apply_args(0))  # connected, script loaded
    pid = server.process.pid
    os.kill(pid, signal.SIGSTOP)
    try:
        call = stalled.run("apply_event", event_id, *apply_args(5))
        await asyncio.sleep(0.2)  # the first copy is written
        first_connection = sender._connection._writer
        assert first_connection is not None
        first_connection.close()  # flushed then closed: Redis still reads the copy
        await asyncio.sleep(0.2)  # the resend is written on a new connection
    finally:
        os.kill(pid, signal.SIGCONT)
    assert await call == 1  # the resend's answer: the first copy's recorded reply
    await sent.aclose()
    assert await available(stores, event_id) == 15


async def test_the_same_idempotency_key_returns_the_same_hold(
    http: httpx.AsyncClient, new_event
) -> None:
    event_id = await new_event(slots=[{"id": "a", "label": "x", "capacity": 10}])
    token = await admitted_token(http, event_id)
    path = f"/api/v1/events/{event_id}/holds"
    headers = {**bearer(token), "Idempotency-Key": "hold-key-1"}
    first = await http.post(path, json={"slot_id": "a", "quantity": 2}, headers=headers)
    again = await http.post(path, json={"slot_id": "a", "quantity": 2}, headers=headers)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json() == first.json()
    other = await http.post(path, json={"slot_id": "a", "quantity": 1}, headers=headers)
    assert (other.status_code, other.json()["error"]) == (409, "idempotency_key_reused")
    event = (await http.get(f"/api/v1/events/{event_id}")).json()
    assert event["slots"][0]["remaining"] == 8
    bad = await http.post(
        path, json={"slot_id": "a", "quantity": 1}, headers={**bearer(token), "Idempotency-Key": ""}
    )
    assert (bad.status_code, bad.json()["error"]) == (400, "invalid_idempotency_key")


async def test_an_abandoned_hold_id_holds_nothing_when_its_call_arrives_late(
    http: httpx.AsyncClient, new_event, scripts: EventScripts
) -> None:
    """What the app does for a hold answered 503 without a key: a late copy finds the id
    fenced."""
    event_id = await new_event(slots=[{"id": "a", "label": "x", "capacity": 10}])
    token = await admitted_token(http, event_id)
    claims = tokens.Tokens(SECRET).verify(token, "access", event_id)
    assert (await scripts.run("abandon", event_id, "h_lost", claims.client_id))[0] == b"fenced"
    late = await scripts.run(
        "hold", event_id, claims.number, claims.client_id, "a", 2, "h_lost", claims.generation
    )
    assert late[0] == b"existing" and late[2] == b"released"
    assert (await http.get(f"/api/v1/events/{event_id}")).json()["slots"][0]["remaining"] == 10


async def test_a_confirm_whose_pod_died_is_finished_by_the_retry_at_once(
    http: httpx.AsyncClient, new_event, scripts: EventScripts
) -> None:
    event_id = await new_event(slots=[{"id": "a", "label": "x", "capacity": 10}])
    token = await admitted_token(http, event_id)
    hold = await http.post(
        f"/api/v1/events/{event_id}/holds",
        json={"slot_id": "a", "quantity": 3},
        headers=bearer(token),
    )
    hold_id = hold.json()["hold_id"]
    claims = tokens.Tokens(SECRET).verify(token, "access", event_id)
    # the pod that began this confirm died before writing the booking
    begun = await scripts.run("begin_confirm", event_id, hold_id, claims.client_id, "dead-pod")
    assert begun[0] == b"begun"
    retry = await http.post(
        f"/api/v1/holds/{hold_id}/confirm", headers={**bearer(token), "Idempotency-Key": "dead-pod"}
    )
    assert retry.status_code == 201, retry.text
    other_key = await http.post(
        f"/api/v1/holds/{hold_id}/confirm", headers={**bearer(token), "Idempotency-Key": "other"}
    )
    assert (other_key.status_code, other_key.json()["error"]) == (409, "already_confirmed")
    assert (await http.get(f"/api/v1/events/{event_id}")).json()["slots"][0]["remaining"] == 7


async def test_availability_converges_on_postgresql_minus_live_holds(
    http: httpx.AsyncClient, new_event, stores: Stores
) -> None:
    event_id = await new_event(slots=[{"id": "a", "label": "x", "capacity": 10}])
    token = await admitted_token(http, event_id)
    held = await http.post(
        f"/api/v1/events/{event_id}/holds",
        json={"slot_id": "a", "quantity": 2},
        headers=bearer(token),
    )
    assert held.status_code == 201
    redis = Redis.from_url(stores.redis_url)
    try:
        await redis.hset(event_keys(event_id).available, "a", 9)  # a phantom seat
    finally:
        await redis.aclose()
    for _ in range(50):
        shown = (await http.get(f"/api/v1/events/{event_id}")).json()["slots"][0]["remaining"]
        if shown == 8:
            break
        await asyncio.sleep(0.1)
    assert shown == 8, "10 in PostgreSQL minus the 2 held"


async def test_an_access_token_of_a_rebuilt_queue_is_refused(
    http: httpx.AsyncClient, new_event
) -> None:
    event_id = await new_event()
    token = await admitted_token(http, event_id)
    claims = tokens.Tokens(SECRET).verify(token, "access", event_id)
    assert claims.generation > 0
    old = tokens.Tokens(SECRET).issue(
        "access", event_id, claims.client_id, claims.number, claims.generation - 1
    )
    refused = await http.post(
        f"/api/v1/events/{event_id}/holds",
        json={"slot_id": "a", "quantity": 1},
        headers=bearer(old),
    )
    assert (refused.status_code, refused.json()["error"]) == (401, "access_expired")


async def test_a_rebuild_waits_for_confirms_in_flight(
    http: httpx.AsyncClient, new_event, stores: Stores
) -> None:
    """Redis lost the event while a confirm's PostgreSQL write is still open: the rebuild reads
    the counts after that write commits, so the seat it booked never shows as free."""
    event_id = await new_event(slots=[{"id": "a", "label": "x", "capacity": 10}])
    confirm = await asyncpg.connect(stores.database_url)
    redis = Redis.from_url(stores.redis_url)
    try:
        in_flight = confirm.transaction()
        await in_flight.start()
        await confirm.execute(
            f"SELECT pg_advisory_xact_lock_shared({REBUILD_LOCK_KEY.format(event_id='$1')})",
            event_id,
        )
        await confirm.execute(
            "UPDATE slots SET remaining = remaining - 2 WHERE event_id = $1", event_id
        )
        await redis.delete(*event_keys(event_id))  # the Redis loss
        rebuilt = asyncio.ensure_future(http.get(f"/api/v1/events/{event_id}"))
        await asyncio.sleep(0.5)
        assert not rebuilt.done(), "the rebuild waits for the confirm in flight"
        await in_flight.commit()
        assert (await rebuilt).json()["slots"][0]["remaining"] == 8
    finally:
        await redis.aclose()
        await confirm.close()


async def test_recorded_replies_are_forgotten_once_due(
    stores: Stores, scripts: EventScripts
) -> None:
    event_id = await redis_only_event(stores, 10)
    keys = event_keys(event_id)
    await scripts.batcher.call(
        scripts.scripts["apply_event"], list(keys), [*apply_args(1), "request-old"]
    )
    redis = Redis.from_url(stores.redis_url)
    try:
        assert await redis.hexists(keys.done, "request-old")
        await redis.zadd(keys.done_timers, {"request-old": 0})  # as if its time passed
        await scripts.run("reap", event_id, 10)
        assert not await redis.hexists(keys.done, "request-old")
        assert await redis.zcard(keys.done_timers) == 0
    finally:
        await redis.aclose()


async def test_a_confirm_begun_before_a_rebuild_books_nothing(
    http: httpx.AsyncClient, new_event, stores: Stores
) -> None:
    """Its hold went with the Redis copy it was made in: the booking write of that confirm, arriving
    after the rebuild, is refused, so the rebuilt count stays true."""
    event_id = await new_event(slots=[{"id": "a", "label": "x", "capacity": 10}])
    database = await asyncpg.connect(stores.database_url)
    try:
        generation = await database.fetchval(
            "SELECT generation FROM redis_copies WHERE event_id = $1 AND deployment = $2",
            event_id,
            DEFAULT_DEPLOYMENT,
        )
        assert generation > 0, "the install recorded the copy's generation"

        async def book(booking_id: str, generation: int, deployment: str) -> str | None:
            booking: str | None = await database.fetchval(
                INSERT_BOOKING,
                booking_id,
                event_id,
                "a",
                2,
                f"client-{booking_id}",
                f"h-{booking_id}",
                f"key-{booking_id}",
                generation,
                deployment,
            )
            return booking

        assert await book("b_old", generation - 1, DEFAULT_DEPLOYMENT) is None
        assert await book("b_new", generation, DEFAULT_DEPLOYMENT) == "b_new"
        # another region's Redis (its own deployment, no copy of this event yet) is not fenced by
        # this region's copy: each region's rebuilds fence only its own confirms
        assert await book("b_other_region", 1, "dr") == "b_other_region"
        remaining = await database.fetchval(
            "SELECT remaining FROM slots WHERE event_id = $1", event_id
        )
        assert remaining == 6
    finally:
        await database.close()
