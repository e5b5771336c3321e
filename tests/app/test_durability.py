"""Confirmed bookings live in PostgreSQL: they survive a Redis restart and an app crash, and the
inventory is rebuilt from them."""

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.app.conftest import SECRET, AppProcess, Stores, admitted_token, bearer
from ticketing import tokens
from ticketing.keys import event_keys
from ticketing.redis_clients import connect_redis
from ticketing.scripts import register_scripts


async def _remaining(http: httpx.AsyncClient, event_id: str) -> int:
    return (await http.get(f"/api/v1/events/{event_id}")).json()["slots"][0]["remaining"]


async def _book(
    http: httpx.AsyncClient, event_id: str, token: str, quantity: int, key: str
) -> dict:
    hold = await http.post(
        f"/api/v1/events/{event_id}/holds",
        json={"slot_id": "a", "quantity": quantity},
        headers=bearer(token),
    )
    confirmed = await http.post(
        f"/api/v1/holds/{hold.json()['hold_id']}/confirm",
        headers={**bearer(token), "Idempotency-Key": key},
    )
    assert confirmed.status_code == 201, confirmed.text
    return confirmed.json()


async def test_bookings_survive_a_redis_restart_and_inventory_is_rebuilt(
    http: httpx.AsyncClient, new_event, stores: Stores
) -> None:
    if stores.redis_server is None:
        pytest.skip("restarting Redis needs the private redis-server")
    event_id = await new_event(slots=[{"id": "a", "label": "x", "capacity": 10}])
    token = await admitted_token(http, event_id)
    booking = await _book(http, event_id, token, 3, "before-restart")
    unconfirmed = await http.post(
        f"/api/v1/events/{event_id}/holds",
        json={"slot_id": "a", "quantity": 1},
        headers=bearer(token),
    )
    assert unconfirmed.status_code == 201
    assert await _remaining(http, event_id) == 6

    stores.redis_server.stop(kill=True)
    down = await http.get(f"/api/v1/events/{event_id}")
    assert down.status_code == 503 and down.json()["error"] == "unavailable"
    assert (await http.get("/readyz")).status_code == 503
    stores.redis_server.start()

    # the lost hold's seat is back: capacity minus confirmed bookings
    for _ in range(50):
        response = await http.get(f"/api/v1/events/{event_id}")
        if response.status_code == 200:
            break
        await asyncio.sleep(0.1)
    assert response.json()["slots"][0]["remaining"] == 7
    stored = await http.get(f"/api/v1/bookings/{booking['booking_id']}", headers=bearer(token))
    assert stored.status_code == 200 and stored.json() == booking
    # the queue restarted with Redis: a buyer joins again and can take exactly the 7 seats left
    token = await admitted_token(http, event_id)
    too_many = await http.post(
        f"/api/v1/events/{event_id}/holds",
        json={"slot_id": "a", "quantity": 8},
        headers=bearer(token),
    )
    assert too_many.status_code in (409, 422, 429)
    assert (await http.get("/readyz")).status_code == 200


async def test_bookings_survive_an_app_crash(
    http: httpx.AsyncClient, new_event, stores: Stores, tmp_path: Path
) -> None:
    event_id = await new_event(slots=[{"id": "a", "label": "x", "capacity": 10}])
    doomed = await AppProcess(stores, tmp_path).ready()
    try:
        async with httpx.AsyncClient(base_url=doomed.url) as other:
            token = await admitted_token(other, event_id)
            booking = await _book(other, event_id, token, 2, "crash-key")
    finally:
        doomed.stop(kill=True)
    stored = await http.get(f"/api/v1/bookings/{booking['booking_id']}", headers=bearer(token))
    assert stored.status_code == 200 and stored.json() == booking
    assert await _remaining(http, event_id) == 8


async def test_a_confirm_cut_short_by_a_crash_is_resolved_from_postgresql(
    http: httpx.AsyncClient, new_event, stores: Stores
) -> None:
    """A replica that died between starting a confirm and finishing it leaves the hold 'confirming';
    once overdue, the reaper asks PostgreSQL: no booking there, so the seats go back."""
    event_id = await new_event(slots=[{"id": "a", "label": "x", "capacity": 10}])
    token = await admitted_token(http, event_id)
    hold = await http.post(
        f"/api/v1/events/{event_id}/holds",
        json={"slot_id": "a", "quantity": 4},
        headers=bearer(token),
    )
    hold_id = hold.json()["hold_id"]
    claims = tokens.Tokens(SECRET).verify(token, "access", event_id)
    redis = connect_redis(stores.redis_url, stores.redis_cluster).commands
    try:
        scripts = register_scripts(redis)
        begun = await scripts.run(
            "begin_confirm", event_id, hold_id, claims.client_id, "crashed-key"
        )
        assert begun[0] == b"begun"
        await redis.zadd(
            event_keys(event_id).hold_timers, {hold_id: 0}
        )  # as if the grace period passed
    finally:
        await redis.aclose()
    for _ in range(30):
        if await _remaining(http, event_id) == 10:
            break
        await asyncio.sleep(0.1)
    assert await _remaining(http, event_id) == 10
    retry = await http.post(
        f"/api/v1/holds/{hold_id}/confirm",
        headers={**bearer(token), "Idempotency-Key": "crashed-key"},
    )
    assert (retry.status_code, retry.json()["error"]) == (410, "hold_released")
