"""The routing owner stack (dr) run as `pulumi preview` would run it, under the offline mocks:
every weighted record of the public name is in this one stack, each behind a health check."""

from __future__ import annotations

import yaml

from components.routing import RoutingConfig
from policies.program_runner import ProgramRun, RegisteredResource
from tests.infra.conftest import REPO_ROOT

ROUTING_KEY = "ticketing:routing"
RECORD = "aws:route53/record:Record"
HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"


def stack_config(stack: str) -> dict:
    path = REPO_ROOT / f"Pulumi.{stack}.yaml"
    return (yaml.safe_load(path.read_text()) or {}).get("config") or {} if path.is_file() else {}


def weighted(run: ProgramRun) -> list[RegisteredResource]:
    return [
        record for record in run.of_type(RECORD) if record.inputs.get("weightedRoutingPolicies")
    ]


def test_only_the_dr_stack_owns_routing(dev: ProgramRun, prod: ProgramRun) -> None:
    owners = [
        path.name
        for path in sorted(REPO_ROOT.glob("Pulumi.*.yaml"))
        if ROUTING_KEY in stack_config(path.name.split(".")[1])
    ]
    assert owners == ["Pulumi.dr.yaml"]
    for run in (dev, prod):
        assert "routing" not in run.outputs
        assert run.of_type(HEALTH_CHECK) == [] and weighted(run) == []


def test_every_weighted_record_has_its_targets_health_check(dr: ProgramRun) -> None:
    records = weighted(dr)
    assert sorted(record.inputs["setIdentifier"] for record in records) == ["dr", "prod"]
    checks = {f"{check.name}-id": check for check in dr.of_type(HEALTH_CHECK)}
    for record in records:
        check = checks[record.inputs["healthCheckId"]]
        if check.inputs["type"] == "CALCULATED":
            check = next(
                checks[child]
                for child in check.inputs["childHealthchecks"]
                if checks[child].inputs["type"] == "HTTPS"
            )
        assert (
            check.inputs["type"],
            check.inputs["resourcePath"],
            check.inputs["requestInterval"],
            check.inputs["failureThreshold"],
        ) == ("HTTPS", "/readyz", 10, 3)
        target_name = record.inputs.get("records", [None])[0] or record.inputs["aliases"][0]["name"]
        assert check.inputs["fqdn"] == target_name


def test_records_carry_the_stack_files_weights_and_the_table_is_exported(dr: ProgramRun) -> None:
    expected = RoutingConfig.from_config(stack_config("dr")[ROUTING_KEY]).effective_weights()
    live = {
        record.inputs["setIdentifier"]: record.inputs["weightedRoutingPolicies"][0]["weight"]
        for record in weighted(dr)
    }
    assert live == expected
    assert dr.outputs["routing"]["weights"] == expected


def test_records_point_at_prods_alb_from_the_stack_reference_and_at_drs_own(
    dr: ProgramRun, prod: ProgramRun
) -> None:
    aliases = {
        record.inputs["setIdentifier"]: record.inputs["aliases"][0] for record in weighted(dr)
    }
    for target, run in (("prod", prod), ("dr", dr)):
        assert (aliases[target]["name"], aliases[target]["zoneId"]) == (
            run.outputs["ingressHostname"],
            run.outputs["albZoneId"],
        )
    assert aliases["prod"]["name"] != aliases["dr"]["name"]


def test_routing_resources_live_under_the_routing_component(dr: ProgramRun) -> None:
    (component,) = dr.of_type("ticketing:routing:Routing")
    children = {resource.type for resource in dr.children_of(component.urn)}
    assert {RECORD, HEALTH_CHECK, "aws:cloudwatch/metricAlarm:MetricAlarm"} <= children
    for record in weighted(dr):
        assert record.parent_urn == component.urn


def test_health_alarms_are_created_through_a_us_east_1_provider(dr: ProgramRun) -> None:
    providers = {resource.urn: resource for resource in dr.of_type("pulumi:providers:aws")}
    alarms = [
        alarm
        for alarm in dr.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if alarm.inputs.get("namespace") == "AWS/Route53"
    ]
    assert len(alarms) == len(weighted(dr))
    (component,) = dr.of_type("ticketing:routing:Routing")
    (topic,) = [
        topic for topic in dr.of_type("aws:sns/topic:Topic") if topic.parent_urn == component.urn
    ]
    for resource in (*alarms, topic):
        assert providers[resource.provider.rsplit("::", 1)[0]].inputs["region"] == "us-east-1", (
            resource.name
        )
    for alarm in alarms:
        assert topic.urn in alarm.dependencies
