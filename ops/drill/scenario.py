"""The scripted timeline: steady traffic, seoul lost, automatic shift, the runbook through
`ops.dr` (local backend), bookings in tokyo, seoul back as a replica, failback through the
configured steps with a switchover.

Every moment is recorded as seconds since the drill's clock started; `measure` turns the
records into the results.
"""

from __future__ import annotations

import io
import os
import secrets
import shutil
import signal
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components.routing_weights import PRIMARY, STANDBY, format_weights
from ops.dr import cli as dr_cli
from ops.dr.local_postgres import psql_query, write_cluster_file
from ops.dr.stack_file import read_stack_file
from ops.drill import stack
from ops.drill.haproxy import HAProxy, render_config
from ops.drill.regions import Region
from ops.drill.traffic import Buyers, Records
from ticketing.embedded import free_port

GLOBAL_CLUSTER = "drill"
EVENT_ID = "drill"
WAIT_TIMEOUT_SECONDS = 60.0
LAG_SAMPLE_SECONDS = 0.2
COMMIT_WINDOW_SECONDS = 5.0
REMOTE_APPLY = (
    "ALTER SYSTEM SET synchronous_standby_names = '*'",
    "ALTER SYSTEM SET synchronous_commit = 'remote_apply'",
    "SELECT pg_reload_conf()",
)
ASYNC_COMMIT = (
    "ALTER SYSTEM RESET synchronous_standby_names",
    "ALTER SYSTEM RESET synchronous_commit",
    "SELECT pg_reload_conf()",
)
# Bytes of WAL the replica has not replayed, and for how long: since its last reply while it is
# behind (replay_lag stops moving when the replica stops answering), 0 when caught up.
LAG_SAMPLE = (
    "SELECT COALESCE(max(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)), -1) || ',' ||"
    " COALESCE(max(CASE WHEN replay_lsn < pg_current_wal_lsn() THEN EXTRACT(EPOCH FROM"
    " clock_timestamp() - reply_time) * 1000 ELSE 0 END), 0) FROM pg_stat_replication"
)
OVERSOLD_SLOTS = (
    "SELECT count(*) FROM slots s WHERE s.event_id = 'drill' AND (s.remaining < 0 OR"
    " (SELECT COALESCE(sum(b.quantity), 0) FROM bookings b WHERE b.event_id = s.event_id AND"
    " b.slot_id = s.slot_id) > s.capacity)"
)


@dataclass(frozen=True)
class DrillSettings:
    buyers_per_second: float = 10.0
    steady_seconds: float = 20.0
    failover_seconds: float = 15.0
    failback_step_seconds: float = 8.0
    health_check_scale: float = 0.1
    # Seats: one scarce slot sells out during the drill (oversell is then possible to attempt);
    # the others stay open so that bookings can resume in tokyo.
    scarce_seats: int = 100
    open_seats: int = 5000
    remote_apply_seconds: float = 0.0
    remote_apply_through_kill: bool = False
    # Seconds before the kill during which tokyo's WAL receiver is stopped (SIGSTOP), then killed
    # with seoul: a replica that lags by that much, so that a failover loses what it missed.
    replica_stall_seconds: float = 0.0


@dataclass
class Timeline:
    marks: dict[str, float] = field(default_factory=dict)
    phases: list[tuple[float, str]] = field(default_factory=list)
    lag_samples: list[tuple[float, int, float]] = field(default_factory=list)
    oversell_checks: list[tuple[float, str, int]] = field(default_factory=list)
    runbook_output: list[str] = field(default_factory=list)
    commit_windows: list[tuple[float, float, str]] = field(default_factory=list)


@dataclass
class DrillRun:
    settings: DrillSettings
    timeline: Timeline
    records: Records
    lost_at_failover: list[dict[str, Any]]
    lost_at_failback: list[dict[str, Any]]
    tokyo_read_only_at_start: bool
    slot_capacity: dict[str, int]


