"""PostgreSQL CPU per booking: the app's own confirm statement (`bookings.INSERT_BOOKING`) on a
real, private PostgreSQL with the app's schema, CPU read from /proc for the server and its backends.

A confirm is one statement (booking row and seat count together), so its CPU is what Aurora's
writer spends per booking; the sizing module (components/sizing.py) picks the instance class from
it. Contention on one hot slot's row is part of the measure: every booking goes to the same slot.
"""

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

import asyncpg

from app.bench.processes import cpu_seconds, descendants
from ticketing.bookings import INSERT_BOOKING
from ticketing.config import DEFAULT_DEPLOYMENT
from ticketing.database import create_pool, migrate
from ticketing.embedded import EmbeddedPostgres

CONCURRENT_CONFIRMS = 16
EVENT_ID = "booking-cost"
SLOT_ID = "hot"
# The seeded event's Redis copy (events.redis_generation's default): the app's confirm books only
# under the current copy.
REDIS_GENERATION = 0


def tree_cpu_seconds(root_pid: int) -> dict[int, float]:
    return {pid: cpu_seconds(pid) for pid in [root_pid, *descendants(root_pid)]}


async def _seed(pool: asyncpg.Pool, capacity: int) -> None:
    await pool.execute(
        "INSERT INTO events (event_id, name, config, opening_seed) VALUES ($1, 'cost', '{}', '')",
        EVENT_ID,
    )
    await pool.execute(
        "INSERT INTO slots (event_id, slot_id, label, position, capacity, remaining)"
        " VALUES ($1, $2, 'hot', 0, $3, $3)",
        EVENT_ID,
        SLOT_ID,
        capacity,
    )


async def _confirm(pool: asyncpg.Pool, index: int) -> None:
    booking = await pool.fetchval(
        INSERT_BOOKING,
        f"b_{index}",
        EVENT_ID,
        SLOT_ID,
        2,
        f"client-{index}",
        f"hold-{index}",
        f"key-{index}",
        REDIS_GENERATION,
        DEFAULT_DEPLOYMENT,
    )
    if booking is None:
        raise RuntimeError(f"booking {index} was not written")


async def measure_on(url: str, server_pid: int, bookings: int) -> float:
    """PostgreSQL CPU µs per booking."""
    pool = await create_pool(url, max_size=CONCURRENT_CONFIRMS)
    try:
        await migrate(pool)
        await _seed(pool, bookings * 2)
        before = tree_cpu_seconds(server_pid)
        for start in range(0, bookings, CONCURRENT_CONFIRMS):
            indexes = range(start, min(start + CONCURRENT_CONFIRMS, bookings))
            await asyncio.gather(*(_confirm(pool, index) for index in indexes))
        after = tree_cpu_seconds(server_pid)  # before the pool closes: backends keep their CPU
    finally:
        await pool.close()
    spent = sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())
    return spent * 1_000_000 / bookings


def measure(bookings: int) -> float:
    with tempfile.TemporaryDirectory(prefix="booking-cost-") as folder:
        postgres = EmbeddedPostgres(Path(folder))
        postgres.start()
        try:
            if postgres.process is None:
                raise RuntimeError("postgres did not start")
            return asyncio.run(measure_on(postgres.url, postgres.process.pid, bookings))
        finally:
            postgres.stop()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m app.bench.booking_cost", description=__doc__)
    parser.add_argument("--bookings", type=int, default=5_000)
    args = parser.parse_args()
    print(f"PostgreSQL CPU per booking: {measure(args.bookings):.0f} µs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
