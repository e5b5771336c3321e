"""`ticketing surge`: an opening burst of simulated buyers, and a report read back from the server.

Every buyer joins the queue, waits for admission (polling its place), picks a slot with seats
left, holds one seat and confirms. Buyers still waiting when every slot shows 0 give up as
"sold out". The closing report checks the bookings it got against what the event says.
"""

import asyncio
import random
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

POLL_MIN_SECONDS, POLL_MAX_SECONDS = 0.3, 2.0
EVENT_REFRESH_SECONDS = 0.5


@dataclass
class Booking:
    booking_id: str
    slot_id: str
    quantity: int
    access_token: str


@dataclass
class SurgeState:
    outcomes: Counter[str] = field(default_factory=Counter)
    bookings: list[Booking] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    remaining: dict[str, int] = field(default_factory=dict)

    @property
    def sold_out(self) -> bool:
        return bool(self.remaining) and not any(self.remaining.values())


class SurgeError(Exception):
    """An unexpected answer: counted by kind in the report."""


def _expect(response: httpx.Response, *statuses: int) -> dict[str, Any]:
    if response.status_code not in statuses:
        raise SurgeError(
            f"{response.request.method} {response.request.url.path} -> {response.status_code}"
        )
    return response.json() if response.content else {}


async def _wait_for_admission(
    http: httpx.AsyncClient, event_id: str, ticket: str, state: SurgeState
) -> str | None:
    headers = {"Authorization": f"Bearer {ticket}"}
    while True:
        place = _expect(await http.get(f"/api/v1/events/{event_id}/queue/me", headers=headers), 200)
        if place["admitted"]:
            return str(place["access_token"])
        if state.sold_out:
            return None
        eta = place["eta_seconds"] or 0
        await asyncio.sleep(
            min(POLL_MAX_SECONDS, max(POLL_MIN_SECONDS, eta / 3)) * random.uniform(0.8, 1.2)
        )


async def _hold_and_confirm(
    http: httpx.AsyncClient, event_id: str, token: str, state: SurgeState
) -> str:
    headers = {"Authorization": f"Bearer {token}"}
    while True:
        open_slots = [slot for slot, seats in state.remaining.items() if seats > 0]
        if not open_slots:
            return "sold_out"
        slot_id = random.choice(open_slots)
        response = await http.post(
            f"/api/v1/events/{event_id}/holds",
            headers=headers,
            json={"slot_id": slot_id, "quantity": 1},
        )
        if response.status_code == 409:
            state.remaining[slot_id] = 0
            continue
        hold = _expect(response, 201)
        confirm_headers = {**headers, "Idempotency-Key": secrets.token_hex(8)}
        booking = _expect(
            await http.post(f"/api/v1/holds/{hold['hold_id']}/confirm", headers=confirm_headers),
            201,
        )
        state.bookings.append(
            Booking(booking["booking_id"], booking["slot_id"], booking["quantity"], token)
        )
        return "booked"


async def _buyer(
    http: httpx.AsyncClient, event_id: str, state: SurgeState, progress: Progress, task: Any
) -> None:
    try:
        joined = _expect(
            await http.post(
                f"/api/v1/events/{event_id}/queue",
                headers={"X-Client-Id": secrets.token_urlsafe(12)},
            ),
            201,
            200,
        )
        state.outcomes["joined"] += 1
        token = await _wait_for_admission(http, event_id, joined["ticket"], state)
        if token is None:
            state.outcomes["sold_out"] += 1
            return
        state.outcomes["admitted"] += 1
        state.outcomes[await _hold_and_confirm(http, event_id, token, state)] += 1
    except (SurgeError, httpx.HTTPError) as error:
        state.errors[str(error) if isinstance(error, SurgeError) else type(error).__name__] += 1
    finally:
        progress.update(task, advance=1, description=_describe(state))


def _describe(state: SurgeState) -> str:
    counts = state.outcomes
    return (
        f"joined {counts['joined']}  admitted {counts['admitted']}  booked {counts['booked']}  "
        f"sold out {counts['sold_out']}  errors {sum(state.errors.values())}"
    )


async def _refresh_remaining(http: httpx.AsyncClient, event_id: str, state: SurgeState) -> None:
    event = _expect(await http.get(f"/api/v1/events/{event_id}"), 200)
    state.remaining = {slot["id"]: slot["remaining"] for slot in event["slots"]}


async def _watch_event(http: httpx.AsyncClient, event_id: str, state: SurgeState) -> None:
    while True:
        await asyncio.sleep(EVENT_REFRESH_SECONDS)
        try:
            await _refresh_remaining(http, event_id, state)
        except (SurgeError, httpx.HTTPError):
            continue


async def _read_back(http: httpx.AsyncClient, event_id: str, state: SurgeState) -> dict[str, Any]:
    """What the server says now: the event's slots and each booking this surge was given."""
    event = _expect(await http.get(f"/api/v1/events/{event_id}"), 200)
    confirmed: Counter[str] = Counter()
    missing = 0
    for booking in state.bookings:
        response = await http.get(
            f"/api/v1/bookings/{booking.booking_id}",
            headers={"Authorization": f"Bearer {booking.access_token}"},
        )
        if response.status_code == 200:
            confirmed[response.json()["slot_id"]] += response.json()["quantity"]
        else:
            missing += 1
    oversold = sum(
        max(0, confirmed[slot["id"]] - slot["capacity"]) + max(0, -slot["remaining"])
        for slot in event["slots"]
    )
    return {"event": event, "confirmed": confirmed, "missing": missing, "oversold": oversold}


def _report(
    console: Console, state: SurgeState, readback: dict[str, Any], clients: int, seconds: float
) -> None:
    table = Table(title=f"surge: {clients} clients in {seconds:.1f}s")
    table.add_column("slot")
    for column in ("capacity", "remaining", "booked by surge"):
        table.add_column(column, justify="right")
    for slot in readback["event"]["slots"]:
        table.add_row(
            slot["label"],
            str(slot["capacity"]),
            str(slot["remaining"]),
            str(readback["confirmed"][slot["id"]]),
        )
    console.print(table)
    counts = state.outcomes
    console.print(
        f"admitted {counts['admitted']}  booked {counts['booked']}  sold out {counts['sold_out']}  "
        f"errors {sum(state.errors.values())}  bookings not found {readback['missing']}  "
        f"oversold {readback['oversold']}"
    )
    for error, count in state.errors.most_common(5):
        console.print(f"  error x{count}: {error}")


async def run_surge(
    url: str, event_id: str, clients: int, concurrency: int, console: Console
) -> int:
    """Returns the exit status: 0 when nothing was oversold, no booking went missing and no
    errors.
    """
    state = SurgeState()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=url, limits=limits, timeout=httpx.Timeout(30, pool=None)
    ) as http:
        try:
            await _refresh_remaining(http, event_id, state)
        except (SurgeError, httpx.HTTPError) as error:
            console.print(f"[red]cannot read event {event_id!r} at {url}: {error}")
            return 2
        watcher = asyncio.create_task(_watch_event(http, event_id, state))
        started = time.monotonic()
        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )
        with progress:
            task = progress.add_task(_describe(state), total=clients)
            await asyncio.gather(
                *(_buyer(http, event_id, state, progress, task) for _ in range(clients))
            )
        watcher.cancel()
        readback = await _read_back(http, event_id, state)
    _report(console, state, readback, clients, time.monotonic() - started)
    healthy = readback["oversold"] == 0 and readback["missing"] == 0 and not state.errors
    return 0 if healthy else 1
