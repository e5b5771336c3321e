"""Events end at their `ends_at` or when an admin closes them: no more joins or admissions, and
their Redis keys go after the grace period, with no admission step touching them again."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.app.conftest import ADMIN, AppProcess, Stores, client_headers, event_body, join
from ticketing.keys import EVENT_IDS_KEY, event_keys
from ticketing.redis_clients import connect_redis

GRACE_SECONDS = 1


@pytest.fixture(scope="module")
async def app_url(stores: Stores, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    app = AppProcess(
        stores,
        tmp_path_factory.mktemp("ends"),
        env={"TICKETING_EVENT_END_GRACE_SECONDS": str(GRACE_SECONDS)},
    )
    try:
        yield (await app.ready()).url
    finally:
        app.stop()


@pytest.fixture
async def http(app_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=app_url, timeout=30) as client:
        yield client


async def _redis_has(stores: Stores, event_id: str) -> tuple[bool, bool]:
    """(the event's config key exists, the event is in the admission loop's set)."""
    redis, _ = connect_redis(stores.redis_url, stores.redis_cluster)
    try:
        return (
            bool(await redis.exists(event_keys(event_id).config)),
            bool(await redis.sismember(EVENT_IDS_KEY, event_id)),
        )
    finally:
        await redis.aclose()


async def _until_keys_gone(stores: Stores, event_id: str, timeout: float = 15) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while await _redis_has(stores, event_id) != (False, False):
        assert asyncio.get_running_loop().time() < deadline, "the ended event's keys stayed"
        await asyncio.sleep(0.2)


async def _assert_ended(http: httpx.AsyncClient, stores: Stores, event_id: str) -> None:
    response = await http.post(f"/api/v1/events/{event_id}/queue", headers=client_headers())
    assert (response.status_code, response.json()["error"]) == (410, "event_ended")
    await _until_keys_gone(stores, event_id)
    # no admission step reloads it: with an event loaded, it would be back within a tick
    await asyncio.sleep(1)
    assert await _redis_has(stores, event_id) == (False, False)
    # its record still reads (loaded back for a while, never into the admission loop's set)
    view = await http.get(f"/api/v1/events/{event_id}")
    assert view.status_code == 200 and view.json()["ends_at"] is not None
    assert await _redis_has(stores, event_id) == (True, False)


async def test_an_event_ends_at_its_ends_at(http: httpx.AsyncClient, stores: Stores) -> None:
    ends_at = datetime.now(UTC) + timedelta(seconds=3)
    created = await http.put(
        "/api/v1/events/ends-by-config",
        json=event_body(ends_at=ends_at.isoformat()),
        headers=ADMIN,
    )
    assert created.status_code in (200, 201), created.text
    assert created.json()["ends_at"] == ends_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    await join(http, "ends-by-config")
    await asyncio.sleep(max(0.0, (ends_at - datetime.now(UTC)).total_seconds()) + 0.1)
    await _assert_ended(http, stores, "ends-by-config")


async def test_an_admin_closes_an_event(http: httpx.AsyncClient, stores: Stores) -> None:
    created = await http.put("/api/v1/events/ends-by-close", json=event_body(), headers=ADMIN)
    assert created.status_code in (200, 201), created.text
    await http.post("/api/v1/events/ends-by-close/pause", headers=ADMIN)
    waiting = await join(http, "ends-by-close")

    assert (await http.post("/api/v1/events/ends-by-close/close")).status_code == 401
    closed = await http.post("/api/v1/events/ends-by-close/close", headers=ADMIN)
    assert closed.status_code == 200, closed.text
    assert closed.json()["ends_at"] is not None
    resumed = await http.post("/api/v1/events/ends-by-close/resume", headers=ADMIN)
    assert (resumed.status_code, resumed.json()["error"]) == (409, "event_ended")
    place = await http.get(
        "/api/v1/events/ends-by-close/queue/me",
        headers={"Authorization": f"Bearer {waiting['ticket']}"},
    )
    assert place.status_code == 200 and not place.json()["admitted"]
    # closing again is harmless: the end stays where it was
    again = await http.post("/api/v1/events/ends-by-close/close", headers=ADMIN)
    assert again.status_code == 200 and again.json()["ends_at"] == closed.json()["ends_at"]
    await _assert_ended(http, stores, "ends-by-close")
    missing = await http.post("/api/v1/events/never-created/close", headers=ADMIN)
    assert (missing.status_code, missing.json()["error"]) == (404, "event_not_found")


async def test_ends_at_must_follow_opens_at(http: httpx.AsyncClient) -> None:
    response = await http.put(
        "/api/v1/events/ends-before-opening",
        json=event_body(opens_at="2030-01-01T10:00:00Z", ends_at="2030-01-01T09:00:00Z"),
        headers=ADMIN,
    )
    assert response.status_code == 422 and "ends_at" in response.json()["detail"]
