"""From a drill's records to its results: detection, traffic shift, RTO, RPO, failback, oversell,
booking latency with and without `synchronous_commit=remote_apply`, and the per-second timeline."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from typing import Any

from components.routing_weights import PRIMARY, STANDBY
from ops.drill.scenario import DrillRun

GOAL_RTO_SECONDS = 60.0
BIN_SECONDS = 1.0


def _percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]


def _latency_ms(values: list[float]) -> dict[str, Any]:
    p50, p99 = _percentile(values, 0.5), _percentile(values, 0.99)
    return {
        "count": len(values),
        "p50_ms": None if p50 is None else round(p50 * 1000, 2),
        "p99_ms": None if p99 is None else round(p99 * 1000, 2),
        "mean_ms": round(statistics.fmean(values) * 1000, 2) if values else None,
    }


def _first(times: list[float]) -> float | None:
    return min(times) if times else None


def _since(at: float | None, start: float) -> float | None:
    return None if at is None else round(at - start, 3)


def booking_latency(run: DrillRun) -> dict[str, Any]:
    """Confirm latency in seoul by commit mode: confirms that started inside a window of that mode
    (a slow one may commit just after the switch; the windows are long against a confirm)."""
    by_mode: dict[str, list[float]] = {}
    for start, end, mode in run.timeline.commit_windows:
        by_mode.setdefault(mode, []).extend(
            b.confirm_seconds
            for b in run.records.bookings
            if b.target == PRIMARY and start <= b.at - b.confirm_seconds < end
        )
    return {mode: _latency_ms(values) for mode, values in by_mode.items()}


def timeline_bins(run: DrillRun) -> list[dict[str, Any]]:
    end = max((r.at for r in run.records.requests), default=0.0)
    start = run.timeline.marks["traffic"]
    bins = []
    for index in range(int((end - start) // BIN_SECONDS) + 1):
        low = start + index * BIN_SECONDS
        inside = [r for r in run.records.requests if low <= r.at < low + BIN_SECONDS]
        targets = Counter(r.target for r in inside)
        bins.append(
            {
                "t": round(low, 3),
                "requests": len(inside),
                "success_rate": round(sum(r.ok for r in inside) / len(inside), 4)
                if inside
                else None,
                PRIMARY: targets[PRIMARY],
                STANDBY: targets[STANDBY],
                "unrouted": targets[None],
            }
        )
    return bins


def results(run: DrillRun) -> dict[str, Any]:
    marks, records = run.timeline.marks, run.records
    kill = marks["kill"]
    moved = _first([r.at for r in records.requests if r.target == STANDBY and r.at > kill])
    # A failed request counts from when it was sent (HAProxy's 503 for a dead server comes only
    # after its connect retries), and no earlier than the kill.
    first_failure = _first(
        [max(kill, r.at - r.seconds) for r in records.requests if not r.ok and r.at > kill]
    )
    resumed = _first([b.at for b in records.bookings if b.target == STANDBY and b.at > kill])
    before_kill = [s for s in run.timeline.lag_samples if s[0] <= kill]
    lag_bytes, lag_ms = (before_kill[-1][1], before_kill[-1][2]) if before_kill else (None, None)
    lost = run.lost_at_failover
    # What the lag allows: bookings acknowledged by seoul within the lag (and one sample) before
    # the kill are the ones a lagging replica may not have had.
    window = (lag_ms or 0) / 1000 + 0.2
    at_risk = sum(
        1 for b in records.bookings if b.target == PRIMARY and kill - window < b.at <= kill
    )
    surviving = [b for b in records.bookings if b.booking_id not in {x["booking_id"] for x in lost}]
    booked_per_slot = Counter(b.slot_id for b in surviving)
    client_oversold = {
        slot: booked_per_slot[slot] - capacity
        for slot, capacity in run.slot_capacity.items()
        if booked_per_slot[slot] > capacity
    }
    failback = [r for r in records.requests if marks["switchover_start"] <= r.at <= marks["normal"]]
    outcomes = Counter(outcome for _, outcome, _ in records.outcomes)
    rto = None if first_failure is None or resumed is None else round(resumed - first_failure, 3)
    return {
        "buyers": dict(outcomes),
        "bookings_acknowledged": len(records.bookings),
        "tokyo_read_only_at_start": run.tokyo_read_only_at_start,
        "detection_seconds": _since(marks.get("detected"), kill),
        "traffic_moved_seconds": _since(moved, kill),
        "promoted_seconds": _since(marks.get("promoted"), kill),
        "rto_seconds": rto,
        "rto_from": "first failed request after the kill (sent)",
        "rto_to": "first booking acknowledged by tokyo",
        "rpo": {
            "lost_bookings": len(lost),
            "lost": lost,
            "replica_lag_at_kill_bytes": lag_bytes,
            "replica_lag_at_kill_ms": lag_ms,
            "acknowledged_within_lag_before_kill": at_risk,
        },
        "failback": {
            "lost_bookings": len(run.lost_at_failback),
            "lost": run.lost_at_failback,
            "switchover_seconds": round(marks["switchover_done"] - marks["switchover_start"], 3),
            "requests": len(failback),
            "failed_requests": sum(not r.ok for r in failback),
        },
        "oversell": {
            "database_checks": [
                {"t": round(t, 3), "where": where, "oversold_slots": count}
                for t, where, count in run.timeline.oversell_checks
            ],
            "acknowledged_over_capacity": client_oversold,
            "none": not client_oversold
            and all(count == 0 for _, _, count in run.timeline.oversell_checks),
        },
        "booking_latency": booking_latency(run),
    }


def goals(result: dict[str, Any]) -> list[dict[str, Any]]:
    rpo, failback = result["rpo"], result["failback"]
    rto = result["rto_seconds"]
    return [
        {
            "goal": f"RTO < {GOAL_RTO_SECONDS:.0f} s in the drill",
            "measured": f"{rto} s",
            "met": rto is not None and rto < GOAL_RTO_SECONDS,
        },
        {
            "goal": "RPO: lost bookings <= those acknowledged within the replica lag",
            "measured": f"{rpo['lost_bookings']} lost, {rpo['acknowledged_within_lag_before_kill']}"
            f" acknowledged within {rpo['replica_lag_at_kill_ms']} ms of lag",
            "met": rpo["lost_bookings"] <= rpo["acknowledged_within_lag_before_kill"],
        },
        {
            "goal": "0 lost on the failback switchover",
            "measured": f"{failback['lost_bookings']} lost",
            "met": failback["lost_bookings"] == 0,
        },
        {
            "goal": "no oversell in either region",
            "measured": "none" if result["oversell"]["none"] else "OVERSOLD",
            "met": result["oversell"]["none"],
        },
    ]
