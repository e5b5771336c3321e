"""The single-event ceiling. Every key of one event shares one Redis Cluster slot, so one event's
load lands on one Redis core, whatever the shard count. This measures the Redis CPU each step of an
opening costs, on a real redis-server running the app's own scripts through the app's own batcher,
and turns it into the event's ceiling at one full Redis core.

Redis CPU comes from the server itself: `INFO cpu` (used_cpu_user + used_cpu_sys of the whole
process: reading commands, running scripts, writing replies and pub/sub fan-out) and `INFO
commandstats` (script time alone). Both are CPU time of the Redis process, so other work on the
machine slows a run down but barely moves the figures, unlike a requests-per-second count.

A join's cost depends on how many joins share one script run: the batcher merges every join of an
event waiting in one process into one EVALSHA (ticketing/batching.py). So joins are measured at
several batch sizes; the one that applies at the peak is each pod's join rate times the Redis round
trip (see `joins_per_batch`).
"""

import argparse
import asyncio
import functools
import secrets
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson
from redis.asyncio import Redis

from ticketing.config import EventSpec
from ticketing.embedded import EmbeddedRedis
from ticketing.events import redis_config
from ticketing.scripts import EventScripts, register_scripts

JOIN_BATCH_SIZES = (1, 8, 64, 500)
HOLD_BATCH_SIZES = (1, 64)
# Every replica runs one admission step (admit + reap) per event every TICK_SECONDS
# (ticketing/admission.py); each step that admits anyone publishes to every replica's subscriber.
ADMISSION_STEPS_PER_REPLICA_S = 10
# The opening the stacks are sized for (ticketing:services.peakRps; components/sizing.py): every
# request of its burst a join, over the pods prod runs at the peak, ElastiCache in the same region.
PEAK_JOINS_PER_S = 50_000
PEAK_REPLICAS = 197  # prod's need at 50,000 req/s (components/sizing.py)
REDIS_ROUND_TRIP_MS = 0.5
SLOT = "main"
US_PER_S = 1_000_000


@dataclass(frozen=True)
class OpCost:
    """Redis CPU per operation: `cpu_us` of the whole process, `script_us` inside scripts alone."""

    operation: str
    batch: int
    operations: int
    cpu_us: float
    script_us: float


@dataclass(frozen=True)
class EventCeiling:
    joins: list[OpCost]
    holds: list[OpCost]
    admission_step: OpCost
    bytes_per_waiting_client: float
    subscribers: int
    redis_version: str

    def join_cost(self, batch: float) -> float:
        """Redis CPU µs per join at `batch` joins per script run, interpolated between the measured
        batch sizes (a join's cost is a fixed share of its run plus its own work)."""
        measured = sorted(self.joins, key=lambda cost: cost.batch)
        if batch <= measured[0].batch:
            return measured[0].cpu_us
        for low, high in zip(measured, measured[1:], strict=False):
            if batch <= high.batch:
                # cost(b) = own + shared / b: exact for two points, so interpolate in 1/b
                shared = (low.cpu_us - high.cpu_us) / (1 / low.batch - 1 / high.batch)
                return high.cpu_us + shared * (1 / batch - 1 / high.batch)
        return measured[-1].cpu_us

    def background_us_per_s(self, replicas: int) -> float:
        """Redis CPU per second spent on admission steps, whatever the join rate."""
        return replicas * ADMISSION_STEPS_PER_REPLICA_S * self.admission_step.cpu_us

    def joins_per_s(self, batch: float, replicas: int) -> float:
        """The event's ceiling: joins per second one full Redis core sustains."""
        return (US_PER_S - self.background_us_per_s(replicas)) / self.join_cost(batch)


def joins_per_batch(joins_per_s: float, replicas: int, round_trip_ms: float) -> float:
    """Joins arriving at one pod while its previous batch is out: those share the next script run.
    At least one: a lone join still takes a run of its own."""
    return max(1.0, joins_per_s / replicas * round_trip_ms / 1000)


