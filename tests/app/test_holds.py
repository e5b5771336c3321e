"""Holds and bookings: never oversold, hold expiry, idempotent confirm, per-client limit."""

import asyncio
import secrets

import asyncpg
import httpx

from tests.app.conftest import ADMIN, Stores, admitted_token, bearer, event_body


async def _hold(
    http: httpx.AsyncClient, event_id: str, token: str, slot_id: str = "a", quantity: int = 1
) -> httpx.Response:
    return await http.post(
        f"/api/v1/events/{event_id}/holds",
        json={"slot_id": slot_id, "quantity": quantity},
        headers=bearer(token),
    )


async def _confirm(http: httpx.AsyncClient, hold_id: str, token: str, key: str) -> httpx.Response:
    return await http.post(
        f"/api/v1/holds/{hold_id}/confirm", headers={**bearer(token), "Idempotency-Key": key}
    )


async def _remaining(http: httpx.AsyncClient, event_id: str) -> dict[str, int]:
    event = (await http.get(f"/api/v1/events/{event_id}")).json()
    return {slot["id"]: slot["remaining"] for slot in event["slots"]}


async def test_500_concurrent_holds_for_50_seats_have_exactly_50_winners(
    http: httpx.AsyncClient, new_event, stores: Stores
) -> None:
    event_id = await new_event(slots=[{"id": "a", "label": "18:00", "capacity": 50}])
    tokens = await asyncio.gather(*(admitted_token(http, event_id) for _ in range(500)))
    responses = await asyncio.gather(*(_hold(http, event_id, token) for token in tokens))
    statuses = sorted(response.status_code for response in responses)
    assert statuses.count(201) == 50 and statuses.count(409) == 450, set(statuses)
    assert {r.json()["error"] for r in responses if r.status_code == 409} == {"sold_out"}
    assert await _remaining(http, event_id) == {"a": 0}
    winners = [
        (r.json()["hold_id"], token)
        for r, token in zip(responses, tokens, strict=True)
        if r.status_code == 201
    ]
    confirmed = await asyncio.gather(
        *(_confirm(http, hold_id, token, secrets.token_hex(8)) for hold_id, token in winners)
    )
    assert [r.status_code for r in confirmed] == [201] * 50
    connection = await asyncpg.connect(stores.database_url)
    try:
        booked = await connection.fetchval(
            "SELECT sum(quantity) FROM bookings WHERE event_id = $1", event_id
        )
        remaining = await connection.fetchval(
            "SELECT remaining FROM slots WHERE event_id = $1", event_id
        )
    finally:
        await connection.close()
    assert (booked, remaining) == (50, 0)


async def test_hold_expires_and_its_seats_return(http: httpx.AsyncClient, new_event) -> None:
    event_id = await new_event(hold_ttl_seconds=1)
    token = await admitted_token(http, event_id)
    hold = await _hold(http, event_id, token, quantity=3)
    assert hold.status_code == 201
    assert (await _remaining(http, event_id))["a"] == 47
    await asyncio.sleep(1.5)
    assert (await _remaining(http, event_id))["a"] == 50
    late = await _confirm(http, hold.json()["hold_id"], token, "late-key")
    assert (late.status_code, late.json()["error"]) == (410, "hold_expired")


async def test_confirm_is_idempotent_per_key(http: httpx.AsyncClient, new_event) -> None:
    event_id = await new_event()
    token = await admitted_token(http, event_id)
    hold_id = (await _hold(http, event_id, token, quantity=2)).json()["hold_id"]
    first = await _confirm(http, hold_id, token, "key-1")
    again = await _confirm(http, hold_id, token, "key-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert (
        first.json()["quantity"] == 2
        and first.json()["slot_id"] == "a"
        and first.json()["event_id"] == event_id
    )
    other_key = await _confirm(http, hold_id, token, "key-2")
    assert (other_key.status_code, other_key.json()["error"]) == (409, "already_confirmed")
    booking = await http.get(
        f"/api/v1/bookings/{first.json()['booking_id']}", headers=bearer(token)
    )
    assert booking.status_code == 200 and booking.json() == first.json()
    assert (await _remaining(http, event_id))["a"] == 48


