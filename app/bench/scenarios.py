"""The measured scenarios. Each sets up its own event, drives load from separate processes pinned to
the load CPUs, and returns its figures.

The ceiling server stays up beside the app, and every throughput run against the app is paired with
a run of the same requests against the ceiling, round after round. The app's best round is its
reported rps (other work on the machine only ever slows a run down); the ratio to the ceiling is the
median of the paired rounds' ratios, since a slow spell slows both runs of a pair
(report.paired_ratio).
"""

import asyncio
import functools
import json
import os
import secrets
import statistics
import sys
import tempfile
from argparse import Namespace
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from app.bench import processes
from app.bench.api import HOT_SLOT, Api, event_spec, holds_path, queue_path
from app.bench.opening import opening as opening_scenario
from app.bench.processes import CpuSplit
from app.bench.profile import record_during
from app.bench.report import paired_ratio, require_no_errors, require_statuses
from app.bench.wrk import WrkResult, run_wrk
from ticketing.limits import PER_ADDRESS_LIMITS_OFF

HOST = "127.0.0.1"
WARMUP_S = 1
# Open-loop loads, as fractions of the median saturated round; LOAD_FRACTION is "80% load".
LOAD_FRACTION = 0.8
OPEN_LOOP_FRACTIONS = (0.5, 0.65, LOAD_FRACTION)
LATENCY_SLO_MS = 50
POSITION_TICKETS = 1000
HOLD_CLIENTS = 500
RACE_CAPACITY = 100
RACE_DURATION_S = 3
CHILD_TIMEOUT_S = 300


@dataclass
class Bench:
    split: CpuSplit
    args: Namespace
    ceiling_url: str
    inputs: Path  # the tickets and tokens wrk sends: bearer credentials, gone after the run
    nonce: str = field(default_factory=lambda: secrets.token_hex(4))
    ceiling_runs: list[WrkResult] = field(default_factory=list)

    def wrk(self, url: str, script: str, script_args: list[str]) -> WrkResult:
        run_wrk(url, script, script_args, WARMUP_S, self.args.connections, self.split.load)
        return run_wrk(
            url, script, script_args, self.args.duration, self.args.connections, self.split.load
        )

    def ceiling_run(self, script: str, script_args: list[str]) -> WrkResult:
        result = self.wrk(self.ceiling_url, script, script_args)
        require_no_errors(result.errors, f"the ceiling under the {script} load")
        self.ceiling_runs.append(result)
        return result

    def ceiling(self) -> dict:
        if not self.ceiling_runs:
            return {}
        return figures(best(self.ceiling_runs)) | {
            "rounds_rps": [round(run.rps) for run in self.ceiling_runs]
        }


@dataclass(frozen=True)
class RunningApp:
    url: str
    port: int
    pid: int
    admin_token: str
    api: Api


def figures(result: WrkResult) -> dict:
    return {
        "rps": result.rps,
        "p50_ms": result.p50_ms,
        "p90_ms": result.p90_ms,
        "p99_ms": result.p99_ms,
        "max_ms": result.max_ms,
        "requests": result.requests,
        "errors": result.errors,
    }


def load_average() -> dict:
    """Other work on the machine shows here: the bench's own processes add about 2 on 2 CPUs."""
    return {"load_average_1min": os.getloadavg()[0]}


def best(runs: list[WrkResult]) -> WrkResult:
    return max(runs, key=lambda run: run.rps)


def side_by_side(bench: Bench, app: RunningApp, script: str, script_args: list[str]) -> dict:
    """Rounds of (ceiling, app) on the same requests: the app's best round, every round's rps, and
    the median of the round-by-round ratios to the ceiling."""
    ceiling_runs, runs = [], []
    for _ in range(bench.args.rounds):
        ceiling_runs.append(bench.ceiling_run(script, script_args))
        runs.append(bench.wrk(app.url, script, script_args))
        require_no_errors(runs[-1].errors, f"{script} under wrk")
    return figures(best(runs)) | {
        "rounds_rps": [round(run.rps) for run in runs],
        "ceiling_rounds_rps": [round(run.rps) for run in ceiling_runs],
        "ratio_to_ceiling": paired_ratio(
            [run.rps for run in runs], [run.rps for run in ceiling_runs]
        ),
    }


@contextmanager
def running_ceiling(split: CpuSplit, out: Path) -> Iterator[str]:
    """The bare ASGI callable under `ticketing serve`'s server settings (see app.bench.ceiling)."""
    port = processes.free_port()
    server = processes.start(
        [sys.executable, "-m", "app.bench.ceiling", "--host", HOST, "--port", str(port)],
        split.server,
        log=out / "ceiling.log",
    )
    try:
        processes.wait_http_ok(f"http://{HOST}:{port}/", server)
        yield f"http://{HOST}:{port}"
    finally:
        processes.stop(server)


