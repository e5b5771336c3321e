"""A local PostgreSQL primary and its streaming replicas as a "global cluster": the database
backend of the DR drill (`python -m ops.drill`).

Members are named by ARN-shaped identifiers (`arn:local:rds:<region>:0:cluster:<name>`) so the
plan and its safety checks read them exactly as they read Aurora's. A failover promotes the
target (`pg_promote`) without waiting, as Aurora's `--allow-data-loss` does. A switchover first
fences the writer (new transactions read-only, open sessions ended), waits until the target has
replayed everything the writer committed, then promotes: nothing acknowledged is lost. The
fenced writer is left running read-only, to be rebuilt as a replica of the new one.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ops.dr import aurora
from ops.dr.errors import OpsError

QUERY_TIMEOUT_SECONDS = 5
CATCH_UP_TIMEOUT_SECONDS = 60.0
CATCH_UP_POLL_SECONDS = 0.05
USER = "ticketing"
DATABASE = "postgres"

# Columns of pg_stat_replication are only readable on the writer; 0 when nothing is pending.
LAG_ON_WRITER = (
    "SELECT COALESCE(EXTRACT(EPOCH FROM max(replay_lag)) * 1000, 0) FROM pg_stat_replication"
)
WRITES = (
    "SELECT NOT pg_is_in_recovery() AND current_setting('default_transaction_read_only') = 'off'"
)
FENCE = (
    "ALTER SYSTEM SET default_transaction_read_only = on",
    "SELECT pg_reload_conf()",
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
    " WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
)


def member_arn(region: str, name: str) -> str:
    return f"arn:local:rds:{region}:0:cluster:{name}"


@dataclass(frozen=True)
class LocalMember:
    arn: str
    host: str
    port: int

    @property
    def dsn(self) -> str:
        return (
            f"host={self.host} port={self.port} user={USER} dbname={DATABASE}"
            f" connect_timeout={QUERY_TIMEOUT_SECONDS}"
        )


Query = Callable[[LocalMember, str], str | None]
"""(member, SQL) -> the first column of the first row as text, None when unreachable."""


def psql_query(member: LocalMember, sql: str) -> str | None:
    psql = shutil.which("psql")
    if psql is None:
        raise OpsError("psql not found on PATH (run scripts/install-system-deps.sh)")
    try:
        done = subprocess.run(
            [psql, member.dsn, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql],
            capture_output=True,
            text=True,
            timeout=QUERY_TIMEOUT_SECONDS * 2,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None
    if done.returncode == 2:  # psql: the connection failed
        return None
    if done.returncode != 0:
        raise OpsError(f"{member.arn}: {sql!r} failed: {done.stderr.strip()}")
    return done.stdout.strip().splitlines()[0] if done.stdout.strip() else ""


@dataclass(frozen=True)
class LocalPostgresBackend:
    global_cluster: str
    members: tuple[LocalMember, ...]
    query: Query = psql_query
    sleep: Callable[[float], None] = time.sleep

    @classmethod
    def from_file(cls, path: Path, global_cluster: str) -> LocalPostgresBackend:
        """The members from the drill's cluster file: {"global_cluster", "members": [{"arn",
        "host", "port"}]}."""
        try:
            document = json.loads(path.read_text())
            members = tuple(
                LocalMember(str(m["arn"]), str(m["host"]), int(m["port"]))
                for m in document["members"]
            )
            name = str(document["global_cluster"])
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise OpsError(
                f"local cluster file {path}: expected {{'global_cluster', 'members': [{{'arn',"
                f" 'host', 'port'}}]}} ({error})"
            ) from error
        if name != global_cluster:
            raise OpsError(f"global cluster {global_cluster!r} not found ({path} has {name!r})")
        return cls(name, members)

    def _member(self, arn: str) -> LocalMember:
        return next(member for member in self.members if member.arn == arn)

    def describe(self) -> dict[str, Any]:
        writes = {member.arn: self.query(member, WRITES) for member in self.members}
        return {
            "GlobalClusterIdentifier": self.global_cluster,
            # Aurora keeps a global cluster "available" while every member answers.
            "Status": "available" if None not in writes.values() else "unreachable-member",
            "GlobalClusterMembers": [
                {"DBClusterArn": arn, "IsWriter": answer == "t"} for arn, answer in writes.items()
            ],
        }

    def replication_lag_ms(self, member_arn: str) -> float | None:
        """The writer's view of its replicas' replay lag; unknown without a reachable writer."""
        for member in self.members:
            if member.arn != member_arn and self.query(member, WRITES) == "t":
                lag = self.query(member, LAG_ON_WRITER)
                return float(lag) if lag else None
        return None

    def promote(self, promotion: aurora.Promotion) -> dict[str, Any]:
        target = self._member(promotion.to_arn)
        if promotion.kind == aurora.SWITCHOVER:
            if promotion.from_arn is None:
                raise OpsError("switchover needs a reachable writer to fence")
            self._fence_and_catch_up(self._member(promotion.from_arn), target)
        if self.query(target, "SELECT pg_promote(wait => true)") != "t":
            raise OpsError(f"{target.arn} did not finish promotion (see its log)")
        return self.describe()

    def _fence_and_catch_up(self, writer: LocalMember, target: LocalMember) -> None:
        for statement in FENCE:
            self.query(writer, statement)
        fenced_at = self.query(writer, "SELECT pg_current_wal_lsn()")
        if not fenced_at:
            raise OpsError(f"{writer.arn} stopped answering while being fenced")
        caught_up = f"SELECT pg_last_wal_replay_lsn() >= '{fenced_at}'::pg_lsn"
        deadline = time.monotonic() + CATCH_UP_TIMEOUT_SECONDS
        while self.query(target, caught_up) != "t":
            if time.monotonic() > deadline:
                raise OpsError(
                    f"{target.arn} has not replayed up to {fenced_at} after"
                    f" {CATCH_UP_TIMEOUT_SECONDS:.0f} s; the writer stays fenced (read-only)"
                )
            self.sleep(CATCH_UP_POLL_SECONDS)


def write_cluster_file(path: Path, global_cluster: str, members: Mapping[str, LocalMember]) -> None:
    """The file `--local-cluster` reads; `members` by region."""
    path.write_text(
        json.dumps(
            {
                "global_cluster": global_cluster,
                "members": [
                    {"arn": m.arn, "host": m.host, "port": m.port} for m in members.values()
                ],
            },
            indent=2,
        )
    )