async def test_concurrent_confirms_with_one_key_make_one_booking(
    http: httpx.AsyncClient, new_event
) -> None:
    event_id = await new_event()
    token = await admitted_token(http, event_id)
    hold_id = (await _hold(http, event_id, token)).json()["hold_id"]
    responses = await asyncio.gather(
        *(_confirm(http, hold_id, token, "same-key") for _ in range(10))
    )
    booked = {r.json()["booking_id"] for r in responses if r.status_code == 201}
    assert len(booked) == 1
    assert {r.status_code for r in responses} <= {201, 409}
    assert (await _remaining(http, event_id))["a"] == 49


async def test_released_hold_returns_seats(http: httpx.AsyncClient, new_event) -> None:
    event_id = await new_event()
    token = await admitted_token(http, event_id)
    hold_id = (await _hold(http, event_id, token, quantity=4)).json()["hold_id"]
    assert (await _remaining(http, event_id))["a"] == 46
    assert (await http.delete(f"/api/v1/holds/{hold_id}", headers=bearer(token))).status_code == 204
    assert (await _remaining(http, event_id))["a"] == 50
    assert (await http.delete(f"/api/v1/holds/{hold_id}", headers=bearer(token))).status_code == 204
    after = await _confirm(http, hold_id, token, "k")
    assert (after.status_code, after.json()["error"]) == (410, "hold_released")


async def test_max_per_client_counts_holds_and_bookings(http: httpx.AsyncClient, new_event) -> None:
    event_id = await new_event(max_per_client=3)
    token = await admitted_token(http, event_id)
    hold_id = (await _hold(http, event_id, token, quantity=2)).json()["hold_id"]
    assert (await _confirm(http, hold_id, token, "k1")).status_code == 201
    over = await _hold(http, event_id, token, slot_id="b", quantity=2)
    assert (over.status_code, over.json()["error"]) == (429, "over_client_limit")
    assert (await _hold(http, event_id, token, slot_id="b", quantity=1)).status_code == 201


async def test_other_clients_cannot_touch_a_hold_or_booking(
    http: httpx.AsyncClient, new_event
) -> None:
    event_id = await new_event()
    owner, stranger = await admitted_token(http, event_id), await admitted_token(http, event_id)
    hold_id = (await _hold(http, event_id, owner)).json()["hold_id"]
    assert (await _confirm(http, hold_id, stranger, "k")).status_code == 404
    assert (
        await http.delete(f"/api/v1/holds/{hold_id}", headers=bearer(stranger))
    ).status_code == 404
    booking_id = (await _confirm(http, hold_id, owner, "k")).json()["booking_id"]
    assert (
        await http.get(f"/api/v1/bookings/{booking_id}", headers=bearer(stranger))
    ).status_code == 404


async def test_capacity_cannot_drop_below_bookings(http: httpx.AsyncClient, new_event) -> None:
    event_id = await new_event(slots=[{"id": "a", "label": "x", "capacity": 5}])
    token = await admitted_token(http, event_id)
    hold_id = (await _hold(http, event_id, token, quantity=3)).json()["hold_id"]
    assert (await _confirm(http, hold_id, token, "k")).status_code == 201
    shrink = await http.put(
        f"/api/v1/events/{event_id}",
        headers=ADMIN,
        json=event_body(slots=[{"id": "a", "label": "x", "capacity": 2}]),
    )
    assert (shrink.status_code, shrink.json()["error"]) == (409, "capacity_below_booked")
    grow = await http.put(
        f"/api/v1/events/{event_id}",
        headers=ADMIN,
        json=event_body(slots=[{"id": "a", "label": "x", "capacity": 10}]),
    )
    assert grow.status_code == 200
    assert (await _remaining(http, event_id)) == {"a": 7}