class Drill:
    def __init__(self, repo: Path, settings: DrillSettings, keep_folder: bool = False) -> None:
        """`repo` holds the stack files; the servers live in a temporary folder that PostgreSQL's
        user can enter (removed by `stop` unless `keep_folder`)."""
        self.settings = settings
        read_stack_file(repo, stack.ROUTING_STACK)  # a missing or invalid one stops us here
        self.folder = Path(tempfile.mkdtemp(prefix="ticketing-drill-"))
        self.folder.chmod(0o755)
        self.keep_folder = keep_folder
        self.project = self.folder / "project"
        self.stack_file = stack.copy_stack_files(repo, self.project)
        primary_region = stack.primary_region(self.project)
        shared = {
            "TICKETING_ADMIN_TOKEN": secrets.token_urlsafe(24),
            "TICKETING_SECRET": secrets.token_urlsafe(32),
        }
        self.seoul = Region("seoul", PRIMARY, primary_region, self.folder / "seoul", shared)
        self.tokyo = Region("tokyo", STANDBY, self.stack_file.region, self.folder / "tokyo", shared)
        self.haproxy = HAProxy(self.folder)
        self.listen_port = free_port()
        self.zero = time.monotonic()
        self.timeline = Timeline()
        self.cluster_file = self.folder / "cluster.json"
        self.slot_capacity = {
            "scarce": settings.scarce_seats,
            "open1": settings.open_seats,
            "open2": settings.open_seats,
        }
        self._watching = threading.Event()

    def now(self) -> float:
        return time.monotonic() - self.zero

    def mark(self, name: str) -> float:
        self.timeline.marks[name] = at = self.now()
        return at

    # setup -------------------------------------------------------------------------------

    def start(self) -> None:
        self.seoul.start_primary()
        self.seoul.start_app()
        self.seoul.create_event(EVENT_ID, self.slot_capacity)
        self.tokyo.start_replica_of(self.seoul)
        self.tokyo.start_app()
        self.tokyo_read_only_at_start = self.tokyo.in_recovery()
        self._write_cluster_file()
        self.haproxy.start(self._haproxy_config())
        self.timeline.phases.append((self.now(), self.stack_file.routing.selection.phase))
        self._wait_until(
            "both regions healthy", lambda: self._health() == {PRIMARY: "UP", STANDBY: "UP"}
        )
        threading.Thread(target=self._watch, daemon=True).start()

    def _write_cluster_file(self) -> None:
        write_cluster_file(
            self.cluster_file,
            GLOBAL_CLUSTER,
            {region.name: region.member for region in (self.seoul, self.tokyo)},
        )

    def _haproxy_config(self) -> str:
        return render_config(
            self.stack_file.routing,
            self.listen_port,
            {PRIMARY: self.seoul.app_port, STANDBY: self.tokyo.app_port},
            self.folder,
            self.settings.health_check_scale,
        )

    def _health(self) -> dict[str, str]:
        return self.haproxy.server_status()

    def _wait_until(self, what: str, done: Any, timeout: float = WAIT_TIMEOUT_SECONDS) -> float:
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                raise RuntimeError(f"drill: not {what} after {timeout:.0f} s")
            time.sleep(0.05)
        return self.now()

    def _watch(self) -> None:
        """Seoul's replication lag, as its primary sees it, until seoul is killed."""
        while not self._watching.is_set():
            if "kill" not in self.timeline.marks:
                sample = psql_query(self.seoul.member, LAG_SAMPLE)
                if sample and "kill" not in self.timeline.marks:
                    lag_bytes, lag_ms = sample.split(",")
                    self.timeline.lag_samples.append((self.now(), int(lag_bytes), float(lag_ms)))
            time.sleep(LAG_SAMPLE_SECONDS)

    # the runbook -------------------------------------------------------------------------

    def _ops_dr(self, *args: str) -> None:
        out = io.StringIO()
        code = dr_cli.main(
            [
                "--stack",
                stack.ROUTING_STACK,
                "--project-dir",
                str(self.project),
                *args,
                "--global-cluster",
                GLOBAL_CLUSTER,
                "--local-cluster",
                str(self.cluster_file),
                "--yes",
                "--wait",
            ],
            out=out,
        )
        self.timeline.runbook_output.append(
            f"$ python -m ops.dr {' '.join(args)}\n{out.getvalue()}"
        )
        if code != 0:
            raise RuntimeError(f"ops.dr {' '.join(args)} exited {code}: {out.getvalue()}")

    def _move_traffic(self, destination: str, hold_seconds: float) -> None:
        for selection in stack.steps_to(self.project, destination):
            self.stack_file = stack.write_selection(self.project, selection)
            self.haproxy.reload(self._haproxy_config())
            label = f"{selection.phase} {format_weights(selection.effective_weights())}"
            self.timeline.phases.append((self.now(), label))
            time.sleep(hold_seconds)

    def _set_commit(self, statements: tuple[str, ...]) -> None:
        for statement in statements:
            psql_query(self.seoul.member, statement)

    def _wait_for_booking(self, buyers: Buyers, target: str, after: float, what: str) -> float:
        return self._wait_until(
            what,
            lambda: any(b.target == target and b.at > after for b in list(buyers.records.bookings)),
        )

    def _stall_replica(self) -> int:
        pid = psql_query(self.tokyo.member, "SELECT pid FROM pg_stat_wal_receiver")
        if not pid:
            reason = "no answer" if pid is None else "it is not streaming from seoul"
            raise RuntimeError(f"tokyo has no WAL receiver to stall: {reason}")
        os.kill(int(pid), signal.SIGSTOP)
        self.mark("replica_stalled")
        return int(pid)

    def _compare_commit_modes(self) -> None:
        """Alternates short windows of remote_apply and asynchronous commit, so that the load of a
        shared machine weighs on both alike."""
        end = self.now() + self.settings.remote_apply_seconds
        mode = "remote_apply"
        while self.now() < end:
            self._set_commit(REMOTE_APPLY if mode == "remote_apply" else ASYNC_COMMIT)
            started = self.now()
            time.sleep(min(COMMIT_WINDOW_SECONDS, max(0.0, end - started)))
            self.timeline.commit_windows.append((started, self.now(), mode))
            mode = "async" if mode == "remote_apply" else "remote_apply"
        self._set_commit(ASYNC_COMMIT)

    def _check_oversell(self, moment: str) -> None:
        for region in (self.seoul, self.tokyo):
            count = psql_query(region.member, OVERSOLD_SLOTS)
            if count is not None:
                self.timeline.oversell_checks.append(
                    (self.now(), f"{moment}: {region.name}", int(count))
                )

    def lost_in(self, region: Region, booking_ids: list[str]) -> set[str]:
        """Those of `booking_ids` that the region's PostgreSQL does not have."""
        if not booking_ids:
            return set()
        listed = ",".join(f"'{booking_id}'" for booking_id in booking_ids)
        present = psql_query(
            region.member,
            f"SELECT string_agg(booking_id, ' ') FROM bookings WHERE booking_id IN ({listed})",  # noqa: S608 -- ids the app generated
        )
        if present is None:  # not an empty answer: counting every booking as lost would be wrong
            raise RuntimeError(f"drill: {region.name}'s PostgreSQL did not answer for its bookings")
        return set(booking_ids) - set(present.split())

    # the timeline ------------------------------------------------------------------------

    def run(self) -> DrillRun:
        settings = self.settings
        buyers = Buyers(
            f"http://127.0.0.1:{self.listen_port}",
            EVENT_ID,
            list(self.slot_capacity),
            settings.buyers_per_second,
            self.zero,
        )
        buyers.start()
        self.mark("traffic")
        time.sleep(settings.steady_seconds / 2)  # warm-up, not measured
        self._compare_commit_modes()
        final_mode = "remote_apply" if settings.remote_apply_through_kill else "async"
        if settings.remote_apply_through_kill:
            self._set_commit(REMOTE_APPLY)
        started = self.now()
        time.sleep(max(0.0, settings.steady_seconds / 2 - settings.replica_stall_seconds))
        receiver = self._stall_replica() if settings.replica_stall_seconds else None
        time.sleep(settings.replica_stall_seconds)
        self.timeline.commit_windows.append((started, self.now(), final_mode))
        self._wait_for_booking(buyers, PRIMARY, self.timeline.marks["traffic"], "bookings in seoul")
        self._check_oversell("before the kill")

        kill_at = self.mark("kill")
        self.seoul.kill()
        if receiver is not None:
            # Whatever it holds unread dies with it; the standby restarts recovery from its pg_wal.
            os.kill(receiver, signal.SIGKILL)
        self.timeline.marks["detected"] = self._wait_until(
            "seoul's loss detected", lambda: self._health().get(PRIMARY) == "DOWN"
        )
        self.timeline.marks["traffic_moved"] = self._wait_until(
            "traffic in tokyo",
            lambda: any(
                r.target == STANDBY and r.at > kill_at for r in list(buyers.records.requests)
            ),
        )
        self.mark("runbook_start")
        self._ops_dr("failover", "--to-region", self.tokyo.aws_region, "--allow-data-loss")
        self.mark("promoted")
        acknowledged_by_seoul = [
            b.booking_id for b in list(buyers.records.bookings) if b.target == PRIMARY
        ]
        lost_at_failover = self.lost_in(self.tokyo, acknowledged_by_seoul)
        self._check_oversell("after promotion")
        self._move_traffic("failover", 0)
        self.mark("phase_failover")
        self.timeline.marks["bookings_resumed"] = self._wait_for_booking(
            buyers, STANDBY, self.timeline.marks["promoted"], "bookings in tokyo"
        )
        time.sleep(settings.failover_seconds)

        self.mark("seoul_rebuild")
        self.seoul.start_replica_of(self.tokyo)
        self.seoul.start_app()
        self._write_cluster_file()
        self._wait_until("seoul healthy again", lambda: self._health().get(PRIMARY) == "UP")
        self.mark("seoul_replica")

        self.mark("switchover_start")
        self._ops_dr("switchover", "--to-region", self.seoul.aws_region)
        self.mark("switchover_done")
        self._move_traffic("failback", settings.failback_step_seconds)
        self.mark("normal")
        self._wait_for_booking(buyers, PRIMARY, self.timeline.phases[-1][0], "bookings in seoul")
        records = buyers.finish()
        self.mark("traffic_stopped")
        self._check_oversell("at the end")
        surviving = [b.booking_id for b in records.bookings if b.booking_id not in lost_at_failover]
        lost_at_failback = self.lost_in(self.seoul, surviving)
        by_id = {b.booking_id: b for b in records.bookings}
        return DrillRun(
            settings,
            self.timeline,
            records,
            [_booking_row(by_id[i]) for i in sorted(lost_at_failover)],
            [_booking_row(by_id[i]) for i in sorted(lost_at_failback)],
            self.tokyo_read_only_at_start,
            self.slot_capacity,
        )

    def stop(self) -> None:
        self._watching.set()
        self.haproxy.stop()
        for region in (self.seoul, self.tokyo):
            region.stop()
        if not self.keep_folder:
            shutil.rmtree(self.folder, ignore_errors=True)


def _booking_row(booking: Any) -> dict[str, Any]:
    return {
        "booking_id": booking.booking_id,
        "slot_id": booking.slot_id,
        "client_id": booking.client_id,
        "acknowledged_at": round(booking.at, 3),
        "region": booking.target,
    }
