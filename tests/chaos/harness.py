"""Booking races and queue bursts against real redis-server, PostgreSQL and app processes while one
fault is injected, then the invariants of issue 14 checked against PostgreSQL and the API.

Each run creates its own event; buyers join, wait for admission, hold one seat with an
Idempotency-Key and confirm it with another, retrying with the same keys on a 503 or a dropped
connection (against the other app when theirs died), as a well-behaved client does."""

import asyncio
import contextlib
import os
import secrets
import signal
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from redis.asyncio import Redis
from redis.exceptions import RedisError

from tests.app.conftest import ADMIN, AppProcess, Stores
from ticketing.embedded import EmbeddedServers
from ticketing.keys import event_keys

CAPACITY = 60  # more than the buyers take: a leaked seat shows in what remains
MAX_ACTIVE = 20
BUYERS = 40
# Each buyer holds and releases this many times before the hold it confirms: hold traffic flows
# while the fault strikes.
CHANGES_OF_MIND = 3
HOLD_TTL_SECONDS = 3
# Short, so that buyers who are done free their place in max_active for the next ones soon.
ACCESS_TTL_SECONDS = 8
# The fault strikes once this many hold answers came back: while seats are being held.
HOLDS_BEFORE_FAULT = 25
RUN_SECONDS = 30.0
CONVERGE_SECONDS = 5.0
OLD_TOKEN_TRIES = 30
EARLY_BUYERS = 5
# The apps' Redis client gives up on a stalled server after this long (then 503).
REDIS_URL_OPTIONS = "?socket_timeout=1&socket_connect_timeout=1"
INVARIANTS = (
    "no oversell",
    "no leaked seat",
    "acked bookings exist",
    "active <= max_active",
    "old tokens refused",
    "FIFO among reclaimers",
    "confirm retry <= 2 s",
    "no 500",
)
CONFIRM_RETRY_SECONDS = 2.0


@dataclass
class Rig:
    """The servers and two app replicas under test."""

    servers: EmbeddedServers
    stores: Stores
    log_folder: Path
    apps: list[AppProcess] = field(default_factory=list)
    # one pool for every buyer: a client per request would cost the harness more CPU than the app
    http: httpx.AsyncClient = field(
        default_factory=lambda: httpx.AsyncClient(
            timeout=10, limits=httpx.Limits(max_connections=400, max_keepalive_connections=400)
        )
    )

    @classmethod
    async def start(cls, log_folder: Path) -> "Rig":
        servers = await asyncio.to_thread(EmbeddedServers().start)
        stores = Stores(servers.redis.url + REDIS_URL_OPTIONS, servers.postgres.url, servers.redis)
        rig = cls(servers, stores, log_folder)
        rig.apps = [await AppProcess(stores, log_folder).ready() for _ in range(2)]
        return rig

    async def replace_app(self, index: int) -> None:
        self.apps[index].stop(kill=True)
        self.apps[index] = await AppProcess(self.stores, self.log_folder).ready()

    def url(self, path: str, app: int = 1) -> str:
        return self.apps[app % len(self.apps)].url + path

    async def stop(self) -> None:
        await self.http.aclose()
        for app in self.apps:
            app.stop()
        self.servers.stop()


async def stall_redis(rig: Rig) -> None:
    pid = rig.servers.redis.process.pid  # type: ignore[union-attr]
    os.kill(pid, signal.SIGSTOP)
    await asyncio.sleep(2.5)
    os.kill(pid, signal.SIGCONT)


async def restart_redis(rig: Rig) -> None:
    rig.servers.redis.stop(kill=True)
    await asyncio.sleep(0.3)
    await asyncio.to_thread(rig.servers.redis.start)


async def kill_redis_clients(rig: Rig) -> None:
    redis = Redis.from_url(rig.servers.redis.url)
    try:
        for _ in range(10):
            await redis.execute_command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")
            await asyncio.sleep(0.1)
    finally:
        await redis.aclose()


