"""The local PostgreSQL backend answers as Aurora does, so the same plan and safety checks apply;
its switchover fences the writer and waits for the target to catch up before promoting."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from ops.dr.aurora import FAILOVER, SWITCHOVER, plan_promotion
from ops.dr.cli import main
from ops.dr.errors import OpsError
from ops.dr.local_postgres import (
    FENCE,
    WRITES,
    LocalMember,
    LocalPostgresBackend,
    member_arn,
    write_cluster_file,
)
from tests.ops.stack_files import DR_REGION, PROD_REGION, WriteStack

SEOUL = LocalMember(member_arn(PROD_REGION, "seoul"), "127.0.0.1", 5001)
TOKYO = LocalMember(member_arn(DR_REGION, "tokyo"), "127.0.0.1", 5002)


class FakeServers:
    """Answers each member's SQL from a script; None is an unreachable server."""

    def __init__(self, writes: dict[str, str | None], replay_checks: int = 1) -> None:
        self.writes = writes
        self.replay_checks = replay_checks
        self.calls: list[tuple[str, str]] = []

    def query(self, member: LocalMember, sql: str) -> str | None:
        self.calls.append((member.arn, sql))
        if self.writes[member.arn] is None:
            return None
        if sql == WRITES:
            return self.writes[member.arn]
        if sql == "SELECT pg_current_wal_lsn()":
            return "0/3000060"
        if sql.startswith("SELECT pg_last_wal_replay_lsn()"):
            self.replay_checks -= 1
            return "t" if self.replay_checks <= 0 else "f"
        if sql.startswith("SELECT pg_promote"):
            self.writes[member.arn] = "t"
            return "t"
        return ""


def backend(servers: FakeServers) -> LocalPostgresBackend:
    return LocalPostgresBackend("drill", (SEOUL, TOKYO), servers.query, sleep=lambda _: None)


def test_describe_reads_the_writer_and_reports_an_unreachable_member() -> None:
    described = backend(FakeServers({SEOUL.arn: None, TOKYO.arn: "f"})).describe()
    assert described["Status"] != "available"
    assert [m["IsWriter"] for m in described["GlobalClusterMembers"]] == [False, False]


def test_switchover_is_refused_while_a_member_is_unreachable() -> None:
    described = backend(FakeServers({SEOUL.arn: None, TOKYO.arn: "f"})).describe()
    with pytest.raises(OpsError, match="use failover"):
        plan_promotion(described, SWITCHOVER, DR_REGION)


def test_failover_promotes_without_touching_the_lost_writer() -> None:
    servers = FakeServers({SEOUL.arn: None, TOKYO.arn: "f"})
    drill = backend(servers)
    promotion = plan_promotion(drill.describe(), FAILOVER, DR_REGION)
    assert promotion is not None
    drill.promote(promotion)
    assert (TOKYO.arn, "SELECT pg_promote(wait => true)") in servers.calls
    assert not any(arn == SEOUL.arn and sql in FENCE for arn, sql in servers.calls)


def test_switchover_fences_then_waits_for_replay_then_promotes() -> None:
    servers = FakeServers({SEOUL.arn: "t", TOKYO.arn: "f"}, replay_checks=3)
    drill = backend(servers)
    promotion = plan_promotion(drill.describe(), SWITCHOVER, DR_REGION)
    assert promotion is not None
    drill.promote(promotion)
    order = [sql for _, sql in servers.calls if sql != WRITES]
    fenced = order.index(FENCE[-1])
    caught_up = max(i for i, sql in enumerate(order) if "replay_lsn" in sql)
    assert fenced < caught_up < order.index("SELECT pg_promote(wait => true)")
    assert "0/3000060" in order[caught_up]


def test_cli_failover_with_a_local_cluster_file(tmp_path: Path, write_stack: WriteStack) -> None:
    project = write_stack()
    cluster = tmp_path / "cluster.json"
    write_cluster_file(cluster, "drill", {"seoul": SEOUL, "tokyo": TOKYO})
    assert json.loads(cluster.read_text())["members"][1]["port"] == 5002
    out = io.StringIO()
    code = main(
        [
            "--project-dir",
            str(project),
            "failover",
            "--global-cluster",
            "drill",
            "--local-cluster",
            str(cluster),
            "--allow-data-loss",
            "--dry-run",
        ],
        out=out,
    )
    # Nothing listens on the fake ports: both members unreachable, no member to promote from.
    assert code == 0
    assert f"-> {TOKYO.arn}" in out.getvalue()


def test_a_malformed_cluster_file_names_what_is_expected(tmp_path: Path) -> None:
    cluster = tmp_path / "cluster.json"
    cluster.write_text('{"members": []}')
    with pytest.raises(OpsError, match="global_cluster"):
        LocalPostgresBackend.from_file(cluster, "drill")
