"""The Routing component under Pulumi mocks: what it asks AWS for, read as a specification."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pulumi
import pytest
from pulumi.runtime.settings import SETTINGS
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from components.errors import ConfigError
from components.routing import (
    HEALTH_CHECK_METRIC_REGION,
    RECOVERY_CONTROL_REGION,
    Routing,
    RoutingConfig,
)
from policies.mocks import ProgramMocks

ENDPOINTS = {
    "prod": "prod-alb-1.ap-northeast-2.elb.amazonaws.com",
    "dr": "dr-alb-1.ap-northeast-1.elb.amazonaws.com",
}
US_EAST_1_TOPIC = "arn:aws:sns:us-east-1:123456789012:routing-alarms"


class RecordingMocks(ProgramMocks):
    def __init__(self) -> None:
        super().__init__()
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        self.resources.append(args)
        return super().new_resource(args)

    def of_type(self, token: str) -> list[pulumi.runtime.MockResourceArgs]:
        return [resource for resource in self.resources if resource.typ == token]

    def named(self, name: str) -> pulumi.runtime.MockResourceArgs:
        (match,) = [resource for resource in self.resources if resource.name == name]
        return match


@pytest.fixture
def mocks() -> Iterator[RecordingMocks]:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    recording = RecordingMocks()
    SETTINGS.rpc_manager.clear()
    SETTINGS.outputs.clear()
    pulumi.runtime.set_mocks(recording, project="ticketing", stack="dr", preview=False)
    yield recording
    # A failed deployment leaves registrations pending; they must not leak into the next
    # test's loop.
    for task in asyncio.all_tasks(loop):
        task.cancel()
    loop.run_until_complete(asyncio.sleep(0))
    loop.close()
    asyncio.set_event_loop(None)


def routing_config(**routing: object) -> RoutingConfig:
    return RoutingConfig.from_config(
        {"zone": "example.com", "recordName": "tickets.example.com", "phase": "normal", **routing}
    )


def build(
    config: RoutingConfig,
    endpoints: dict = ENDPOINTS,
    alarm_topic_arn: str | None = US_EAST_1_TOPIC,
    **kwargs,
) -> Routing:
    return Routing(
        "routing", config, endpoints, alarm_topic_arn, {"service": "ticketing"}, **kwargs
    )


def deploy(config: RoutingConfig, **kwargs) -> Routing:
    """Builds the component and waits, as the engine would, until every registration and apply is
    done.
    """
    built: list[Routing] = []
    _sync_await(run_pulumi_func(lambda: built.append(build(config, **kwargs))))
    return built[0]


def resolved(output: pulumi.Output) -> object:
    return _sync_await(output.future())


def test_every_weighted_record_has_a_readyz_health_check(mocks: RecordingMocks):
    routing = deploy(routing_config())
    assert (routing.weights, routing.record_fqdn) == ({"prod": 100, "dr": 0}, "tickets.example.com")
    assert resolved(pulumi.Output.all(**routing.health_check_ids)) == {
        "prod": "routing-prod-readyz-id",
        "dr": "routing-dr-readyz-id",
    }
    records = mocks.of_type("aws:route53/record:Record")
    checks = {
        f"{resource.name}-id": resource.inputs
        for resource in mocks.of_type("aws:route53/healthCheck:HealthCheck")
    }
    assert sorted(record.inputs["setIdentifier"] for record in records) == ["dr", "prod"]
    for record in records:
        target = record.inputs["setIdentifier"]
        assert record.inputs["name"] == "tickets.example.com"
        assert record.inputs["type"] == "CNAME"
        assert record.inputs["ttl"] == 60
        assert record.inputs["records"] == [ENDPOINTS[target]]
        assert record.inputs["zoneId"] == "ZMOCKZONE"
        health_check = checks[record.inputs["healthCheckId"]]
        assert health_check["fqdn"] == ENDPOINTS[target]
        assert (health_check["type"], health_check["port"], health_check["resourcePath"]) == (
            "HTTPS",
            443,
            "/readyz",
        )
        assert (health_check["requestInterval"], health_check["failureThreshold"]) == (10, 3)
    weights = {
        record.inputs["setIdentifier"]: record.inputs["weightedRoutingPolicies"][0]["weight"]
        for record in records
    }
    assert weights == {"prod": 100, "dr": 0}


def test_records_carry_the_effective_weights_of_the_config(mocks: RecordingMocks):
    routing = deploy(routing_config(phase="failback", failbackStep=1, weights={"dr": 70}))
    assert routing.weights == {"prod": 50, "dr": 70}
    weights = {
        record.inputs["setIdentifier"]: record.inputs["weightedRoutingPolicies"][0]["weight"]
        for record in mocks.of_type("aws:route53/record:Record")
    }
    assert weights == {"prod": 50, "dr": 70}


def test_health_alarms_live_in_us_east_1_and_notify_the_given_topic(mocks: RecordingMocks):
    deploy(routing_config())
    (provider,) = [
        p
        for p in mocks.of_type("pulumi:providers:aws")
        if p.inputs.get("region") == HEALTH_CHECK_METRIC_REGION
    ]
    alarms = mocks.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    assert len(alarms) == 2
    for alarm in alarms:
        assert alarm.provider is not None
        assert (
            alarm.provider.startswith("urn:pulumi:dr::ticketing::")
            and f"::{provider.name}::" in alarm.provider
        )
        assert (alarm.inputs["namespace"], alarm.inputs["metricName"]) == (
            "AWS/Route53",
            "HealthCheckStatus",
        )
        assert alarm.inputs["alarmActions"] == [US_EAST_1_TOPIC]
    assert {alarm.inputs["dimensions"]["HealthCheckId"] for alarm in alarms} == {
        "routing-prod-readyz-id",
        "routing-dr-readyz-id",
    }
    assert not mocks.of_type("aws:sns/topic:Topic")


def test_without_a_topic_it_creates_an_encrypted_one_in_us_east_1(mocks: RecordingMocks):
    routing = deploy(
        routing_config(),
        alarm_topic_arn=None,
        alarm_subscriptions=[("https", "https://events.pagerduty.com/x")],
    )
    topic_arn = resolved(routing.alarm_topic_arn)
    (topic,) = mocks.of_type("aws:sns/topic:Topic")
    (key,) = mocks.of_type("aws:kms/key:Key")
    (alias,) = mocks.of_type("aws:kms/alias:Alias")
    assert topic.inputs["kmsMasterKeyId"].endswith(":key/routing-alarms-key")
    assert key.inputs["enableKeyRotation"] is True
    (publish,) = [
        s
        for s in json.loads(key.inputs["policy"])["Statement"]
        if s["Principal"] == {"Service": ["cloudwatch.amazonaws.com"]}
    ]
    assert "kms:GenerateDataKey" in publish["Action"]
    assert not [
        a for s in json.loads(key.inputs["policy"])["Statement"] for a in s["Action"] if "*" in a
    ]
    assert all("us-east-1" in str(resource.provider) for resource in (topic, key, alias))
    (subscription,) = mocks.of_type("aws:sns/topicSubscription:TopicSubscription")
    assert subscription.inputs["protocol"] == "https"
    for alarm in mocks.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"):
        assert alarm.inputs["alarmActions"] == [topic_arn]


def test_a_regional_alarm_topic_is_refused(mocks: RecordingMocks):
    with pytest.raises(ValueError, match="expected an SNS topic in us-east-1"):
        deploy(routing_config(), alarm_topic_arn="arn:aws:sns:ap-northeast-1:123456789012:alerts")


def test_recovery_control_puts_each_record_behind_its_routing_control(mocks: RecordingMocks):
    deploy(routing_config(recoveryControl=True))
    controls = mocks.of_type("aws:route53recoverycontrol/routingControl:RoutingControl")
    assert sorted(control.name for control in controls) == ["routing-dr", "routing-prod"]
    assert all("us-west-2" in str(control.provider) for control in controls)
    (rule,) = mocks.of_type("aws:route53recoverycontrol/safetyRule:SafetyRule")
    assert rule.inputs["ruleConfig"] == {"type": "ATLEAST", "threshold": 1, "inverted": False}
    assert len(rule.inputs["assertedControls"]) == 2
    checks = {
        f"{resource.name}-id": resource.inputs
        for resource in mocks.of_type("aws:route53/healthCheck:HealthCheck")
    }
    for record in mocks.of_type("aws:route53/record:Record"):
        target = record.inputs["setIdentifier"]
        combined = checks[record.inputs["healthCheckId"]]
        assert combined["type"] == "CALCULATED" and combined["childHealthThreshold"] == 2
        assert sorted(checks[child]["type"] for child in combined["childHealthchecks"]) == [
            "HTTPS",
            "RECOVERY_CONTROL",
        ]
        control_check = next(
            checks[child]
            for child in combined["childHealthchecks"]
            if checks[child]["type"] == "RECOVERY_CONTROL"
        )
        assert control_check["routingControlArn"].endswith(f"routingcontrol/routing-{target}")


def test_without_recovery_control_there_are_no_arc_resources(mocks: RecordingMocks):
    deploy(routing_config())
    assert not [
        resource
        for resource in mocks.resources
        if resource.typ.startswith("aws:route53recoverycontrol/")
    ]
    assert not [
        p
        for p in mocks.of_type("pulumi:providers:aws")
        if p.inputs.get("region") == RECOVERY_CONTROL_REGION
    ]


def test_weight_on_a_target_without_endpoint_fails_before_any_resource(mocks: RecordingMocks):
    with pytest.raises(ConfigError, match="without an endpoint"):
        deploy(routing_config(), endpoints={"dr": ENDPOINTS["dr"]})
    assert mocks.resources == []


def test_a_target_without_endpoint_and_weight_zero_gets_no_record(mocks: RecordingMocks):
    deploy(routing_config(phase="failover"), endpoints={"dr": ENDPOINTS["dr"]})
    assert [
        record.inputs["setIdentifier"] for record in mocks.of_type("aws:route53/record:Record")
    ] == ["dr"]


def test_alias_records_point_at_each_albs_zone_and_may_sit_at_the_apex(mocks: RecordingMocks):
    deploy(
        RoutingConfig.from_config(
            {
                "zone": "tickets.example.com",
                "recordName": "tickets.example.com",
                "phase": "failover",
            }
        ),
        endpoint_zone_ids={"prod": "ZWKZPGTI48KDX", "dr": "Z14GRHDCWA56QT"},
    )
    records = {
        record.inputs["setIdentifier"]: record.inputs
        for record in mocks.of_type("aws:route53/record:Record")
    }
    assert (
        records["prod"]["type"] == "A"
        and "ttl" not in records["prod"]
        and "records" not in records["prod"]
    )
    assert records["prod"]["aliases"] == [
        {"name": ENDPOINTS["prod"], "zoneId": "ZWKZPGTI48KDX", "evaluateTargetHealth": False}
    ]
    assert records["dr"]["aliases"][0]["zoneId"] == "Z14GRHDCWA56QT"
    assert records["dr"]["weightedRoutingPolicies"] == [{"weight": 100}]
    assert records["dr"]["healthCheckId"] == "routing-dr-readyz-id"


def test_a_cname_at_the_zone_apex_is_refused(mocks: RecordingMocks):
    apex = RoutingConfig.from_config(
        {"zone": "tickets.example.com", "recordName": "tickets.example.com", "phase": "normal"}
    )
    with pytest.raises(ConfigError) as raised:
        deploy(apex)
    assert raised.value.key == "routing.recordName"
    assert "endpoint_zone_ids" in raised.value.allowed
    assert mocks.resources == []


def test_zone_ids_must_cover_the_same_targets(mocks: RecordingMocks):
    with pytest.raises(ValueError, match="endpoint_zone_ids must name the same targets"):
        deploy(routing_config(), endpoint_zone_ids={"prod": "ZWKZPGTI48KDX"})
