"""Several app instances against one Redis: one admission rate, one max_active, one order."""

import asyncio
import itertools
import time
from pathlib import Path

import httpx

from tests.app.conftest import (
    ADMIN,
    Stores,
    bearer,
    event_body,
    join,
    running_apps,
    wait_for_access,
)


async def test_three_replicas_never_double_admit(stores: Stores, tmp_path: Path) -> None:
    async with running_apps(stores, tmp_path, count=3) as apps:
        clients = [httpx.AsyncClient(base_url=app.url, timeout=30) for app in apps]
        try:
            by_rate, by_cap = "replicas-rate", "replicas-cap"
            created = time.monotonic()
            await clients[0].put(
                f"/api/v1/events/{by_rate}", json=event_body(admit_per_second=10), headers=ADMIN
            )
            await clients[0].put(
                f"/api/v1/events/{by_cap}",
                headers=ADMIN,
                json=event_body(max_active=15, slots=[{"id": "a", "label": "x", "capacity": 12}]),
            )
            rotation = itertools.cycle(clients)
            await asyncio.gather(*(join(next(rotation), by_rate) for _ in range(60)))
            capped = await asyncio.gather(*(join(next(rotation), by_cap) for _ in range(45)))
            await asyncio.sleep(2.0)
            rate_event = (await clients[1].get(f"/api/v1/events/{by_rate}")).json()
            elapsed = time.monotonic() - created
            # three admission loops, yet one rate: 10/s plus at most one second of saved-up
            # admissions (10), where double admission would be about 30/s
            assert 15 <= rate_event["queue"]["serving"] <= 10 * elapsed + 11, (
                rate_event["queue"],
                elapsed,
            )

            cap_event = (await clients[2].get(f"/api/v1/events/{by_cap}")).json()
            assert cap_event["queue"]["serving"] == 15, "max_active holds across replicas"
            statuses = await asyncio.gather(
                *(
                    next(rotation).get(
                        f"/api/v1/events/{by_cap}/queue/me", headers=bearer(place["ticket"])
                    )
                    for place in capped
                )
            )
            admitted = sorted(
                status.json()["number"] for status in statuses if status.json()["admitted"]
            )
            assert admitted == list(range(1, 16)), "exactly the first 15 numbers, each once"

            tokens = [
                status.json()["access_token"] for status in statuses if status.json()["admitted"]
            ]
            holds = await asyncio.gather(
                *(
                    next(rotation).post(
                        f"/api/v1/events/{by_cap}/holds",
                        json={"slot_id": "a", "quantity": 1},
                        headers=bearer(token),
                    )
                    for token in tokens
                )
            )
            assert sorted(hold.status_code for hold in holds) == [201] * 12 + [409] * 3
        finally:
            for client in clients:
                await client.aclose()


async def test_waiting_clients_are_admitted_through_any_replica(
    stores: Stores, tmp_path: Path
) -> None:
    async with (
        running_apps(stores, tmp_path, count=2) as apps,
        httpx.AsyncClient(base_url=apps[0].url) as first,
        httpx.AsyncClient(base_url=apps[1].url) as second,
    ):
        await first.put(
            "/api/v1/events/replicas-any", json=event_body(admit_per_second=50), headers=ADMIN
        )
        place = await join(first, "replicas-any")
        status = await wait_for_access(second, "replicas-any", place["ticket"])
        assert status["number"] == 1 and status["access_token"]