async def _redis_cpu_us(redis: Redis) -> float:
    cpu = await redis.info("cpu")
    return (float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"])) * US_PER_S


async def _script_us(redis: Redis) -> float:
    stats = await redis.info("commandstats")
    return float(stats.get("cmdstat_evalsha", {}).get("usec", 0))


async def _measured(
    redis: Redis, operation: str, batch: int, count: int, work: Awaitable[None]
) -> OpCost:
    """Awaits `work` (which does `count` operations) and charges Redis's CPU to them."""
    await redis.config_resetstat()
    cpu_before = await _redis_cpu_us(redis)
    await work
    cpu_after, script_us = await _redis_cpu_us(redis), await _script_us(redis)
    # the two INFO calls between the readings cost a few µs: nothing next to thousands of ops
    return OpCost(operation, batch, count, (cpu_after - cpu_before) / count, script_us / count)


def _event_spec(capacity: int) -> EventSpec:
    return EventSpec.model_validate(
        {
            "name": "single-event ceiling",
            "slots": [{"id": SLOT, "label": "all seats", "capacity": capacity}],
            "admit_per_second": 100_000,
            "max_active": 10_000_000,
            "access_ttl_seconds": 3600,
            "hold_ttl_seconds": 3600,
            "max_per_client": 4,
        }
    )


async def _install(scripts: EventScripts, event_id: str, capacity: int) -> None:
    config = redis_config(_event_spec(capacity), secrets.token_bytes(32))
    await scripts.run(
        "install_event",
        event_id,
        orjson.dumps(config),
        orjson.dumps({SLOT: capacity}),
        b"{}",
        orjson.dumps({"paused": 0, "frozen": 1, "assigned": 1}),
    )


Call = Callable[[], Awaitable[Any]]


async def _in_waves(calls: list[Call], batch: int) -> None:
    """`batch` calls issued together travel as one batch (and one merged run for joins)."""
    for start in range(0, len(calls), batch):
        await asyncio.gather(*(call() for call in calls[start : start + batch]))


async def _used_memory(redis: Redis) -> int:
    return int((await redis.info("memory"))["used_memory"])


def _joins(scripts: EventScripts, event_id: str, clients: list[str]) -> list[Call]:
    return [functools.partial(scripts.run, "join", event_id, client) for client in clients]


async def _join_costs(
    redis: Redis, scripts: EventScripts, joins: int
) -> tuple[list[OpCost], float]:
    """The joins' costs per batch size, and the memory each waiting client takes."""
    costs, bytes_per_client = [], 0.0
    for batch in JOIN_BATCH_SIZES:
        event_id = f"joins-{batch}"
        await _install(scripts, event_id, 1)
        calls = _joins(scripts, event_id, [f"client-{index:08d}" for index in range(joins)])
        memory_before = await _used_memory(redis)
        costs.append(await _measured(redis, "join", batch, joins, _in_waves(calls, batch)))
        bytes_per_client = (await _used_memory(redis) - memory_before) / joins
    return costs, bytes_per_client


async def _subscribe(url: str, subscribers: int) -> list[Any]:
    """One pub/sub connection per replica, as each replica's updates listener holds."""
    pubsubs = []
    for _ in range(subscribers):
        pubsub = Redis.from_url(url).pubsub()
        await pubsub.subscribe("tkt:{admission}:updates")
        pubsubs.append(pubsub)
    return pubsubs


async def _admission_step_cost(
    redis: Redis, scripts: EventScripts, url: str, steps: int, subscribers: int
) -> OpCost:
    """One replica's step: admit (advancing `serving` publishes to every subscriber) and reap."""
    event_id = "admission"
    await _install(scripts, event_id, 1)
    await _in_waves(_joins(scripts, event_id, [f"w{index}" for index in range(steps * 20)]), 500)
    pubsubs = await _subscribe(url, subscribers)

    async def steps_run() -> None:
        for _ in range(steps):
            await asyncio.gather(scripts.run("admit", event_id), scripts.run("reap", event_id, 200))
            await asyncio.sleep(0.0002)  # a little time passes, so each step admits someone

    try:
        return await _measured(redis, "admission step", 1, steps, steps_run())
    finally:
        for pubsub in pubsubs:
            await pubsub.aclose()


async def _admit_all(scripts: EventScripts, event_id: str, clients: int) -> None:
    while True:
        _, serving, *_ = await scripts.run("admit", event_id)
        if int(serving) >= clients:
            return
        await asyncio.sleep(0.05)


async def _hold_costs(redis: Redis, scripts: EventScripts, holds: int) -> list[OpCost]:
    costs = []
    for batch in HOLD_BATCH_SIZES:
        event_id = f"holds-{batch}"
        await _install(scripts, event_id, holds * 4)
        clients = [f"h{index}" for index in range(holds)]
        await _in_waves(_joins(scripts, event_id, clients), 500)
        await _admit_all(scripts, event_id, holds)
        calls: list[Call] = [
            functools.partial(
                scripts.run, "hold", event_id, number, client, SLOT, 2, f"hold-{number}"
            )
            for number, client in enumerate(clients, start=1)
        ]
        costs.append(await _measured(redis, "hold", batch, holds, _in_waves(calls, batch)))
    return costs


async def measure_on(
    url: str, joins: int, holds: int, steps: int, subscribers: int
) -> EventCeiling:
    redis = Redis.from_url(url)
    scripts = register_scripts(redis)
    try:
        version = (await redis.info("server"))["redis_version"]
        join_costs, bytes_per_client = await _join_costs(redis, scripts, joins)
        hold_costs = await _hold_costs(redis, scripts, holds)
        step = await _admission_step_cost(redis, scripts, url, steps, subscribers)
    finally:
        await scripts.batcher.aclose()
        await redis.aclose()
    return EventCeiling(join_costs, hold_costs, step, bytes_per_client, subscribers, str(version))


def measure(joins: int, holds: int, steps: int, subscribers: int) -> EventCeiling:
    """On a private, empty redis-server (the embedded one `ticketing serve` starts)."""
    with tempfile.TemporaryDirectory(prefix="event-ceiling-") as folder:
        redis = EmbeddedRedis(Path(folder))
        redis.start()
        try:
            return asyncio.run(measure_on(redis.url, joins, holds, steps, subscribers))
        finally:
            redis.stop()


def as_dict(ceiling: EventCeiling) -> dict[str, Any]:
    return asdict(ceiling)


def ceiling_text(
    ceiling: EventCeiling, peak_joins_per_s: float, replicas: int, round_trip_ms: float
) -> str:
    batch = joins_per_batch(peak_joins_per_s, replicas, round_trip_ms)
    lines = [
        f"Single-event ceiling (redis-server {ceiling.redis_version}, one core; Redis CPU µs per"
        " operation, whole process / scripts alone):",
        "",
        "| operation | per script run | µs Redis CPU | µs in scripts | joins/s at one core |",
        "|---|---|---|---|---|",
    ]
    for cost in ceiling.joins:
        lines.append(
            f"| join | {cost.batch} | {cost.cpu_us:.1f} | {cost.script_us:.1f} |"
            f" {US_PER_S / cost.cpu_us:,.0f} |"
        )
    for cost in ceiling.holds:
        lines.append(
            f"| hold | {cost.batch} pipelined | {cost.cpu_us:.1f} | {cost.script_us:.1f} | |"
        )
    step = ceiling.admission_step
    lines.append(
        f"| admission step (admit + reap, publish to {ceiling.subscribers} replicas) | 1 |"
        f" {step.cpu_us:.1f} | {step.script_us:.1f} | |"
    )
    lines += [
        "",
        f"Each waiting client takes {ceiling.bytes_per_waiting_client:.0f} bytes of Redis memory.",
        f"At the peak, {peak_joins_per_s:,.0f} joins/s over {replicas} replicas with a"
        f" {round_trip_ms} ms Redis round trip put {batch:.1f} joins in each script run; the"
        f" replicas' admission steps take {ceiling.background_us_per_s(replicas) / 1e4:.1f} % of"
        " the core.",
        f"One event's ceiling: {ceiling.joins_per_s(batch, replicas):,.0f} joins/s at one full"
        f" Redis core ({ceiling.joins_per_s(batch, replicas) / peak_joins_per_s:.1f} x the peak).",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m app.bench.event_ceiling", description=__doc__)
    parser.add_argument("--joins", type=int, default=20_000, help="joins per batch size")
    parser.add_argument("--holds", type=int, default=5_000, help="holds per batch size")
    parser.add_argument("--steps", type=int, default=2_000, help="admission steps")
    parser.add_argument("--replicas", type=int, default=PEAK_REPLICAS, help="pods at the peak")
    parser.add_argument("--peak-joins", type=float, default=PEAK_JOINS_PER_S)
    parser.add_argument("--round-trip-ms", type=float, default=REDIS_ROUND_TRIP_MS)
    args = parser.parse_args()
    ceiling = measure(args.joins, args.holds, args.steps, args.replicas)
    print(ceiling_text(ceiling, args.peak_joins, args.replicas, args.round_trip_ms))
    return 0


if __name__ == "__main__":
    sys.exit(main())