async def kill_postgres(rig: Rig) -> None:
    rig.servers.postgres.stop(kill=True)
    await asyncio.sleep(0.3)
    await asyncio.to_thread(rig.servers.postgres.start)


async def kill_app(rig: Rig) -> None:
    await rig.replace_app(0)


FAULTS: dict[str, Callable[[Rig], Awaitable[None]]] = {
    "redis SIGSTOP/SIGCONT": stall_redis,
    "redis CLIENT KILL": kill_redis_clients,
    "redis SIGKILL+restart": restart_redis,
    "postgres SIGKILL+restart": kill_postgres,
    "app SIGKILL": kill_app,
}
FAST_FAULTS = ("redis SIGSTOP/SIGCONT", "redis CLIENT KILL", "redis SIGKILL+restart")


@dataclass
class Observed:
    statuses: Counter[int] = field(default_factory=Counter)
    acknowledged: dict[str, dict[str, Any]] = field(default_factory=dict)  # booking id -> body
    confirm_keys: list[tuple[str, str, str]] = field(default_factory=list)  # token, hold, key
    max_active: int = 0
    sampling_errors: int = 0
    holds_answered: int = 0
    confirms_retried: int = 0
    holding: asyncio.Event = field(default_factory=asyncio.Event)
    confirm_retry_seconds: float = 0.0
    rebuilt: bool = False  # the fault is over: joins from now on are joins after the loss
    reclaims: list[tuple[int, int]] = field(default_factory=list)  # old number, new number
    joined_after: list[int] = field(default_factory=list)  # numbers of joins after the loss