@asynccontextmanager
async def running_app(split: CpuSplit, out: Path) -> AsyncIterator[RunningApp]:
    port = processes.free_port()
    admin_token = secrets.token_urlsafe(24)
    env = {
        "TICKETING_ADMIN_TOKEN": admin_token,
        "TICKETING_SECRET": secrets.token_urlsafe(32),
        **PER_ADDRESS_LIMITS_OFF,  # every load generator is on 127.0.0.1
    }
    ticketing = str(Path(sys.executable).with_name("ticketing"))
    server = processes.start(
        [ticketing, "serve", "--host", HOST, "--port", str(port)],
        split.server,
        env=env,
        log=out / "ticketing-serve.log",
    )
    url = f"http://{HOST}:{port}"
    api = Api(url, admin_token)
    try:
        await asyncio.to_thread(processes.wait_http_ok, f"{url}/readyz", server, 120.0)
        processes.move_backing_services(server.pid, split.load)
        yield RunningApp(url, port, server.pid, admin_token, api)
    finally:
        await api.close()
        processes.stop(server)


def run_child(module: str, module_args: list[str], split: CpuSplit) -> dict:
    """Runs a bench client module in its own process on the load CPUs; returns its JSON line."""
    finished = processes.run_pinned(
        [sys.executable, "-m", module, *module_args], split.load, CHILD_TIMEOUT_S
    )
    if finished.returncode != 0:
        raise RuntimeError(f"{module} exited {finished.returncode}: {finished.stderr[-2000:]}")
    return json.loads(finished.stdout.strip().splitlines()[-1])


async def queue_event(
    api: Api,
    event_id: str,
    admit_per_second: int,
    max_active: int,
    capacity: int = 1000,
    max_per_client: int = 1,
    paused: bool = False,
) -> str:
    await api.put_event(
        event_id,
        event_spec(f"bench {event_id}", capacity, admit_per_second, max_active, max_per_client),
    )
    if paused:
        await api.set_paused(event_id, paused=True)
    return event_id


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


async def waiting_tickets(bench: Bench, app: RunningApp, event_id: str, tag: str) -> Path:
    tickets = await app.api.enqueue_many(
        event_id, [f"{bench.nonce}-{tag}-{index}" for index in range(POSITION_TICKETS)]
    )
    return write_lines(bench.inputs / f"tickets-{event_id}.txt", tickets)


def open_loop_client_prefix(nonce: str, fraction: float) -> str:
    """Client ids are letters, digits, '-' and '_': a fraction's '.' would get every request a
    400.
    """
    return f"{nonce}-open{fraction * 100:.0f}-"


async def enqueue(bench: Bench, app: RunningApp) -> dict:
    event_id = await queue_event(app.api, f"entry-{bench.nonce}", 1, 1, paused=True)
    saturated = await asyncio.to_thread(
        side_by_side, bench, app, "enqueue", [queue_path(event_id), bench.nonce]
    )
    # The best round is the server's capacity in a quiet moment; open-loop loads follow the median
    # round, so that a slower spell on a shared machine does not turn "80%" into an overload.
    sustained_rps = statistics.median(saturated["rounds_rps"])
    curve = []
    for fraction in OPEN_LOOP_FRACTIONS:
        at_load = await asyncio.to_thread(
            run_child,
            "app.bench.open_loop",
            [
                "--host",
                HOST,
                "--port",
                str(app.port),
                "--path",
                queue_path(event_id),
                "--client-prefix",
                open_loop_client_prefix(bench.nonce, fraction),
                "--rate",
                f"{fraction * sustained_rps:.0f}",
                "--duration",
                str(bench.args.duration),
            ],
            bench.split,
        )
        require_statuses(at_load["statuses"], f"queue entry at {fraction:.0%} load")
        curve.append(at_load | {"fraction_of_median_round": fraction})
    # every point has latencies: require_statuses refused one that completed nothing
    under_slo = [point["achieved_rps"] for point in curve if point["p99_ms"] < LATENCY_SLO_MS]
    at_load = curve[OPEN_LOOP_FRACTIONS.index(LOAD_FRACTION)]
    return saturated | {
        "median_round_rps": sustained_rps,
        "open_loop": curve,
        "p99_ms_at_80pct_load": at_load["p99_ms"],
        "open_loop_rps_p99_under_50ms": max(under_slo, default=None),
    }


async def position(bench: Bench, app: RunningApp) -> dict:
    event_id = await queue_event(app.api, f"position-{bench.nonce}", 1, 1, paused=True)
    tickets = await waiting_tickets(bench, app, event_id, "p")
    return await asyncio.to_thread(
        side_by_side, bench, app, "position", [f"{queue_path(event_id)}/me", str(tickets)]
    )


async def admitted_tokens(bench: Bench, app: RunningApp, event_id: str) -> Path:
    tickets = await app.api.enqueue_many(
        event_id, [f"{bench.nonce}-{event_id}-{index}" for index in range(HOLD_CLIENTS)]
    )
    tokens = await app.api.access_tokens(event_id, tickets, timeout_s=60)
    return write_lines(bench.inputs / f"tokens-{event_id}.txt", tokens)


def remaining_seats(event: dict) -> int:
    slots = event["slots"]
    slot = (
        next(slot for slot in slots if slot["id"] == HOT_SLOT)
        if isinstance(slots, list)
        else slots[HOT_SLOT]
    )
    return slot["remaining"]


