"""The opening scenario in `make bench`: `ticketing surge --scenario opening` (app/ticketing/
opening_load.py) on the load CPUs against the app on the server CPUs, with the server's CPU-seconds
per admitted user and per booking read from /proc, and the CPU Redis and PostgreSQL spent."""

import sys
from argparse import Namespace
from pathlib import Path
from typing import Any

import orjson

from app.bench import processes

SLOTS = 4
# A sell-out: each buyer asks 2.5 seats on average and 70 % confirm, so the seats are one per user.
SEATS_PER_USER = 1
HOLD_TTL_SECONDS = 30
# Admissions keep pace with the arrivals, as an opening sized for its crowd would.
ADMIT_PER_ARRIVAL = 1.0
# 2,000 buyers took 4 minutes on the loaded 2-core machine, the client being the slowest part.
CHILD_TIMEOUT_S = 3600


def opening_event(users: int, arrival_seconds: float) -> dict[str, Any]:
    per_slot = max(1, users * SEATS_PER_USER // SLOTS)
    return {
        "name": "bench opening",
        "slots": [
            {"id": f"slot-{index}", "label": f"Slot {index}", "capacity": per_slot}
            for index in range(SLOTS)
        ],
        "admit_per_second": max(1, round(users / arrival_seconds * ADMIT_PER_ARRIVAL)),
        "max_active": users,
        "access_ttl_seconds": 600,
        "hold_ttl_seconds": HOLD_TTL_SECONDS,
        "max_per_client": 4,
        "opens_at": None,
    }


def surge_opening(
    url: str, event_id: str, users: int, arrival_seconds: float, load: frozenset[int]
) -> dict[str, Any]:
    ticketing = str(Path(sys.executable).with_name("ticketing"))
    finished = processes.run_pinned(
        [
            ticketing,
            "surge",
            "--url",
            url,
            "--event",
            event_id,
            "--clients",
            str(users),
            "--scenario",
            "opening",
            "--arrival-seconds",
            str(arrival_seconds),
        ],
        load,
        CHILD_TIMEOUT_S,
    )
    if not finished.stdout.strip():
        raise RuntimeError(f"the opening surge printed nothing: {finished.stderr[-2000:]}")
    report: dict[str, Any] = orjson.loads(finished.stdout.strip().splitlines()[-1])
    return report


def per(amount: float, count: int) -> float | None:
    """`amount` per item; None when there were none."""
    return amount / count if count else None


async def opening(args: Namespace, app: Any, load: frozenset[int]) -> dict[str, Any]:
    """Runs the scenario once against the running app (scenarios.RunningApp)."""
    event_id = f"opening-{args.opening_users}"
    await app.api.put_event(event_id, opening_event(args.opening_users, args.arrival_seconds))
    server_before, backing_before = processes.server_and_backing_cpu_seconds(app.pid)
    report = surge_opening(app.url, event_id, args.opening_users, args.arrival_seconds, load)
    server_after, backing_after = processes.server_and_backing_cpu_seconds(app.pid)
    server, backing = server_after - server_before, backing_after - backing_before
    outcomes = report["outcomes"]
    requests = sum(step["requests"] for step in report["steps"].values())
    return report | {
        "server_cpu_s": server,
        "redis_and_postgres_cpu_s": backing,
        "server_cpu_s_per_admitted_user": per(server, outcomes.get("admitted", 0)),
        "server_cpu_s_per_booking": per(server, outcomes.get("booked", 0)),
        # the sizing module's rps per vCPU, measured on the opening's mix
        "requests_per_server_cpu_s": requests / server if server else None,
    }