class Buyer:
    """One client: join, wait, hold, confirm; every step retried with the same keys."""

    def __init__(self, rig: Rig, event_id: str, observed: Observed, index: int) -> None:
        self.rig, self.event_id, self.observed = rig, event_id, observed
        self.client_id = f"buyer-{index:04d}-{secrets.token_hex(4)}"
        self.turn = index
        self.ticket: str | None = None

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response | None:
        """One attempt at the app of this turn; None when the connection failed."""
        headers = {"X-Client-Id": self.client_id, **kwargs.pop("headers", {})}
        try:
            response = await self.rig.http.request(
                method, self.rig.url(path, self.turn), headers=headers, **kwargs
            )
        except httpx.HTTPError:
            self.turn += 1  # the other replica, as a load balancer would
            return None
        self.observed.statuses[response.status_code] += 1
        return response

    async def buy(self, deadline: float) -> None:
        token = None
        changes_of_mind = CHANGES_OF_MIND
        hold_key = secrets.token_hex(8)
        while time.monotonic() < deadline:
            if token is None:
                token = await self.admitted(deadline)
                if token is None:
                    return
            auth = {"Authorization": f"Bearer {token}"}
            held = await self.request(
                "POST",
                f"/api/v1/events/{self.event_id}/holds",
                json={"slot_id": "a", "quantity": 1},
                headers={**auth, "Idempotency-Key": hold_key},
            )
            self.observed.holds_answered += 1
            if self.observed.holds_answered >= HOLDS_BEFORE_FAULT:
                self.observed.holding.set()
            if held is None or held.status_code == 503:
                await asyncio.sleep(0.1)
                continue
            if held.status_code == 401:  # admission lapsed or the queue was rebuilt: ask the ticket
                token, hold_key = None, secrets.token_hex(8)
                continue
            if held.status_code in (409, 410):  # sold out, or the hold expired meanwhile
                if held.status_code == 409 and held.json()["error"] == "sold_out":
                    return
                hold_key = secrets.token_hex(8)
                continue
            if held.status_code not in (200, 201):
                raise AssertionError(f"hold answered {held.status_code}: {held.text}")
            hold_id, hold_key = held.json()["hold_id"], secrets.token_hex(8)
            if changes_of_mind:
                changes_of_mind -= 1
                await self.release(auth, hold_id, deadline)
            elif await self.confirm(token, hold_id, secrets.token_hex(8), deadline):
                return

    async def release(self, auth: dict[str, str], hold_id: str, deadline: float) -> None:
        while time.monotonic() < deadline:
            released = await self.request("DELETE", f"/api/v1/holds/{hold_id}", headers=auth)
            if released is not None and released.status_code != 503:
                return
            await asyncio.sleep(0.1)

    async def admitted(self, deadline: float) -> str | None:
        """Waits for admission with the ticket held (joining first without one); a ticket of a
        queue lost since reclaims its place, and the reply's new ticket is kept."""
        number: int | None = None  # of the ticket held, once known
        reclaimed_from: int | None = None  # the old number of a reclaimed ticket
        joined_after = False  # the ticket held came from a join after the loss
        while time.monotonic() < deadline:
            if self.ticket is None:
                after_loss = self.observed.rebuilt
                joined = await self.request("POST", f"/api/v1/events/{self.event_id}/queue")
                if joined is not None and joined.status_code in (200, 201):
                    self.ticket, number = joined.json()["ticket"], joined.json()["number"]
                    joined_after, reclaimed_from = after_loss, None
                    self.numbered(number, None, joined_after)
                else:
                    await asyncio.sleep(0.2)
                continue
            place = await self.request(
                "GET",
                f"/api/v1/events/{self.event_id}/queue/me",
                headers={"Authorization": f"Bearer {self.ticket}"},
            )
            if place is not None and place.status_code == 404:
                self.ticket = None  # not reclaimed in time: join again
            elif place is not None and place.status_code == 200:
                body = place.json()
                if "ticket" in body:  # reclaimed: numbered when the window closes
                    self.ticket, reclaimed_from, number = body["ticket"], number, None
                if number is None and body["number"] is not None:
                    number = body["number"]
                    self.numbered(number, reclaimed_from, joined_after)
                if body["admitted"]:
                    return str(body["access_token"])
                if body["lapsed"]:
                    self.ticket = None
            await asyncio.sleep(0.1)
        return None

    def numbered(self, number: int | None, reclaimed_from: int | None, joined_after: bool) -> None:
        if number is None:
            return
        if reclaimed_from is not None:
            self.observed.reclaims.append((reclaimed_from, number))
        elif joined_after:
            self.observed.joined_after.append(number)

    async def confirm(self, token: str, hold_id: str, key: str, deadline: float) -> bool:
        """True when booked; False when the hold is gone (buy again)."""
        self.observed.confirm_keys.append((token, hold_id, key))
        first_failure = None
        while time.monotonic() < deadline:
            confirmed = await self.request(
                "POST",
                f"/api/v1/holds/{hold_id}/confirm",
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
            )
            if confirmed is not None and confirmed.status_code == 201:
                self.observed.acknowledged[confirmed.json()["booking_id"]] = confirmed.json()
                if first_failure is not None:
                    self.observed.confirms_retried += 1
                    waited = time.monotonic() - first_failure
                    self.observed.confirm_retry_seconds = max(
                        self.observed.confirm_retry_seconds, waited
                    )
                return True
            if confirmed is not None and confirmed.status_code in (404, 409, 410):
                return False
            first_failure = first_failure or time.monotonic()
            await asyncio.sleep(0.1)
        return False


async def old_tokens_after_restart(rig: Rig, event_id: str, tokens: list[str]) -> int:
    """How many holds access tokens issued before a Redis loss still get after it, tried for a
    while as the rebuilt queue admits new clients (whose numbers restart at 1)."""
    accepted = 0
    for _ in range(OLD_TOKEN_TRIES):
        for token in tokens:
            auth = {"Authorization": f"Bearer {token}"}
            response = await rig.http.post(
                rig.url(f"/api/v1/events/{event_id}/holds"),
                json={"slot_id": "a", "quantity": 1},
                headers=auth,
            )
            if response.status_code in (200, 201):
                accepted += 1
                hold_id = response.json()["hold_id"]
                await rig.http.delete(rig.url(f"/api/v1/holds/{hold_id}"), headers=auth)
        await asyncio.sleep(0.1)
    return accepted


