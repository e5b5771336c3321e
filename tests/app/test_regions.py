"""Two regions, each with a Redis of its own, share one database (prod and the dr standby, which
reaches prod's writer through the global endpoint): a region loading an event into its Redis fences
only its own earlier copies, never the other region's confirms."""

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.app.conftest import AppProcess, Stores, admitted_token, bearer
from ticketing.embedded import EmbeddedRedis


@pytest.fixture
async def dr_region(stores: Stores, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    redis = EmbeddedRedis(tmp_path)
    redis.start()
    app = await AppProcess(
        Stores(redis.url, stores.database_url, redis), tmp_path, env={"TICKETING_DEPLOYMENT": "dr"}
    ).ready()
    try:
        async with httpx.AsyncClient(base_url=app.url, timeout=30) as http:
            yield http
    finally:
        app.stop()
        redis.stop()


async def _book(http: httpx.AsyncClient, event_id: str, key: str) -> int:
    token = await admitted_token(http, event_id)
    hold = await http.post(
        f"/api/v1/events/{event_id}/holds",
        json={"slot_id": "a", "quantity": 1},
        headers=bearer(token),
    )
    assert hold.status_code == 201, hold.text
    confirmed = await http.post(
        f"/api/v1/holds/{hold.json()['hold_id']}/confirm",
        headers={**bearer(token), "Idempotency-Key": key},
    )
    return confirmed.status_code


async def test_the_other_region_loading_an_event_does_not_fence_this_regions_confirms(
    http: httpx.AsyncClient, new_event, dr_region: httpx.AsyncClient, stores: Stores
) -> None:
    event_id = await new_event(slots=[{"id": "a", "label": "x", "capacity": 10}])
    assert await _book(http, event_id, "before") == 201
    # dr's Redis lacks the event: reading it there loads it, a new copy in dr's deployment
    assert (await dr_region.get(f"/api/v1/events/{event_id}")).status_code == 200
    assert await _book(http, event_id, "after") == 201
    assert await _book(dr_region, event_id, "in-dr") == 201
    database = await asyncpg.connect(stores.database_url)
    try:
        remaining = await database.fetchval(
            "SELECT remaining FROM slots WHERE event_id = $1", event_id
        )
    finally:
        await database.close()
    assert remaining == 7, "three bookings, both regions', in the one database"
