"""The bench's arithmetic and its written forms: ratios, percentiles, sizing, targets, markdown."""

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

TARGET_RPS = 50_000
REFERENCE_RPS_PER_VCPU = 500  # the reference team's queue tier: 8,000 rps on 16 vCPU
GOAL_MULTIPLE_OF_REFERENCE = 10
SIZING_UTILIZATION = 0.8  # plan pods to run at 80% of measured saturation, where p99 is judged


def percentile(sorted_values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile of an ascending list; None for no values."""
    if not 0 < pct <= 100:
        raise ValueError(f"percentile must be in (0, 100], got {pct}")
    if not sorted_values:
        return None
    rank = math.ceil(pct / 100 * len(sorted_values))
    return sorted_values[rank - 1]


def ratio(part: float | None, whole: float | None) -> float | None:
    if part is None or not whole:
        return None
    return part / whole


def paired_ratio(parts: list[float], wholes: list[float]) -> float | None:
    """The median of round-by-round ratios: a round and its paired ceiling round run back to back,
    so a slow spell of a shared machine slows both and cancels out of their ratio."""
    ratios = [value for value in map(ratio, parts, wholes) if value is not None]
    return statistics.median(ratios) if ratios else None


SUCCESS_STATUSES = frozenset({200, 201})


def require_statuses(
    statuses: dict[Any, int], what: str, allowed: frozenset[int] = SUCCESS_STATUSES
) -> None:
    """A figure is only about the requests it names if they were answered as such: a load that the
    app refused (a malformed client id, a stale ticket) would measure its error path instead.
    `statuses` maps codes (ints, or strings after JSON) to counts."""
    unexpected = {int(code): count for code, count in statuses.items() if int(code) not in allowed}
    if unexpected or not statuses:
        raise RuntimeError(
            f"{what} answered {dict(statuses) or 'nothing'}; "
            f"a measure counts only {sorted(allowed)}"
        )


def require_no_errors(errors: dict[str, int], what: str) -> None:
    """The same for a wrk run: wrk counts answers of 400 and above as status errors by itself (a Lua
    response hook, which would count each status, slows wrk down), beside socket errors and
    timeouts.
    """
    failed = {kind: count for kind, count in errors.items() if count}
    if failed:
        raise RuntimeError(
            f"{what} had errors {failed}; a measure counts only answered requests below 400"
        )


@dataclass(frozen=True)
class Sizing:
    rps_per_vcpu: float
    vcpus: int
    pods: int
    vcpus_per_pod: float
    reference_vcpus: int
    multiple_of_reference: float


def size_for_target(
    rps: float,
    cores: int,
    vcpus_per_pod: float,
    target_rps: int = TARGET_RPS,
    utilization: float = SIZING_UTILIZATION,
) -> Sizing:
    if rps <= 0 or cores <= 0 or vcpus_per_pod <= 0:
        raise ValueError(
            f"rps, cores and vcpus_per_pod must be positive: {rps}, {cores}, {vcpus_per_pod}"
        )
    if not 0 < utilization <= 1:
        raise ValueError(f"utilization must be in (0, 1], got {utilization}")
    rps_per_vcpu = rps / cores
    vcpus = math.ceil(target_rps / (rps_per_vcpu * utilization))
    return Sizing(
        rps_per_vcpu=rps_per_vcpu,
        vcpus=vcpus,
        pods=math.ceil(vcpus / vcpus_per_pod),
        vcpus_per_pod=vcpus_per_pod,
        reference_vcpus=math.ceil(target_rps / (REFERENCE_RPS_PER_VCPU * utilization)),
        multiple_of_reference=rps_per_vcpu / REFERENCE_RPS_PER_VCPU,
    )


def lookup(results: dict[str, Any], dotted: str) -> Any:
    value: Any = results
    for key in dotted.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


@dataclass(frozen=True)
class Target:
    key: str
    goal: str
    meets: Callable[[float], bool]


TARGETS = (
    Target("enqueue.ratio_to_ceiling", ">= 0.5", lambda value: value >= 0.5),
    Target("enqueue.p99_ms_at_80pct_load", "< 50 ms", lambda value: value < 50),
    Target("position.ratio_to_ceiling", ">= 0.7", lambda value: value >= 0.7),
    Target("websocket.connections", ">= 10,000", lambda value: value >= 10_000),
    Target("websocket.push_p99_ms", "<= 1,000 ms", lambda value: value <= 1000),
    # the p99 is over the pushes that arrived: one that never came must show too
    Target("websocket.missed_pushes", "= 0", lambda value: value == 0),
    Target("booking.oversold", "= 0", lambda value: value == 0),
    Target("opening.oversold", "= 0", lambda value: value == 0),
    Target("opening.leaked_seats", "= 0", lambda value: value == 0),
    Target(
        "sizing.rps_per_vcpu",
        f">= {GOAL_MULTIPLE_OF_REFERENCE * REFERENCE_RPS_PER_VCPU:,}",
        lambda value: value >= GOAL_MULTIPLE_OF_REFERENCE * REFERENCE_RPS_PER_VCPU,
    ),
)

TABLE_ROWS = (
    ("ceiling.rps", "ceiling (bare ASGI) rps"),
    ("enqueue.rps", "queue entry rps"),
    ("enqueue.p50_ms", "queue entry p50 ms (saturation)"),
    ("enqueue.p99_ms", "queue entry p99 ms (saturation)"),
    ("enqueue.ratio_to_ceiling", "queue entry / ceiling (median of paired rounds)"),
    ("enqueue.p99_ms_at_80pct_load", "queue entry p99 ms at 80% load"),
    ("enqueue.open_loop_rps_p99_under_50ms", "queue entry open-loop rps with p99 < 50 ms"),
    ("position.rps", "position reads rps"),
    ("position.ratio_to_ceiling", "position reads / ceiling (median of paired rounds)"),
    ("websocket.connections", "idle WebSocket connections"),
    ("websocket.bytes_per_connection", "server bytes per connection"),
    ("websocket.push_p99_ms", "push to all clients p99 ms"),
    ("websocket.missed_pushes", "connected clients the push never reached"),
    ("booking.holds_per_s", "holds per second (one hot slot)"),
    ("booking.oversold", "oversold seats"),
    ("sizing.rps_per_vcpu", "queue entry rps per vCPU"),
    ("opening.users", "opening: buyers"),
    ("opening.time_to_sell_out_s", "opening: seconds to sell out (every slot at 0)"),
    ("opening.first_turned_away_s", "opening: seconds to the first buyer turned away"),
    ("opening.steps.join.p99_ms", "opening: join p99 ms"),
    ("opening.steps.position.p99_ms", "opening: position read p99 ms"),
    ("opening.steps.hold.p99_ms", "opening: hold p99 ms"),
    ("opening.steps.confirm.p99_ms", "opening: confirm p99 ms"),
    ("opening.push_lag_ms.p99", "opening: availability push lag p99 ms"),
    ("opening.server_cpu_s_per_admitted_user", "opening: server CPU-s per admitted user"),
    ("opening.server_cpu_s_per_booking", "opening: server CPU-s per booking"),
    ("opening.requests_per_server_cpu_s", "opening: requests per server CPU-second"),
    ("opening.oversold", "opening: oversold seats"),
    ("opening.leaked_seats", "opening: leaked seats"),
)


def format_value(value: Any) -> str:
    if value is None:
        return "not measured"
    if isinstance(value, float):
        return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def target_status(results: dict[str, Any], target: Target) -> str:
    value = lookup(results, target.key)
    if value is None:
        return "not measured"
    return "yes" if target.meets(value) else "no"


def markdown_table(results: dict[str, Any]) -> str:
    goals = {target.key: target for target in TARGETS}
    lines = ["| measure | value | goal | met |", "| --- | ---: | --- | --- |"]
    for key, label in TABLE_ROWS:
        target = goals.get(key)
        goal, met = (target.goal, target_status(results, target)) if target else ("", "")
        lines.append(f"| {label} | {format_value(lookup(results, key))} | {goal} | {met} |")
    return "\n".join(lines)


def sizing_text(sizing: Sizing, cores: int) -> str:
    return (
        f"Queue entry measured {sizing.rps_per_vcpu:,.0f} rps per vCPU on {cores} server core(s): "
        f"{sizing.multiple_of_reference:.1f}x the reference {REFERENCE_RPS_PER_VCPU} rps per vCPU "
        f"(goal {GOAL_MULTIPLE_OF_REFERENCE}x).\n"
        f"For {TARGET_RPS:,} rps at {SIZING_UTILIZATION:.0%} utilization: {sizing.vcpus} vCPUs = "
        f"{sizing.pods} pods of {sizing.vcpus_per_pod:g} vCPU; the reference rate would need "
        f"{sizing.reference_vcpus} vCPUs."
    )


def profile_text(profiles: dict[str, Any]) -> str:
    """One line per profiled load: the server's own time by package, largest first."""
    lines = ["Server time by package (py-spy, self time):"]
    for name, profile in profiles.items():
        parts = ", ".join(
            f"{package} {share:.0%}" for package, share in profile["self_by_package"][:6]
        )
        lines.append(f"- {name}: {parts}")
    return "\n".join(lines)
