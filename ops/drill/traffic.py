"""Steady buyers through HAProxy, each recorded: every request (when, which region answered,
whether as expected) and every booking acknowledged.

Each buyer is one `ticketing surge` client's path (join, wait for admission, hold one seat,
confirm), started at a steady rate instead of all at once. A buyer that gets an unexpected answer
gives up (counted as failed) and the next one starts fresh, as a real buyer would reload.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from ops.drill.haproxy import CLIENT_HEADER, TARGET_HEADER

POLL_SECONDS = 0.2
MAX_POLLS = 100
REQUEST_TIMEOUT_SECONDS = 10.0
DRAIN_SECONDS = 15.0


@dataclass(frozen=True)
class RequestRecord:
    at: float
    step: str
    target: str | None  # None: HAProxy answered itself, or nothing answered
    status: int  # 0: no answer
    ok: bool
    seconds: float


@dataclass(frozen=True)
class BookingRecord:
    at: float
    target: str
    booking_id: str
    slot_id: str
    client_id: str
    confirm_seconds: float


@dataclass
class Records:
    requests: list[RequestRecord] = field(default_factory=list)
    bookings: list[BookingRecord] = field(default_factory=list)
    outcomes: list[tuple[float, str, str | None]] = field(default_factory=list)


class Unexpected(Exception):
    pass


@dataclass
class Buyers:
    url: str
    event_id: str
    slot_ids: list[str]
    per_second: float
    clock_zero: float
    max_in_flight: int = 300
    records: Records = field(default_factory=Records)
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def now(self) -> float:
        return time.monotonic() - self.clock_zero

    def start(self) -> None:
        self.thread = threading.Thread(target=asyncio.run, args=(self._run(),), daemon=True)
        self.thread.start()

    def finish(self) -> Records:
        self.stop.set()
        if self.thread is not None:
            self.thread.join(timeout=DRAIN_SECONDS + REQUEST_TIMEOUT_SECONDS)
        return self.records

    async def _run(self) -> None:
        limits = httpx.Limits(max_connections=self.max_in_flight)
        in_flight = asyncio.Semaphore(self.max_in_flight)
        tasks: set[asyncio.Task[None]] = set()
        async with httpx.AsyncClient(
            base_url=self.url, limits=limits, timeout=REQUEST_TIMEOUT_SECONDS
        ) as http:
            next_start = time.monotonic()
            while not self.stop.is_set():
                if in_flight.locked():
                    await asyncio.sleep(0.01)
                    continue
                await in_flight.acquire()
                task = asyncio.create_task(self._buyer(http, in_flight))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                next_start += 1 / self.per_second
                await asyncio.sleep(max(0.0, next_start - time.monotonic()))
            if tasks:
                await asyncio.wait(tasks, timeout=DRAIN_SECONDS)

    async def _call(
        self, http: httpx.AsyncClient, step: str, expected: tuple[int, ...], **request: Any
    ) -> tuple[dict[str, Any], str | None]:
        started = time.monotonic()
        try:
            response = await http.request(**request)
        except httpx.HTTPError:
            self.records.requests.append(
                RequestRecord(self.now(), step, None, 0, False, time.monotonic() - started)
            )
            raise Unexpected(step) from None
        target = response.headers.get(TARGET_HEADER)
        ok = response.status_code in expected
        self.records.requests.append(
            RequestRecord(
                self.now(), step, target, response.status_code, ok, time.monotonic() - started
            )
        )
        if not ok:
            raise Unexpected(step)
        body = response.json() if response.content else {}
        body["_status"] = response.status_code
        return body, target

    async def _buyer(self, http: httpx.AsyncClient, in_flight: asyncio.Semaphore) -> None:
        client = secrets.token_urlsafe(12)
        headers = {CLIENT_HEADER: client}
        target: str | None = None
        event = f"/api/v1/events/{self.event_id}"
        try:
            joined, target = await self._call(
                http, "join", (200, 201), method="POST", url=f"{event}/queue", headers=headers
            )
            ticket = {**headers, "Authorization": f"Bearer {joined['ticket']}"}
            for _ in range(MAX_POLLS):
                place, target = await self._call(
                    http, "place", (200,), method="GET", url=f"{event}/queue/me", headers=ticket
                )
                if place["admitted"]:
                    break
                await asyncio.sleep(POLL_SECONDS)
            else:
                raise Unexpected("admission")
            access = {**headers, "Authorization": f"Bearer {place['access_token']}"}
            slots = random.sample(self.slot_ids, len(self.slot_ids))  # noqa: S311 -- load shape
            for slot_id in slots:
                hold, target = await self._call(
                    http,
                    "hold",
                    (201, 409),
                    method="POST",
                    url=f"{event}/holds",
                    headers=access,
                    json={"slot_id": slot_id, "quantity": 1},
                )
                if hold["_status"] == 201:
                    break
            else:
                self.records.outcomes.append((self.now(), "sold_out", target))
                return
            started = time.monotonic()
            booking, target = await self._call(
                http,
                "confirm",
                (201,),
                method="POST",
                url=f"/api/v1/holds/{hold['hold_id']}/confirm",
                headers={**access, "Idempotency-Key": secrets.token_hex(8)},
            )
            self.records.bookings.append(
                BookingRecord(
                    self.now(),
                    target or "?",
                    booking["booking_id"],
                    booking["slot_id"],
                    client,
                    time.monotonic() - started,
                )
            )
            self.records.outcomes.append((self.now(), "booked", target))
        except Unexpected as error:
            self.records.outcomes.append((self.now(), f"failed:{error}", target))
        finally:
            in_flight.release()
