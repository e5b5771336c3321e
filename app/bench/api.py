"""The few calls of the ticketing HTTP API v1 the bench makes to set up and check its scenarios."""

import asyncio
import time
from typing import Any

import httpx

HOT_SLOT = "hot"
SETUP_CONCURRENCY = 64


def event_spec(
    name: str, capacity: int, admit_per_second: int, max_active: int, max_per_client: int
) -> dict[str, Any]:
    return {
        "name": name,
        "slots": [{"id": HOT_SLOT, "label": "Bench seats", "capacity": capacity}],
        "admit_per_second": admit_per_second,
        "max_active": max_active,
        "access_ttl_seconds": 3600,
        "hold_ttl_seconds": 3600,
        "max_per_client": max_per_client,
        "opens_at": None,
    }


def queue_path(event_id: str) -> str:
    return f"/api/v1/events/{event_id}/queue"


def holds_path(event_id: str) -> str:
    return f"/api/v1/events/{event_id}/holds"


def expect(response: httpx.Response, *statuses: int) -> dict[str, Any]:
    if response.status_code not in statuses:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path} answered "
            f"{response.status_code}: {response.text[:300]}"
        )
    return response.json() if response.content else {}


class Api:
    def __init__(self, base_url: str, admin_token: str) -> None:
        self.client = httpx.AsyncClient(
            base_url=base_url, timeout=30.0, limits=httpx.Limits(max_connections=SETUP_CONCURRENCY)
        )
        self.admin = {"Authorization": f"Bearer {admin_token}"}

    async def close(self) -> None:
        await self.client.aclose()

    async def put_event(self, event_id: str, spec: dict[str, Any]) -> dict[str, Any]:
        return expect(
            await self.client.put(f"/api/v1/events/{event_id}", json=spec, headers=self.admin),
            200,
            201,
        )

    async def set_paused(self, event_id: str, paused: bool) -> None:
        action = "pause" if paused else "resume"
        expect(
            await self.client.post(f"/api/v1/events/{event_id}/{action}", headers=self.admin),
            200,
            204,
        )

    async def event(self, event_id: str) -> dict[str, Any]:
        return expect(await self.client.get(f"/api/v1/events/{event_id}"), 200)

    async def enqueue(self, event_id: str, client_id: str) -> str:
        response = await self.client.post(queue_path(event_id), headers={"X-Client-Id": client_id})
        return expect(response, 200, 201)["ticket"]

    async def enqueue_many(self, event_id: str, client_ids: list[str]) -> list[str]:
        gate = asyncio.Semaphore(SETUP_CONCURRENCY)

        async def one(client_id: str) -> str:
            async with gate:
                return await self.enqueue(event_id, client_id)

        return list(await asyncio.gather(*(one(client_id) for client_id in client_ids)))

    async def position(self, event_id: str, ticket: str) -> dict[str, Any]:
        response = await self.client.get(
            f"{queue_path(event_id)}/me", headers={"Authorization": f"Bearer {ticket}"}
        )
        return expect(response, 200)

    async def access_tokens(self, event_id: str, tickets: list[str], timeout_s: float) -> list[str]:
        """Waits until every ticket is admitted; returns their access tokens in ticket order."""
        tokens: dict[str, str] = {}
        deadline = time.monotonic() + timeout_s
        while len(tokens) < len(tickets):
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{len(tickets) - len(tokens)} of {len(tickets)} tickets not "
                    f"admitted within {timeout_s:.0f} s"
                )
            pending = [ticket for ticket in tickets if ticket not in tokens]
            for ticket, state in zip(
                pending,
                await asyncio.gather(*(self.position(event_id, ticket) for ticket in pending)),
                strict=True,
            ):
                if state.get("access_token"):
                    tokens[ticket] = state["access_token"]
            await asyncio.sleep(0.2)
        return [tokens[ticket] for ticket in tickets]
