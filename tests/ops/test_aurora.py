"""`ops.dr switchover|failover`. moto 5.2.5 has no switchover_global_cluster or
failover_global_cluster (NotImplementedError), so these run on botocore's Stubber: each test
states the exact API calls expected, and any other call fails it."""

from __future__ import annotations

import datetime
import io
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from ops.dr.aurora import FAILOVER, SWITCHOVER, Promotion, plan_promotion, wait_for_writer
from ops.dr.backends import AuroraBackend
from ops.dr.cli import main
from ops.dr.errors import OpsError
from tests.ops.aws_world import DR_CLUSTER_ARN, GLOBAL_CLUSTER, PROD_CLUSTER_ARN
from tests.ops.stack_files import DR_REGION, WriteStack


def global_cluster(
    writer: str = PROD_CLUSTER_ARN, status: str = "available", failover_state: dict | None = None
) -> dict[str, Any]:
    described: dict[str, Any] = {
        "GlobalClusterIdentifier": GLOBAL_CLUSTER,
        "Status": status,
        "GlobalClusterMembers": [
            {"DBClusterArn": arn, "IsWriter": arn == writer, "Readers": []}
            for arn in (PROD_CLUSTER_ARN, DR_CLUSTER_ARN)
        ],
    }
    if failover_state:
        described["FailoverState"] = failover_state
    return described