async def sample_active(rig: Rig, event_id: str, observed: Observed, stop: asyncio.Event) -> None:
    redis = Redis.from_url(rig.servers.redis.url, socket_timeout=0.5)
    try:
        while not stop.is_set():
            try:
                active = await redis.zcount(
                    event_keys(event_id).active, int(time.time() * 1000), "+inf"
                )
                observed.max_active = max(observed.max_active, int(active))
            except (RedisError, OSError):
                observed.sampling_errors += 1  # Redis is the thing being faulted
            await asyncio.sleep(0.05)
    finally:
        await redis.aclose(close_connection_pool=True)


async def create_event(rig: Rig) -> str:
    event_id = "chaos-" + secrets.token_hex(4)
    body = {
        "name": "chaos",
        "slots": [{"id": "a", "label": "x", "capacity": CAPACITY}],
        "admit_per_second": 200,
        "max_active": MAX_ACTIVE,
        "access_ttl_seconds": ACCESS_TTL_SECONDS,
        "hold_ttl_seconds": HOLD_TTL_SECONDS,
        "max_per_client": 2,
    }
    created = await rig.http.put(rig.url(f"/api/v1/events/{event_id}"), json=body, headers=ADMIN)
    assert created.status_code == 201, created.text
    return event_id


def fifo_among_reclaimers(observed: Observed) -> bool | None:
    """Reclaimers are numbered in their old order, ahead of every client who joined after the
    loss; None when nobody reclaimed."""
    if not observed.reclaims:
        return None
    new_numbers = [new for _, new in sorted(observed.reclaims)]
    in_order = new_numbers == sorted(new_numbers)
    return in_order and all(max(new_numbers) < number for number in observed.joined_after)


async def api_remaining(rig: Rig, event_id: str) -> int | None:
    response = await rig.http.get(rig.url(f"/api/v1/events/{event_id}"))
    return response.json()["slots"][0]["remaining"] if response.status_code == 200 else None


Checks = dict[str, bool | None]


@dataclass
class Outcome:
    """Per run: each invariant's result (None: not exercised) and what the run did."""

    checks: Checks
    booked: int
    unavailable: int  # 503 answers the buyers retried
    old_tokens_accepted: int
    confirm_retry_seconds: float
    reclaimed: int  # clients who got their old order back after a Redis loss


