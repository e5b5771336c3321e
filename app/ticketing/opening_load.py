"""The opening scenario: `users` buyers arrive within `arrival_seconds`, each as the pages behave.

A buyer joins and holds the queue WebSocket, polls its place as the waiting-room page does, and once
admitted opens the availability socket, picks a slot with seats left, holds 1-4 seats and confirms
70 % of the time; the rest release the hold (15 %) or let it expire (15 %). The report: time to
sell out, requests/s by route, p50/p99 per step, the availability push lag (from a buyer's hold
answer to the next push on its socket), oversold and leaked seats read back from the server.
"""

import asyncio
import contextlib
import random
import secrets
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from websockets.asyncio.client import ClientConnection, connect

POLL_SECONDS = 1.0
CONFIRM_SHARE, RELEASE_SHARE = 0.70, 0.15
MAX_SEATS_PER_HOLD = 4
PUSH_WAIT_SECONDS = 2.0
WATCH_SECONDS = 0.2
# Expired holds go back to the pool at the next admission steps (reap).
SETTLE_SECONDS = 2.0


class OpeningError(Exception):
    """An answer the scenario did not expect: counted by kind."""


@dataclass
class Recorder:
    started: float = field(default_factory=time.monotonic)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    outcomes: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    push_lags: list[float] = field(default_factory=list)
    booked_seats: int = 0
    remaining: dict[str, int] = field(default_factory=dict)
    sold_out_at: float | None = None
    first_turned_away: float | None = None

    @contextlib.asynccontextmanager
    async def step(self, name: str) -> AsyncIterator[None]:
        began = time.monotonic()
        yield
        self.latencies[name].append(time.monotonic() - began)

    @property
    def sold_out(self) -> bool:
        return bool(self.remaining) and not any(self.remaining.values())


def _expect(response: httpx.Response, *statuses: int) -> dict[str, Any]:
    if response.status_code not in statuses:
        raise OpeningError(
            f"{response.request.method} {response.request.url.path} -> {response.status_code}"
        )
    return response.json() if response.content else {}


async def _message(socket: ClientConnection, timeout: float) -> dict[str, Any] | None:
    try:
        return dict(orjson.loads(await asyncio.wait_for(socket.recv(), timeout)))
    except TimeoutError:
        return None


async def _admission(
    http: httpx.AsyncClient, ws_url: str, event_id: str, ticket: str, recorder: Recorder
) -> str | None:
    """Waits on the queue socket and polls like the page; the access token, or None (sold out)."""
    headers = {"Authorization": f"Bearer {ticket}"}
    async with recorder.step("queue_ws_connect"):
        socket = await connect(f"{ws_url}/api/v1/events/{event_id}/queue/ws?ticket={ticket}")
    async with socket:
        while not recorder.sold_out:
            pushed = await _message(socket, POLL_SECONDS * random.uniform(0.8, 1.2))
            if pushed and pushed.get("admitted") and pushed.get("access_token"):
                return str(pushed["access_token"])
            async with recorder.step("position"):
                place = _expect(
                    await http.get(f"/api/v1/events/{event_id}/queue/me", headers=headers), 200
                )
            if place["admitted"]:
                return str(place["access_token"])
    return None


async def _hold(
    http: httpx.AsyncClient, event_id: str, headers: dict[str, str], recorder: Recorder
) -> dict[str, Any] | None:
    quantity = random.randint(1, MAX_SEATS_PER_HOLD)
    while True:
        open_slots = [slot for slot, seats in recorder.remaining.items() if seats >= quantity]
        if not open_slots:
            return None
        slot_id = random.choice(open_slots)
        async with recorder.step("hold"):
            response = await http.post(
                f"/api/v1/events/{event_id}/holds",
                headers=headers,
                json={"slot_id": slot_id, "quantity": quantity},
            )
        if response.status_code == 409:
            recorder.remaining[slot_id] = 0
            continue
        return _expect(response, 201)


async def _settle(
    http: httpx.AsyncClient, hold: dict[str, Any], headers: dict[str, str], recorder: Recorder
) -> str:
    """Confirms, releases or walks away; a hold that expired first (410) is an outcome of its own,
    as it is for a buyer whose answers came too slowly."""
    choice = random.random()
    if choice < CONFIRM_SHARE:
        async with recorder.step("confirm"):
            response = await http.post(
                f"/api/v1/holds/{hold['hold_id']}/confirm",
                headers={**headers, "Idempotency-Key": secrets.token_hex(8)},
            )
        if response.status_code == 410:
            return "hold_expired_first"
        recorder.booked_seats += int(_expect(response, 201)["quantity"])
        return "booked"
    if choice < CONFIRM_SHARE + RELEASE_SHARE:
        async with recorder.step("release"):
            response = await http.delete(f"/api/v1/holds/{hold['hold_id']}", headers=headers)
        return "hold_expired_first" if response.status_code == 410 else _released(response)
    return "walked_away"


def _released(response: httpx.Response) -> str:
    _expect(response, 204)
    return "released"