class StubbedRds:
    """An RDS client (and a CloudWatch one for the lag read before a failover) that only answer what
    a test stubs.
    """

    def __init__(self) -> None:
        self.client = boto3.client(
            "rds", region_name=DR_REGION, aws_access_key_id="test", aws_secret_access_key="test"
        )
        self.cloudwatch = boto3.client(
            "cloudwatch",
            region_name=DR_REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        self.stubber = Stubber(self.client)
        self.cloudwatch_stubber = Stubber(self.cloudwatch)
        self.regions: list[str] = []

    def clients(self, service: str, region: str) -> Any:
        self.regions.append(region)
        return {"rds": self.client, "cloudwatch": self.cloudwatch}[service]

    def lag(self, milliseconds: float) -> None:
        now = datetime.datetime.now(datetime.UTC)
        self.cloudwatch_stubber.add_response(
            "get_metric_statistics", {"Datapoints": [{"Timestamp": now, "Maximum": milliseconds}]}
        )

    def describes(self, described: dict[str, Any]) -> None:
        self.stubber.add_response(
            "describe_global_clusters",
            {"GlobalClusters": [described]},
            {"GlobalClusterIdentifier": GLOBAL_CLUSTER},
        )


@pytest.fixture
def rds() -> StubbedRds:
    return StubbedRds()


def run(rds: StubbedRds, project, *args: str, answer: str = "") -> tuple[int, str]:
    out = io.StringIO()
    with rds.stubber, rds.cloudwatch_stubber:
        code = main(
            ["--project-dir", str(project), *args],
            clients=rds.clients,
            out=out,
            ask=lambda _: answer,
        )
    return code, out.getvalue()


def test_switchover_promotes_the_dr_cluster_after_typed_confirmation(
    rds: StubbedRds, write_stack: WriteStack
) -> None:
    rds.describes(global_cluster())
    rds.stubber.add_response(
        "switchover_global_cluster",
        {"GlobalCluster": {"Status": "switching-over", "FailoverState": {"Status": "pending"}}},
        {"GlobalClusterIdentifier": GLOBAL_CLUSTER, "TargetDbClusterIdentifier": DR_CLUSTER_ARN},
    )
    code, output = run(
        rds, write_stack(), "switchover", "--global-cluster", GLOBAL_CLUSTER, answer=GLOBAL_CLUSTER
    )
    assert code == 0, output
    assert f"writer {PROD_CLUSTER_ARN} -> {DR_CLUSTER_ARN} (no data loss)" in output
    assert "failover state 'pending'" in output
    assert set(rds.regions) == {DR_REGION}
    rds.stubber.assert_no_pending_responses()


def test_failover_sends_allow_data_loss(rds: StubbedRds, write_stack: WriteStack) -> None:
    rds.describes(global_cluster(status="failing-over-unreachable"))
    rds.stubber.add_response(
        "failover_global_cluster",
        {
            "GlobalCluster": {
                "Status": "failing-over",
                "FailoverState": {"Status": "failing-over", "IsDataLossAllowed": True},
            }
        },
        {
            "GlobalClusterIdentifier": GLOBAL_CLUSTER,
            "TargetDbClusterIdentifier": DR_CLUSTER_ARN,
            "AllowDataLoss": True,
        },
    )
    rds.lag(640)
    code, output = run(
        rds,
        write_stack(),
        "failover",
        "--global-cluster",
        GLOBAL_CLUSTER,
        "--allow-data-loss",
        "--yes",
    )
    assert code == 0, output
    assert "ALLOWS DATA LOSS" in output
    assert "Last replication lag of the target: 640 ms" in output
    rds.stubber.assert_no_pending_responses()
    rds.cloudwatch_stubber.assert_no_pending_responses()


def test_unanswered_confirmation_changes_nothing(rds: StubbedRds, write_stack: WriteStack) -> None:
    rds.describes(global_cluster())

    def closed_stdin(_: str) -> str:
        raise EOFError

    out = io.StringIO()
    with rds.stubber:
        code = main(
            ["--project-dir", str(write_stack()), "switchover", "--global-cluster", GLOBAL_CLUSTER],
            clients=rds.clients,
            out=out,
            ask=closed_stdin,
        )
    assert code == 1 and "Not confirmed" in out.getvalue()
    rds.stubber.assert_no_pending_responses()


def test_failover_without_allow_data_loss_calls_nothing(
    rds: StubbedRds, write_stack: WriteStack, capsys: pytest.CaptureFixture[str]
) -> None:
    code, output = run(rds, write_stack(), "failover", "--global-cluster", GLOBAL_CLUSTER, "--yes")
    assert code == 1 and output == ""
    assert "pass --allow-data-loss" in capsys.readouterr().err
    assert rds.regions == []


def test_dry_run_checks_and_prints_the_call_without_making_it(
    rds: StubbedRds, write_stack: WriteStack
) -> None:
    rds.describes(global_cluster())
    code, output = run(
        rds, write_stack(), "switchover", "--global-cluster", GLOBAL_CLUSTER, "--dry-run"
    )
    assert code == 0
    assert (
        "dry run: would call rds.switchover_global_cluster(" in output and DR_CLUSTER_ARN in output
    )
    rds.stubber.assert_no_pending_responses()


def test_wrong_confirmation_changes_nothing(rds: StubbedRds, write_stack: WriteStack) -> None:
    rds.describes(global_cluster())
    code, output = run(
        rds, write_stack(), "switchover", "--global-cluster", GLOBAL_CLUSTER, answer="yes"
    )
    assert code == 1
    assert "Not confirmed; nothing changed." in output
    rds.stubber.assert_no_pending_responses()


def test_switchover_back_home_targets_the_prod_region(
    rds: StubbedRds, write_stack: WriteStack
) -> None:
    rds.describes(global_cluster(writer=DR_CLUSTER_ARN))
    rds.stubber.add_response(
        "switchover_global_cluster",
        {"GlobalCluster": {"Status": "switching-over"}},
        {"GlobalClusterIdentifier": GLOBAL_CLUSTER, "TargetDbClusterIdentifier": PROD_CLUSTER_ARN},
    )
    rds.describes(global_cluster(writer=PROD_CLUSTER_ARN))
    code, output = run(
        rds,
        write_stack(),
        "switchover",
        "--global-cluster",
        GLOBAL_CLUSTER,
        "--to-region",
        "ap-northeast-2",
        "--yes",
        "--wait",
    )
    assert code == 0, output
    assert f"Done: {PROD_CLUSTER_ARN} is the writer." in output
    assert set(rds.regions) == {"ap-northeast-2"}
    rds.stubber.assert_no_pending_responses()


def test_already_the_writer_is_nothing_to_do(rds: StubbedRds, write_stack: WriteStack) -> None:
    rds.describes(global_cluster(writer=DR_CLUSTER_ARN))
    code, output = run(
        rds, write_stack(), "switchover", "--global-cluster", GLOBAL_CLUSTER, "--yes"
    )
    assert code == 0
    assert "Nothing to do" in output


def test_aws_errors_are_reported_not_raised(
    rds: StubbedRds, write_stack: WriteStack, capsys: pytest.CaptureFixture[str]
) -> None:
    rds.describes(global_cluster())
    rds.stubber.add_client_error(
        "switchover_global_cluster", "InvalidGlobalClusterStateFault", "secondary is not in sync"
    )
    code, _ = run(rds, write_stack(), "switchover", "--global-cluster", GLOBAL_CLUSTER, "--yes")
    assert code == 1
    assert "secondary is not in sync" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("described", "kind", "message"),
    [
        (
            global_cluster(failover_state={"Status": "switching-over"}),
            SWITCHOVER,
            "already switching-over",
        ),
        (global_cluster(status="modifying"), SWITCHOVER, "use failover --allow-data-loss"),
        (
            {
                **global_cluster(),
                "GlobalClusterMembers": [{"DBClusterArn": PROD_CLUSTER_ARN, "IsWriter": True}],
            },
            FAILOVER,
            "no member in ap-northeast-1",
        ),
    ],
)
def test_unsafe_states_are_refused(described: dict, kind: str, message: str) -> None:
    with pytest.raises(OpsError, match=message):
        plan_promotion(described, kind, DR_REGION)


def test_failover_is_allowed_while_the_global_cluster_is_degraded() -> None:
    promotion = plan_promotion(
        global_cluster(status="failing-over-unreachable"), FAILOVER, DR_REGION
    )
    assert promotion is not None and promotion.request()["AllowDataLoss"] is True


def test_waiting_gives_up_with_a_clear_message(rds: StubbedRds) -> None:
    for _ in range(3):
        rds.describes(global_cluster(failover_state={"Status": "switching-over"}))
    now = [0.0]
    promotion = Promotion(SWITCHOVER, GLOBAL_CLUSTER, PROD_CLUSTER_ARN, DR_CLUSTER_ARN)
    with rds.stubber, pytest.raises(OpsError, match="not finished after 30 s"):
        wait_for_writer(
            AuroraBackend(rds.clients, DR_REGION, GLOBAL_CLUSTER),
            promotion,
            30,
            sleep=lambda seconds: now.__setitem__(0, now[0] + seconds),
            clock=lambda: now[0],
        )
    rds.stubber.assert_no_pending_responses()
