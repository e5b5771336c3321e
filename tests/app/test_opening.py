"""A scheduled opening: everyone who joined before it gets a random but verifiable place."""

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta

import httpx

from tests.app.conftest import bearer, join
from ticketing.opening import opening_order


def test_opening_order_is_a_seeded_permutation() -> None:
    seed = bytes(range(32))
    order = opening_order(seed, 1000)
    assert sorted(order) == list(range(1, 1001))
    assert order == opening_order(seed, 1000), "same seed, same order"
    assert order != opening_order(b"another seed", 1000)
    assert order != list(range(1, 1001)), "not arrival order"
    assert opening_order(seed, 0) == []


async def test_prejoiners_get_the_published_permutation_then_fifo(
    http: httpx.AsyncClient, new_event
) -> None:
    opens_at = datetime.now(UTC) + timedelta(seconds=2.5)
    event_id = await new_event(opens_at=opens_at.isoformat())
    before = (await http.get(f"/api/v1/events/{event_id}")).json()
    assert before["opening"]["seed"] is None and len(before["opening"]["seed_sha256"]) == 64
    early = [await join(http, event_id) for _ in range(20)]  # sequential: arrival order is known
    assert {(place["number"], place["position"]) for place in early} == {(None, None)}

    while datetime.now(UTC) < opens_at + timedelta(seconds=0.3):
        await asyncio.sleep(0.1)
    for _ in range(50):
        after = (await http.get(f"/api/v1/events/{event_id}")).json()
        if after["opening"]["seed"]:
            break
        await asyncio.sleep(0.1)
    seed = bytes.fromhex(after["opening"]["seed"])
    assert hashlib.sha256(seed).hexdigest() == before["opening"]["seed_sha256"], (
        "seed matches the commitment"
    )
    assert after["opening"]["prejoined"] == 20

    places = [
        (await http.get(f"/api/v1/events/{event_id}/queue/me", headers=bearer(p["ticket"]))).json()
        for p in early
    ]
    assert [place["number"] for place in places] == opening_order(seed, 20)
    late = await join(http, event_id)
    assert late["number"] == 21, "after the opening, FIFO behind everyone who was early"
