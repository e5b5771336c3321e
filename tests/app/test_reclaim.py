"""After a Redis loss the queue is rebuilt empty; clients presenting a ticket of the lost queue
within the reclaim window get their old order back, ahead of every client who joined after the
loss, and old access tokens are refused. Against a real redis-server killed and restarted."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
import websockets

from tests.app.conftest import (
    ADMIN,
    AppProcess,
    Stores,
    bearer,
    client_headers,
    event_body,
    join,
    wait_for_access,
)
from ticketing.config import Settings, SettingsError
from ticketing.embedded import EmbeddedServers

RECLAIM_SECONDS = 3
EVENT = "reclaimed"


@pytest.fixture(scope="module")
async def http(
    servers: EmbeddedServers, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[httpx.AsyncClient]:
    stores = Stores(servers.redis.url, servers.postgres.url, servers.redis)
    app = AppProcess(
        stores,
        tmp_path_factory.mktemp("app"),
        env={"TICKETING_RECLAIM_SECONDS": str(RECLAIM_SECONDS)},
    )
    await app.ready()
    try:
        async with httpx.AsyncClient(base_url=app.url, timeout=30) as client:
            yield client
    finally:
        app.stop()


async def place_of(http: httpx.AsyncClient, ticket: str) -> httpx.Response:
    return await http.get(f"/api/v1/events/{EVENT}/queue/me", headers=bearer(ticket))


async def numbered(http: httpx.AsyncClient, ticket: str) -> dict[str, Any]:
    """The place once the reclaim window has numbered it."""
    deadline = asyncio.get_running_loop().time() + RECLAIM_SECONDS + 10
    while True:
        response = await place_of(http, ticket)
        assert response.status_code == 200, response.text
        if response.json()["number"] is not None:
            return dict(response.json())
        assert asyncio.get_running_loop().time() < deadline, response.text
        await asyncio.sleep(0.2)


async def test_old_tickets_reclaim_their_order_ahead_of_later_joiners(
    http: httpx.AsyncClient, servers: EmbeddedServers
) -> None:
    created = await http.put(
        f"/api/v1/events/{EVENT}", json=event_body(max_active=1), headers=ADMIN
    )
    assert created.status_code == 201, created.text
    first = await join(http, EVENT)
    access = (await wait_for_access(http, EVENT, first["ticket"]))["access_token"]
    waiting = [await join(http, EVENT) for _ in range(5)]  # numbers 2..6, behind max_active 1
    assert [joined["number"] for joined in waiting] == [2, 3, 4, 5, 6]

    servers.redis.stop(kill=True)
    await asyncio.to_thread(servers.redis.start)
    later = await http.post(f"/api/v1/events/{EVENT}/queue", headers=client_headers())
    assert later.status_code == 201, later.text  # rebuilds the queue, opens the window
    assert later.json()["number"] is None  # unnumbered until the window closes

    # they come back in another order than they had; number 3 does not come back in time
    new_tickets = {}
    for old in (waiting[3], waiting[0], waiting[2]):
        reclaimed = await place_of(http, old["ticket"])
        assert reclaimed.status_code == 200, reclaimed.text
        assert reclaimed.json()["number"] is None and not reclaimed.json()["admitted"]
        new_tickets[old["number"]] = reclaimed.json()["ticket"]
    # number 6 waits on the queue socket: it reclaims too and is pushed its new number
    socket_url = str(http.base_url).replace("http", "ws", 1) + f"/api/v1/events/{EVENT}/queue/ws"
    socket = await websockets.connect(f"{socket_url}?ticket={waiting[4]['ticket']}")
    pushed = orjson.loads(await asyncio.wait_for(socket.recv(), 10))
    assert pushed["number"] is None and "ticket" in pushed
    refused = await http.post(
        f"/api/v1/events/{EVENT}/holds",
        json={"slot_id": "a", "quantity": 1},
        headers=bearer(access),
    )
    assert (refused.status_code, refused.json()["error"]) == (401, "access_expired")

    numbers = {old: (await numbered(http, ticket))["number"] for old, ticket in new_tickets.items()}
    joined_later = (await numbered(http, later.json()["ticket"]))["number"]
    while pushed["number"] is None:
        pushed = orjson.loads(await asyncio.wait_for(socket.recv(), RECLAIM_SECONDS + 10))
    await socket.close()
    assert "ticket" not in pushed  # the socket went on with the new ticket it was given
    assert numbers == {2: 1, 4: 2, 5: 3} and pushed["number"] == 4  # FIFO among reclaimers
    assert joined_later == 5  # behind every reclaimer
    too_late = await place_of(http, waiting[1]["ticket"])
    assert (too_late.status_code, too_late.json()["error"]) == (404, "not_in_queue")
    admitted = await wait_for_access(http, EVENT, new_tickets[2])
    assert admitted["number"] == 1


def required_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "TICKETING_REDIS_URL": "redis://127.0.0.1:1/0",
        "TICKETING_DATABASE_URL": "postgresql://x@127.0.0.1:1/x",
        "TICKETING_ADMIN_TOKEN": "admin",
        "TICKETING_SECRET": "0123456789abcdef",
    }.items():
        monkeypatch.setenv(name, value)


def test_the_reclaim_window_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    required_settings(monkeypatch)
    monkeypatch.setenv("TICKETING_RECLAIM_SECONDS", "12.5")
    assert Settings.from_env().reclaim_seconds == 12.5
    monkeypatch.setenv("TICKETING_RECLAIM_SECONDS", "-1")
    with pytest.raises(SettingsError, match="TICKETING_RECLAIM_SECONDS"):
        Settings.from_env()
