"""A short DR drill on real parts (two `ticketing serve`, two redis-servers, a PostgreSQL primary
and its streaming replica, HAProxy), asserting the invariants, never the timings."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from components.routing_weights import PRIMARY, STANDBY
from ops.drill import report
from ops.drill.measure import goals, results
from ops.drill.scenario import Drill, DrillRun, DrillSettings

REPO = Path(__file__).resolve().parents[2]
SHORT = DrillSettings(
    buyers_per_second=10,
    steady_seconds=4,
    failover_seconds=3,
    failback_step_seconds=2,
    scarce_seats=40,
    open_seats=1000,
    remote_apply_seconds=2,
    replica_stall_seconds=1.5,
)

pytestmark = pytest.mark.skipif(
    shutil.which("haproxy") is None, reason="haproxy missing: run scripts/install-system-deps.sh"
)


@pytest.fixture(scope="module")
def run() -> Iterator[DrillRun]:
    drill = Drill(REPO, SHORT)
    try:
        drill.start()
        yield drill.run()
    finally:
        drill.stop()


def test_tokyo_starts_as_a_read_only_streaming_replica(run: DrillRun) -> None:
    assert run.tokyo_read_only_at_start


def test_traffic_reaches_tokyo_by_itself_then_bookings_resume_there(run: DrillRun) -> None:
    kill, promoted = run.timeline.marks["kill"], run.timeline.marks["promoted"]
    assert any(r.target == STANDBY and kill < r.at < promoted for r in run.records.requests)
    assert any(b.target == STANDBY and b.at > promoted for b in run.records.bookings)
    assert any(b.target == PRIMARY and b.at < kill for b in run.records.bookings)


def test_failback_loses_nothing_and_ends_on_seoul(run: DrillRun) -> None:
    assert run.lost_at_failback == []
    assert run.timeline.phases[-1][1] == "normal prod=100 dr=0"
    back_on_seoul = run.timeline.phases[-1][0]
    assert any(b.target == PRIMARY and b.at > back_on_seoul for b in run.records.bookings)


def test_haproxy_reloads_for_the_failback_steps_drop_nothing(run: DrillRun) -> None:
    """Both regions are healthy from seoul's return on: every request gets a region's answer
    through each reload (HAProxy's own 503, or no answer, would have no region)."""
    back = run.timeline.marks["seoul_replica"]
    assert len([phase for at, phase in run.timeline.phases if at > back]) >= 2
    unrouted = [r for r in run.records.requests if r.at > back and r.target is None]
    assert unrouted == [], f"phases {run.timeline.phases}, back at {back}"


def test_no_oversell_in_either_region_at_any_check(run: DrillRun) -> None:
    checks = run.timeline.oversell_checks
    assert {where.split(":")[0] for _, where, _ in checks} >= {
        "before the kill",
        "after promotion",
        "at the end",
    }
    assert all(count == 0 for _, _, count in checks)
    assert results(run)["oversell"]["none"]


def test_failover_loses_exactly_what_the_stalled_replica_missed(run: DrillRun) -> None:
    """Tokyo's WAL receiver was stopped before the kill: every booking seoul committed after that
    is lost, and nothing acknowledged well before it is."""
    stalled, kill = run.timeline.marks["replica_stalled"], run.timeline.marks["kill"]
    lost = {b["booking_id"] for b in run.lost_at_failover}
    seoul = [b for b in run.records.bookings if b.target == PRIMARY and b.at <= kill]
    committed_after_stall = {b.booking_id for b in seoul if b.at - b.confirm_seconds > stalled}
    assert committed_after_stall, "no confirm was sent while the replica stalled"
    assert committed_after_stall <= lost
    assert all(
        b["region"] == PRIMARY and stalled - 1 < b["acknowledged_at"] <= kill
        for b in run.lost_at_failover
    )
    rpo_goal = next(g for g in goals(results(run)) if g["goal"].startswith("RPO"))
    assert rpo_goal["met"], rpo_goal


def test_a_read_only_database_answers_503_never_500(run: DrillRun) -> None:
    """Confirms in tokyo before promotion, and after the switchover fenced it, meet a read-only
    PostgreSQL: the app answers 503 (retry), not an unexpected error."""
    assert not [r for r in run.records.requests if r.status == 500]


def test_report_files(run: DrillRun, tmp_path: Path) -> None:
    doc = report.write(run, tmp_path)
    written = json.loads((tmp_path / "drill.json").read_text())
    assert written["results"]["failback"]["lost_bookings"] == 0
    assert {g["goal"] for g in written["goals"]} == {g["goal"] for g in doc["goals"]}
    assert "remote_apply" in written["results"]["booking_latency"]
    assert (tmp_path / "drill.png").stat().st_size > 0
    assert "| RTO" in (tmp_path / "drill.md").read_text()
