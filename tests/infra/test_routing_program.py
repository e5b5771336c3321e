"""The routing owner stack (dr) run as `pulumi preview` would run it, under the offline mocks:
every weighted record of the public name is in this one stack, each behind a health check."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from components.routing import RoutingConfig
from policies.program_runner import ProgramRun, RegisteredResource, run_program

REPO_ROOT = Path(__file__).resolve().parents[2]
ROUTING_KEY = "ticketing:routing"
RECORD = "aws:route53/record:Record"
HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"


def stack_config(stack: str) -> dict:
    path = REPO_ROOT / f"Pulumi.{stack}.yaml"
    return (yaml.safe_load(path.read_text()) or {}).get("config") or {} if path.is_file() else {}


@pytest.fixture(scope="module")
def dr_run() -> ProgramRun:
    if ROUTING_KEY not in stack_config("dr"):
        pytest.skip(f"Pulumi.dr.yaml has no {ROUTING_KEY} yet: the program helper has not wired routing into the dr stack")
    # prod first, so the dr run's StackReference gets prod's real outputs on its first try.
    prod = run_program(REPO_ROOT, "prod")
    return run_program(REPO_ROOT, "dr", stack_outputs={"prod": prod.outputs})


def weighted(run: ProgramRun) -> list[RegisteredResource]:
    return [record for record in run.of_type(RECORD) if record.inputs.get("weightedRoutingPolicies")]


def test_only_the_dr_stack_owns_routing() -> None:
    owners = [path.name for path in sorted(REPO_ROOT.glob("Pulumi.*.yaml")) if ROUTING_KEY in stack_config(path.name.split(".")[1])]
    assert owners == ["Pulumi.dr.yaml"]


def test_every_weighted_record_has_its_targets_health_check(dr_run: ProgramRun) -> None:
    records = weighted(dr_run)
    assert sorted(record.inputs["setIdentifier"] for record in records) == ["dr", "prod"]
    checks = {f"{check.name}-id": check for check in dr_run.of_type(HEALTH_CHECK)}
    for record in records:
        check = checks[record.inputs["healthCheckId"]]
        if check.inputs["type"] == "CALCULATED":
            check = next(checks[child] for child in check.inputs["childHealthchecks"] if checks[child].inputs["type"] == "HTTPS")
        assert (check.inputs["type"], check.inputs["resourcePath"], check.inputs["requestInterval"], check.inputs["failureThreshold"]) == ("HTTPS", "/readyz", 10, 3)
        target_name = record.inputs.get("records", [None])[0] or record.inputs["aliases"][0]["name"]
        assert check.inputs["fqdn"] == target_name


def test_records_carry_the_stack_files_weights_and_the_table_is_exported(dr_run: ProgramRun) -> None:
    expected = RoutingConfig.from_config(stack_config("dr")[ROUTING_KEY]).effective_weights()
    live = {record.inputs["setIdentifier"]: record.inputs["weightedRoutingPolicies"][0]["weight"] for record in weighted(dr_run)}
    assert live == expected
    assert dr_run.outputs["routing"]["weights"] == expected


def test_records_point_at_prods_alb_from_the_stack_reference_and_at_drs_own(dr_run: ProgramRun) -> None:
    targets = {record.inputs["setIdentifier"]: record.inputs.get("records", [None])[0] or record.inputs["aliases"][0]["name"] for record in weighted(dr_run)}
    (alb,) = dr_run.of_type("aws:lb/loadBalancer:LoadBalancer")
    assert targets["prod"] and targets["prod"] != targets["dr"]
    assert targets["dr"].startswith(f"{alb.name}-")


def test_routing_resources_live_under_the_routing_component(dr_run: ProgramRun) -> None:
    (component,) = dr_run.of_type("ticketing:routing:Routing")
    children = {resource.type for resource in dr_run.children_of(component.urn)}
    assert {RECORD, HEALTH_CHECK, "aws:cloudwatch/metricAlarm:MetricAlarm"} <= children
    for record in weighted(dr_run):
        assert record.parent_urn == component.urn


def test_health_alarms_are_created_through_a_us_east_1_provider(dr_run: ProgramRun) -> None:
    providers = {resource.urn: resource for resource in dr_run.of_type("pulumi:providers:aws")}
    alarms = [alarm for alarm in dr_run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm") if alarm.inputs.get("namespace") == "AWS/Route53"]
    assert len(alarms) == len(weighted(dr_run))
    (component,) = dr_run.of_type("ticketing:routing:Routing")
    (topic,) = [topic for topic in dr_run.of_type("aws:sns/topic:Topic") if topic.parent_urn == component.urn]
    for resource in (*alarms, topic):
        assert providers[resource.provider.rsplit("::", 1)[0]].inputs["region"] == "us-east-1", resource.name
    for alarm in alarms:
        assert topic.urn in alarm.dependencies