async def booking(bench: Bench, app: RunningApp) -> dict:
    """Throughput on one hot slot that never sells out, then a race for a few seats: oversold counts
    seats granted beyond capacity, by the 201s and by what the service says remains."""
    body = json.dumps({"slot_id": HOT_SLOT, "quantity": 1})
    hot = await queue_event(
        app.api, f"hot-{bench.nonce}", 100_000, 1_000_000, capacity=1_000_000, max_per_client=1000
    )
    tokens = await admitted_tokens(bench, app, hot)
    result = await asyncio.to_thread(
        run_wrk,
        app.url,
        "holds",
        [holds_path(hot), str(tokens), body],
        bench.args.duration,
        bench.args.connections,
        bench.split.load,
    )
    race = await queue_event(
        app.api,
        f"race-{bench.nonce}",
        100_000,
        1_000_000,
        capacity=RACE_CAPACITY,
        max_per_client=1000,
    )
    race_tokens = await admitted_tokens(bench, app, race)
    race_result = await asyncio.to_thread(
        run_wrk,
        app.url,
        "holds",
        [holds_path(race), str(race_tokens), body],
        RACE_DURATION_S,
        bench.args.connections,
        bench.split.load,
    )
    require_statuses(result.statuses, "holds on the hot slot", frozenset({201}))
    require_statuses(race_result.statuses, "holds in the race", frozenset({201, 409}))
    held = race_result.statuses.get(201, 0)
    remaining = remaining_seats(await app.api.event(race))
    return {
        "holds_per_s": result.statuses.get(201, 0) / result.duration_s,
        "hold_p99_ms": result.p99_ms,
        "hold_statuses": result.statuses,
        "race_capacity": RACE_CAPACITY,
        "race_held": held,
        "race_remaining": remaining,
        "race_statuses": race_result.statuses,
        "oversold": max(0, held - RACE_CAPACITY, -remaining),
    }


async def websocket(bench: Bench, app: RunningApp) -> dict:
    """One client ahead of N waiting ones; admitting it moves everyone's position, so all N get a
    push.
    """
    event_id = await queue_event(app.api, f"ws-{bench.nonce}", 100_000, 1, paused=True)
    await app.api.enqueue(event_id, f"{bench.nonce}-ws-head")
    clients = functools.partial(
        run_child,
        "app.bench.ws_clients",
        [
            "--host",
            HOST,
            "--port",
            str(app.port),
            "--event",
            event_id,
            "--clients",
            str(bench.args.ws_clients),
            "--server-pid",
            str(app.pid),
            f"--admin-token={app.admin_token}",
            "--nonce",
            bench.nonce,  # "=": a token may start with "-"
            "--deflate" if bench.args.ws_deflate else "--no-deflate",
        ],
        bench.split,
    )
    if not bench.args.profile:
        return await asyncio.to_thread(clients)
    profile, measured = await asyncio.to_thread(
        record_during, app.pid, bench.args.out / "profile-websocket", clients
    )
    return measured | {"profile": profile}


async def profiles(bench: Bench, app: RunningApp) -> dict:
    event_id = await queue_event(app.api, f"profile-{bench.nonce}", 1, 1, paused=True)
    tickets = await waiting_tickets(bench, app, event_id, "pp")
    loads = {
        "enqueue": ("enqueue", [queue_path(event_id), f"{bench.nonce}-pe"]),
        "position": ("position", [f"{queue_path(event_id)}/me", str(tickets)]),
    }
    found = {}
    for name, (script, script_args) in loads.items():
        load = functools.partial(
            run_wrk,
            app.url,
            script,
            script_args,
            bench.args.duration,
            bench.args.connections,
            bench.split.load,
        )
        found[name], _ = await asyncio.to_thread(
            record_during, app.pid, bench.args.out / f"profile-{name}", load
        )
    return found


async def opening(bench: Bench, app: RunningApp) -> dict:
    return await opening_scenario(bench.args, app, bench.split.load)


SCENARIOS = (
    ("enqueue", enqueue),
    ("position", position),
    ("booking", booking),
    ("websocket", websocket),
    ("opening", opening),
)
SCENARIO_NAMES = tuple(name for name, _ in SCENARIOS)


async def run_all(split: CpuSplit, args: Namespace, results: dict) -> None:
    """Fills `results` scenario by scenario, so a failure keeps what was measured before it."""
    with (
        running_ceiling(split, args.out) as ceiling_url,
        tempfile.TemporaryDirectory(prefix="bench-") as inputs,
    ):
        bench = Bench(split, args, ceiling_url, Path(inputs))
        try:
            await asyncio.to_thread(
                bench.ceiling_run, "enqueue", [queue_path("ceiling"), bench.nonce]
            )
            async with running_app(split, args.out) as app:
                for name, scenario in SCENARIOS:
                    if name in args.only:
                        results[name] = await scenario(bench, app) | load_average()
                if args.profile:
                    results["profiles"] = await profiles(bench, app)
        finally:
            results["ceiling"] = bench.ceiling() | load_average()
