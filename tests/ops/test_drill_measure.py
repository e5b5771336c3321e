"""The drill's results from records: RTO from the first failed request's sending, RPO against the
lag, oversell from acknowledged bookings, latency by commit-mode window."""

from __future__ import annotations

from ops.drill.measure import goals, results
from ops.drill.scenario import DrillRun, DrillSettings, Timeline
from ops.drill.traffic import BookingRecord, Records, RequestRecord

MARKS = {
    "traffic": 0.0,
    "kill": 10.0,
    "detected": 12.0,
    "promoted": 14.0,
    "switchover_start": 30.0,
    "switchover_done": 32.0,
    "normal": 40.0,
}


def booking(at: float, target: str, number: int, slot: str = "open1", took: float = 0.01):
    return BookingRecord(at, target, f"b{number}", slot, f"c{number}", took)


def drill_run(bookings, requests, lost=(), capacity=None, windows=()) -> DrillRun:
    timeline = Timeline(marks=dict(MARKS), lag_samples=[(9.9, 120, 2.0)])
    timeline.commit_windows.extend(windows)
    return DrillRun(
        DrillSettings(),
        timeline,
        Records(requests=list(requests), bookings=list(bookings)),
        list(lost),
        [],
        True,
        capacity or {"open1": 100},
    )


def test_rto_runs_from_when_the_first_failed_request_was_sent() -> None:
    run = drill_run(
        [booking(5.0, "prod", 1), booking(16.5, "dr", 2)],
        [
            RequestRecord(5.0, "confirm", "prod", 201, True, 0.01),
            # HAProxy's 503 came back 4 s after the buyer asked, at 14.5
            RequestRecord(14.5, "join", None, 503, False, 4.0),
            RequestRecord(16.5, "confirm", "dr", 201, True, 0.01),
        ],
    )
    measured = results(run)
    assert measured["rto_seconds"] == 6.0
    assert measured["traffic_moved_seconds"] == 6.5
    assert measured["detection_seconds"] == 2.0


def test_rpo_goal_compares_lost_bookings_with_those_inside_the_lag() -> None:
    lost = [{"booking_id": "b1", "region": "prod", "acknowledged_at": 9.95}]
    run = drill_run(
        [booking(9.95, "prod", 1), booking(3.0, "prod", 2)],
        [RequestRecord(16.0, "confirm", "dr", 201, True, 0.01)],
        lost=lost,
    )
    measured = results(run)
    assert measured["rpo"]["lost_bookings"] == 1
    assert measured["rpo"]["replica_lag_at_kill_bytes"] == 120
    assert measured["rpo"]["acknowledged_within_lag_before_kill"] == 1
    assert {g["goal"]: g["met"] for g in goals(measured)}[
        "RPO: lost bookings <= those acknowledged within the replica lag"
    ]


def test_acknowledged_bookings_over_capacity_are_oversell() -> None:
    run = drill_run(
        [booking(float(n), "prod", n, slot="scarce") for n in range(3)],
        [],
        capacity={"scarce": 2},
    )
    measured = results(run)
    assert measured["oversell"]["acknowledged_over_capacity"] == {"scarce": 1}
    assert not measured["oversell"]["none"]


def test_latency_is_split_by_the_commit_mode_window_a_confirm_started_in() -> None:
    run = drill_run(
        [
            booking(2.1, "prod", 1, took=0.02),
            booking(4.5, "prod", 2, took=0.05),
            booking(5.05, "prod", 3, took=0.02),  # started at 5.03: async
        ],
        [],
        windows=[(2.0, 5.0, "remote_apply"), (5.0, 8.0, "async")],
    )
    latency = results(run)["booking_latency"]
    assert latency["remote_apply"]["count"] == 2
    assert latency["remote_apply"]["p99_ms"] == 50.0
    assert latency["async"]["count"] == 1