async def _shop(
    http: httpx.AsyncClient, ws_url: str, event_id: str, token: str, recorder: Recorder
) -> str:
    headers = {"Authorization": f"Bearer {token}"}
    async with recorder.step("availability_ws_connect"):
        socket = await connect(f"{ws_url}/api/v1/events/{event_id}/availability/ws")
    async with socket:
        await _message(socket, PUSH_WAIT_SECONDS)  # the current counts, sent on connect
        hold = await _hold(http, event_id, headers, recorder)
        if hold is None:
            if recorder.first_turned_away is None:
                recorder.first_turned_away = time.monotonic() - recorder.started
            return "sold_out"
        held_at = time.monotonic()
        if await _message(socket, PUSH_WAIT_SECONDS) is not None:
            recorder.push_lags.append(time.monotonic() - held_at)
        return await _settle(http, hold, headers, recorder)


async def _buyer(
    http: httpx.AsyncClient, ws_url: str, event_id: str, arrival: float, recorder: Recorder
) -> None:
    await asyncio.sleep(arrival)
    try:
        async with recorder.step("join"):
            joined = _expect(
                await http.post(
                    f"/api/v1/events/{event_id}/queue",
                    headers={"X-Client-Id": secrets.token_urlsafe(12)},
                ),
                200,
                201,
            )
        token = await _admission(http, ws_url, event_id, joined["ticket"], recorder)
        if token is None:
            recorder.outcomes["sold_out_waiting"] += 1
            return
        recorder.outcomes["admitted"] += 1
        recorder.outcomes[await _shop(http, ws_url, event_id, token, recorder)] += 1
    except (OpeningError, httpx.HTTPError, OSError) as error:
        recorder.errors[
            str(error) if isinstance(error, OpeningError) else type(error).__name__
        ] += 1


async def _slots(http: httpx.AsyncClient, event_id: str) -> list[dict[str, Any]]:
    return list(_expect(await http.get(f"/api/v1/events/{event_id}"), 200)["slots"])


async def _watch(http: httpx.AsyncClient, event_id: str, recorder: Recorder) -> None:
    """Keeps the seat counts buyers pick from; notes when the event last reached zero."""
    while True:
        with contextlib.suppress(OpeningError, httpx.HTTPError):
            slots = await _slots(http, event_id)
            was_sold_out = recorder.sold_out
            recorder.remaining = {slot["id"]: slot["remaining"] for slot in slots}
            if recorder.sold_out and not was_sold_out:
                recorder.sold_out_at = time.monotonic() - recorder.started
        await asyncio.sleep(WATCH_SECONDS)


def _steps(recorder: Recorder, seconds: float) -> dict[str, dict[str, float]]:
    report = {}
    for name, values in sorted(recorder.latencies.items()):
        cuts = statistics.quantiles(values, n=100) if len(values) > 1 else values * 99
        report[name] = {
            "requests": len(values),
            "rps": len(values) / seconds,
            "p50_ms": statistics.median(values) * 1000,
            "p99_ms": cuts[98] * 1000,
        }
    return report


async def _settled_slots(http: httpx.AsyncClient, event_id: str) -> list[dict[str, Any]]:
    """The slots once every unconfirmed hold has expired and been returned."""
    event = _expect(await http.get(f"/api/v1/events/{event_id}"), 200)
    await asyncio.sleep(event["hold_ttl_seconds"] + SETTLE_SECONDS)
    return await _slots(http, event_id)


def passed(report: dict[str, Any]) -> bool:
    return report["oversold"] == 0 and report["leaked_seats"] == 0 and not report["errors"]


async def run_opening(
    url: str, event_id: str, users: int, arrival_seconds: float
) -> dict[str, Any]:
    """Drives the scenario against `url`; figures as a JSON-ready dict."""
    recorder = Recorder()
    ws_url = "ws" + url.removeprefix("http")
    limits = httpx.Limits(max_connections=512, max_keepalive_connections=512)
    async with httpx.AsyncClient(
        base_url=url, limits=limits, timeout=httpx.Timeout(60, pool=None)
    ) as http:
        capacity = sum(slot["capacity"] for slot in await _slots(http, event_id))
        watcher = asyncio.create_task(_watch(http, event_id, recorder))
        await asyncio.gather(
            *(
                _buyer(http, ws_url, event_id, random.uniform(0, arrival_seconds), recorder)
                for _ in range(users)
            )
        )
        seconds = time.monotonic() - recorder.started
        watcher.cancel()
        slots = await _settled_slots(http, event_id)
    remaining = sum(slot["remaining"] for slot in slots)
    lags = recorder.push_lags
    return {
        "users": users,
        "arrival_seconds": arrival_seconds,
        "seconds": seconds,
        # every slot at 0 (unconfirmed holds may return seats later), and the first buyer who found
        # no slot with the seats it wanted
        "time_to_sell_out_s": recorder.sold_out_at,
        "first_turned_away_s": recorder.first_turned_away,
        "outcomes": dict(recorder.outcomes),
        "errors": dict(recorder.errors),
        "steps": _steps(recorder, seconds),
        "push_lag_ms": {
            "pushes": len(lags),
            "p50": statistics.median(lags) * 1000 if lags else None,
            "p99": statistics.quantiles(lags, n=100)[98] * 1000 if len(lags) > 1 else None,
        },
        "capacity": capacity,
        "booked_seats": recorder.booked_seats,
        "oversold": max(0, recorder.booked_seats - capacity)
        + sum(max(0, -slot["remaining"]) for slot in slots),
        "leaked_seats": capacity - remaining - recorder.booked_seats,
    }
