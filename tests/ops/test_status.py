"""`ops.dr status` against moto (records, health-check status, global cluster, lag metric), and
botocore's Stubber where moto cannot fail: moto reports every health check as passing."""

from __future__ import annotations

import io
from collections.abc import Iterator

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from ops.dr.cli import main
from ops.dr.status import target_health
from tests.ops.aws_world import DR_CLUSTER_ARN, GLOBAL_CLUSTER, PROD_CLUSTER_ARN, build_world
from tests.ops.stack_files import WriteStack


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def run_status(project, *extra: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["--project-dir", str(project), "status", *extra], out=out)
    return code, out.getvalue()


def row(output: str, target: str) -> list[str]:
    return next(
        line.split() for line in output.splitlines() if line.strip().startswith(f"{target} ")
    )


def test_healthy_pair_reports_weights_health_and_lag(aws: None, write_stack: WriteStack) -> None:
    build_world({"prod": 100, "dr": 0})
    code, output = run_status(write_stack({"phase": "normal"}), "--global-cluster", GLOBAL_CLUSTER)
    assert code == 0, output
    assert row(output, "prod")[:4] == ["prod", "100", "100", "healthy"]
    assert row(output, "dr")[:4] == ["dr", "0", "0", "healthy"]
    assert f"writer  ap-northeast-2  {PROD_CLUSTER_ARN}" in output
    assert f"reader  ap-northeast-1  {DR_CLUSTER_ARN}  lag 420 ms" in output
    assert "OK: nothing blocks a change" in output


def test_without_the_global_cluster_only_routing_is_cleared(
    aws: None, write_stack: WriteStack
) -> None:
    build_world({"prod": 100, "dr": 0})
    code, output = run_status(write_stack({"phase": "normal"}))
    assert code == 0, output
    assert "Aurora: not checked" in output
    assert "OK: nothing blocks a change" not in output
    assert "OK for routing" in output


def test_config_not_yet_applied_is_a_problem(aws: None, write_stack: WriteStack) -> None:
    build_world({"prod": 100, "dr": 0})
    code, output = run_status(write_stack({"phase": "failover"}))
    assert code == 1
    assert "prod: live weight 100, stack file says 0 (pulumi up pending?)" in output
    assert "Aurora: not checked" in output


def test_replication_lag_over_the_limit_is_a_problem(aws: None, write_stack: WriteStack) -> None:
    build_world({"prod": 100, "dr": 0}, lag_ms=2500.0)
    code, output = run_status(write_stack({"phase": "normal"}), "--global-cluster", GLOBAL_CLUSTER)
    assert code == 1
    assert f"replication lag of {DR_CLUSTER_ARN} is 2500 ms (limit 1000 ms)" in output


def test_missing_lag_metric_is_a_problem(aws: None, write_stack: WriteStack) -> None:
    build_world({"prod": 100, "dr": 0}, lag_ms=None)
    code, output = run_status(write_stack({"phase": "normal"}), "--global-cluster", GLOBAL_CLUSTER)
    assert code == 1
    assert "lag unknown" in output


def test_unknown_global_cluster_and_zone_are_clear_errors(
    aws: None, write_stack: WriteStack, capsys: pytest.CaptureFixture[str]
) -> None:
    build_world({"prod": 100, "dr": 0})
    code, _ = run_status(write_stack({"phase": "normal"}), "--global-cluster", "nope")
    assert code == 1
    assert "global cluster 'nope' not found" in capsys.readouterr().err
    code, _ = run_status(
        write_stack({"phase": "normal", "zone": "example.org", "recordName": "tickets.example.org"})
    )
    assert code == 1
    assert "no public hosted zone 'example.org'" in capsys.readouterr().err


def stubbed_route53() -> tuple[object, Stubber]:
    client = boto3.client(
        "route53", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )
    return client, Stubber(client)


def observation(status: str) -> dict:
    return {"Region": "us-east-1", "IPAddress": "192.0.2.10", "StatusReport": {"Status": status}}


def test_failing_checkers_make_a_target_unhealthy() -> None:
    route53, stubber = stubbed_route53()
    stubber.add_response(
        "get_health_check",
        {
            "HealthCheck": {
                "Id": "hc-prod",
                "CallerReference": "p",
                "HealthCheckVersion": 1,
                "HealthCheckConfig": {"Type": "HTTPS"},
            }
        },
        {"HealthCheckId": "hc-prod"},
    )
    failing = [observation("Failure: HTTP Status Code 503, Service Unavailable")] * 7 + [
        observation("Success: HTTP Status Code 200")
    ]
    stubber.add_response(
        "get_health_check_status",
        {"HealthCheckObservations": failing},
        {"HealthCheckId": "hc-prod"},
    )
    with stubber:
        health = target_health(route53, "prod", {"Weight": 100, "HealthCheckId": "hc-prod"})
    assert (health.checkers_ok, health.checkers, health.healthy) == (1, 8, False)
    stubber.assert_no_pending_responses()


def test_with_arc_the_endpoint_child_of_the_calculated_check_is_read() -> None:
    route53, stubber = stubbed_route53()

    def check(identifier: str, config: dict) -> None:
        stubber.add_response(
            "get_health_check",
            {
                "HealthCheck": {
                    "Id": identifier,
                    "CallerReference": identifier,
                    "HealthCheckVersion": 1,
                    "HealthCheckConfig": config,
                }
            },
            {"HealthCheckId": identifier},
        )

    check(
        "hc-combined",
        {
            "Type": "CALCULATED",
            "ChildHealthChecks": ["hc-control", "hc-readyz"],
            "HealthThreshold": 2,
        },
    )
    check("hc-control", {"Type": "RECOVERY_CONTROL"})
    check("hc-readyz", {"Type": "HTTPS"})
    stubber.add_response(
        "get_health_check_status",
        {"HealthCheckObservations": [observation("Success: HTTP Status Code 200")] * 3},
        {"HealthCheckId": "hc-readyz"},
    )
    with stubber:
        health = target_health(route53, "dr", {"Weight": 0, "HealthCheckId": "hc-combined"})
    assert health.healthy and health.health_check_id == "hc-combined"
    stubber.assert_no_pending_responses()


def test_weighted_target_with_failing_health_check_is_reported(
    aws: None, write_stack: WriteStack
) -> None:
    world = build_world({"prod": 100, "dr": 0})

    def clients(service: str, region: str):
        client = boto3.client(service, region_name=region)
        if service == "route53":
            moto_status = client.get_health_check_status

            def get_health_check_status(HealthCheckId: str) -> dict:
                if HealthCheckId == world.health_check_ids["prod"]:
                    return {
                        "HealthCheckObservations": [observation("Failure: Connection timed out")]
                        * 4
                    }
                return moto_status(HealthCheckId=HealthCheckId)

            client.get_health_check_status = get_health_check_status
        return client

    out = io.StringIO()
    code = main(
        ["--project-dir", str(write_stack({"phase": "normal"})), "status"], clients=clients, out=out
    )
    assert code == 1
    assert row(out.getvalue(), "prod")[:4] == ["prod", "100", "100", "UNHEALTHY"]
    assert row(out.getvalue(), "dr")[:4] == ["dr", "0", "0", "healthy"]
    assert "prod has weight 100 but its health check is failing" in out.getvalue()