async def run_fault(rig: Rig, fault: str) -> Outcome:
    """Runs the race with `fault` and checks the invariants afterwards."""
    event_id = await create_event(rig)
    observed = Observed()
    early_tokens: list[str] = []
    deadline = time.monotonic() + RUN_SECONDS
    buyers = [Buyer(rig, event_id, observed, index) for index in range(BUYERS)]
    stop_sampling = asyncio.Event()
    sampler = asyncio.create_task(sample_active(rig, event_id, observed, stop_sampling))
    if fault == "redis SIGKILL+restart":
        early = [Buyer(rig, event_id, observed, BUYERS + index) for index in range(EARLY_BUYERS)]
        admitted = await asyncio.gather(*(buyer.admitted(deadline) for buyer in early))
        early_tokens = [token for token in admitted if token]
    buying = [asyncio.create_task(buyer.buy(deadline)) for buyer in buyers]
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(observed.holding.wait(), RUN_SECONDS / 2)
    await FAULTS[fault](rig)
    observed.rebuilt = True
    old_accepted = await old_tokens_after_restart(rig, event_id, early_tokens)
    await asyncio.gather(*buying)
    stop_sampling.set()
    await sampler

    database = await asyncpg.connect(rig.servers.postgres.url)
    try:
        remaining = await database.fetchval(
            "SELECT remaining FROM slots WHERE event_id = $1", event_id
        )
        bookings = await database.fetch(
            "SELECT booking_id, quantity FROM bookings WHERE event_id = $1", event_id
        )
    finally:
        await database.close()
    booked = sum(row["quantity"] for row in bookings)
    stored = {row["booking_id"] for row in bookings}

    # no leaked seat: once the holds expire, the API's count is PostgreSQL's within CONVERGE_SECONDS
    await asyncio.sleep(HOLD_TTL_SECONDS + 0.5)
    converged_by = time.monotonic() + CONVERGE_SECONDS
    shown = await api_remaining(rig, event_id)
    while shown != remaining and time.monotonic() < converged_by:
        await asyncio.sleep(0.2)
        shown = await api_remaining(rig, event_id)

    retrievable = await unacknowledged_retrievable(rig, observed, stored)
    checks = {
        "no oversell": booked <= CAPACITY and remaining == CAPACITY - booked,
        "no leaked seat": shown == remaining,
        "acked bookings exist": set(observed.acknowledged) <= stored and retrievable,
        "active <= max_active": observed.max_active <= MAX_ACTIVE,
        "old tokens refused": None if not early_tokens else old_accepted == 0,
        "FIFO among reclaimers": fifo_among_reclaimers(observed),
        "confirm retry <= 2 s": (
            observed.confirm_retry_seconds <= CONFIRM_RETRY_SECONDS
            if fault == "app SIGKILL" and observed.confirms_retried
            else None  # not exercised: no confirm was cut short by the kill
        ),
        "no 500": not any(500 <= status != 503 for status in observed.statuses),
    }
    return Outcome(
        checks,
        booked,
        observed.statuses[503],
        old_accepted,
        observed.confirm_retry_seconds,
        len(observed.reclaims),
    )


async def unacknowledged_retrievable(rig: Rig, observed: Observed, stored: set[str]) -> bool:
    """Every booking nobody was told about is returned by confirming again with its key."""
    missing = stored - set(observed.acknowledged)
    for token, hold_id, key in observed.confirm_keys:
        if not missing:
            break
        again = await rig.http.post(
            rig.url(f"/api/v1/holds/{hold_id}/confirm"),
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
        )
        if again.status_code == 201:
            missing.discard(again.json()["booking_id"])
    return not missing


DETAILS = ("booked", "503s", "old tokens used", "confirm retry s", "reclaimed")


def table(results: dict[str, Outcome]) -> str:
    width = max(len(fault) for fault in results)
    header = " | ".join(["fault".ljust(width), *INVARIANTS, *DETAILS])
    lines = [header, "-" * len(header)]
    for fault, outcome in results.items():
        checks = outcome.checks
        cells = [
            ("n/a" if checks[name] is None else "ok" if checks[name] else "FAIL").ljust(len(name))
            for name in INVARIANTS
        ]
        details = (
            outcome.booked,
            outcome.unavailable,
            outcome.old_tokens_accepted,
            f"{outcome.confirm_retry_seconds:.2f}",
            outcome.reclaimed,
        )
        cells += [str(value).ljust(len(name)) for value, name in zip(details, DETAILS, strict=True)]
        lines.append(" | ".join([fault.ljust(width), *cells]))
    return "\n".join(lines)


def failures(results: dict[str, Outcome]) -> list[tuple[str, str]]:
    return [
        (fault, name)
        for fault, outcome in results.items()
        for name, ok in outcome.checks.items()
        if ok is False
    ]


async def run_all(faults: tuple[str, ...], log_folder: Path) -> dict[str, Outcome]:
    rig = await Rig.start(log_folder)
    try:
        return {fault: await run_fault(rig, fault) for fault in faults}
    finally:
        await rig.stop()
