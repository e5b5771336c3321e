"""DR routing: the public name's weighted records, one per region, each behind a health check.

One stack (dr) owns every weighted record of the name, so "never all zero" is checked in one
place. The weights come from the `ticketing:routing` config object (see `routing_weights`).
Route53 fails over by itself: when the records with weight are all unhealthy it answers with
the healthy weight-0 record, before anyone edits config.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.errors import ConfigError, unknown_key_error
from components.kms import encryption_key
from components.routing_weights import (
    SELECTION_KEYS,
    Weights,
    WeightSelection,
    check_endpoints,
    format_weights,
)

HEALTH_CHECK_PATH = "/readyz"
HEALTH_CHECK_PORT = 443
HEALTH_CHECK_INTERVAL_SECONDS = 10
HEALTH_CHECK_FAILURE_THRESHOLD = 3
RECORD_TTL_SECONDS = 60
# Route53 publishes health-check metrics only in us-east-1, and an alarm can only notify a
# topic in its own region.
HEALTH_CHECK_METRIC_REGION = "us-east-1"
# The Route53 ARC configuration API (clusters, routing controls) lives only in us-west-2.
RECOVERY_CONTROL_REGION = "us-west-2"

ZONE_KEY = "zone"
RECORD_NAME_KEY = "recordName"
RECOVERY_CONTROL_KEY = "recoveryControl"
ROUTING_KEYS = (*SELECTION_KEYS, ZONE_KEY, RECORD_NAME_KEY, RECOVERY_CONTROL_KEY)

ROUTING_DOC = (
    "phase (normal|failover|failback), zone, recordName; optional failbackSteps, failbackStep,"
    " weights, recoveryControl"
)

_DNS_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def _parse_dns_name(value: object, key: str) -> str:
    name = value.rstrip(".").lower() if isinstance(value, str) else ""
    if not name or len(name) > 253 or not all(_DNS_LABEL.match(label) for label in name.split(".")):
        raise ConfigError(key, value, "a DNS name such as tickets.example.com")
    return name


def _parse_record_name(value: object, key: str, zone: str) -> str:
    name = _parse_dns_name(value, key)
    if name != zone and not name.endswith(f".{zone}"):
        raise ConfigError(key, value, f"a name inside the zone {zone!r}")
    return name


def _parse_flag(value: object, key: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ConfigError(key, value, "true or false")
    return value


@dataclass(frozen=True)
class RoutingConfig:
    """The `ticketing:routing` object: weights (phase, failback, overrides) and where they apply."""

    selection: WeightSelection
    zone: str
    record_name: str
    recovery_control: bool = False

    @classmethod
    def from_config(cls, raw: object, key: str = "routing") -> RoutingConfig:
        if not isinstance(raw, Mapping):
            raise ConfigError(key, raw, f"an object with {ROUTING_DOC}")
        unknown = sorted(set(raw) - set(ROUTING_KEYS))
        if unknown:
            raise unknown_key_error(f"{key}.{unknown[0]}", unknown[0], ROUTING_KEYS)
        zone = _parse_dns_name(raw.get(ZONE_KEY), f"{key}.{ZONE_KEY}")
        return cls(
            selection=WeightSelection.from_config(raw, key),
            zone=zone,
            record_name=_parse_record_name(
                raw.get(RECORD_NAME_KEY), f"{key}.{RECORD_NAME_KEY}", zone
            ),
            recovery_control=_parse_flag(
                raw.get(RECOVERY_CONTROL_KEY), f"{key}.{RECOVERY_CONTROL_KEY}"
            ),
        )

    def effective_weights(self) -> dict[str, int]:
        return self.selection.effective_weights()


def _require_metric_region_topic(arn: str) -> str:
    parts = arn.split(":")
    if len(parts) < 6 or parts[2] != "sns" or parts[3] != HEALTH_CHECK_METRIC_REGION:
        raise ValueError(
            f"alarm_topic_arn {arn!r}: expected an SNS topic in {HEALTH_CHECK_METRIC_REGION}, "
            "where Route53 health-check metrics and their alarms live; pass None to create one"
        )
    return arn


class Routing(pulumi.ComponentResource):
    """A health check and a weighted record per target, alarms on the checks, optional ARC controls.

    `endpoints` maps target (`prod`, `dr`) to that region's ALB DNS name. A target without an
    endpoint gets no record and must have weight 0. Records are CNAMEs with a 60 s TTL, or, when
    `endpoint_zone_ids` (target -> the ALB's canonical hosted zone id) is given, alias A records
    (ELB answers carry a 60 s TTL), which also work at the zone apex where a CNAME cannot.
    `alarm_topic_arn` must be a us-east-1 topic; when None, the component creates a KMS-encrypted
    one there and subscribes `alarm_subscriptions` ((protocol, endpoint) pairs) to it.
    """

    weights: Weights
    health_check_ids: dict[str, pulumi.Output[str]]
    record_fqdn: str
    alarm_topic_arn: pulumi.Output[str]
    routing_control_arns: dict[str, pulumi.Output[str]]

    def __init__(
        self,
        name: str,
        config: RoutingConfig,
        endpoints: Mapping[str, pulumi.Input[str]],
        alarm_topic_arn: pulumi.Input[str] | None,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
        *,
        alarm_subscriptions: Sequence[tuple[str, str]] = (),
        endpoint_zone_ids: Mapping[str, pulumi.Input[str]] | None = None,
    ):
        weights = config.effective_weights()
        check_endpoints(weights, endpoints.keys(), "routing")
        _check_record_shape(config, endpoints.keys(), endpoint_zone_ids)
        super().__init__("ticketing:routing:Routing", name, None, opts)
        self.weights = weights
        self.record_fqdn = config.record_name
        self._name = name
        self._tags = dict(tags)
        child = pulumi.ResourceOptions(parent=self)

        self.routing_control_arns = (
            self._routing_controls(endpoints.keys()) if config.recovery_control else {}
        )
        self.health_check_ids = {
            target: self._health_check(target, endpoint) for target, endpoint in endpoints.items()
        }
        zone = aws.route53.get_zone_output(
            name=config.zone, private_zone=False, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        for target, endpoint in endpoints.items():
            aws.route53.Record(
                f"{name}-{target}",
                zone_id=zone.zone_id,
                name=config.record_name,
                set_identifier=target,
                weighted_routing_policies=[
                    aws.route53.RecordWeightedRoutingPolicyArgs(weight=self.weights[target])
                ],
                health_check_id=self.health_check_ids[target],
                opts=child,
                **_record_target(
                    endpoint, endpoint_zone_ids[target] if endpoint_zone_ids else None
                ),
            )

        metric_region = aws.Provider(
            f"{name}-{HEALTH_CHECK_METRIC_REGION}",
            region=HEALTH_CHECK_METRIC_REGION,
            opts=child,
        )
        self.alarm_topic_arn = (
            pulumi.Output.from_input(alarm_topic_arn).apply(_require_metric_region_topic)
            if alarm_topic_arn is not None
            else self._alarm_topic(metric_region, alarm_subscriptions)
        )
        for target, health_check_id in self.health_check_ids.items():
            self._health_alarm(target, health_check_id, metric_region)

        pulumi.log.info(
            f"routing weights for {config.record_name}: {format_weights(self.weights)} (phase"
            f" {config.selection.phase})",
            resource=self,
        )
        self.register_outputs(
            {
                "weights": self.weights,
                "recordFqdn": self.record_fqdn,
                "healthCheckIds": self.health_check_ids,
                "alarmTopicArn": self.alarm_topic_arn,
                "routingControlArns": self.routing_control_arns,
            }
        )

    def _tagged(self, resource_name: str) -> dict[str, str]:
        return {**self._tags, "Name": resource_name}

    def _health_check(self, target: str, endpoint: pulumi.Input[str]) -> pulumi.Output[str]:
        """The id of the check the record uses: the endpoint's own, or, with ARC, that check
        AND the target's routing control (both must be healthy)."""
        child = pulumi.ResourceOptions(parent=self)
        endpoint_check = aws.route53.HealthCheck(
            f"{self._name}-{target}-readyz",
            type="HTTPS",
            fqdn=endpoint,
            port=HEALTH_CHECK_PORT,
            resource_path=HEALTH_CHECK_PATH,
            request_interval=HEALTH_CHECK_INTERVAL_SECONDS,
            failure_threshold=HEALTH_CHECK_FAILURE_THRESHOLD,
            tags=self._tagged(f"{self._name}-{target}-readyz"),
            opts=child,
        )
        if target not in self.routing_control_arns:
            return endpoint_check.id
        control_check = aws.route53.HealthCheck(
            f"{self._name}-{target}-control",
            type="RECOVERY_CONTROL",
            routing_control_arn=self.routing_control_arns[target],
            tags=self._tagged(f"{self._name}-{target}-control"),
            opts=child,
        )
        combined = aws.route53.HealthCheck(
            f"{self._name}-{target}-combined",
            type="CALCULATED",
            child_healthchecks=[endpoint_check.id, control_check.id],
            child_health_threshold=2,
            tags=self._tagged(f"{self._name}-{target}-combined"),
            opts=child,
        )
        return combined.id

    def _routing_controls(self, targets: Iterable[str]) -> dict[str, pulumi.Output[str]]:
        """ARC routing controls: on/off switches served by a five-region data plane, so a
        failover does not depend on the Route53 control plane (where weights are edited)."""
        provider = aws.Provider(
            f"{self._name}-{RECOVERY_CONTROL_REGION}",
            region=RECOVERY_CONTROL_REGION,
            opts=pulumi.ResourceOptions(parent=self),
        )
        arc = pulumi.ResourceOptions(
            parent=self,
            provider=provider,
        )
        cluster = aws.route53recoverycontrol.Cluster(
            f"{self._name}-arc",
            name=f"{self._name}-arc",
            opts=arc,
        )
        panel = aws.route53recoverycontrol.ControlPanel(
            f"{self._name}-arc",
            name=f"{self._name}-arc",
            cluster_arn=cluster.arn,
            opts=arc,
        )
        controls = {
            target: aws.route53recoverycontrol.RoutingControl(
                f"{self._name}-{target}",
                name=f"{self._name}-{target}",
                cluster_arn=cluster.arn,
                control_panel_arn=panel.arn,
                opts=arc,
            )
            for target in targets
        }
        aws.route53recoverycontrol.SafetyRule(
            f"{self._name}-at-least-one-on",
            name=f"{self._name}-at-least-one-on",
            control_panel_arn=panel.arn,
            asserted_controls=[control.arn for control in controls.values()],
            rule_config=aws.route53recoverycontrol.SafetyRuleRuleConfigArgs(
                type="ATLEAST",
                threshold=1,
                inverted=False,
            ),
            wait_period_ms=5000,
            opts=arc,
        )
        return {target: control.arn for target, control in controls.items()}

    def _alarm_topic(
        self, provider: aws.Provider, subscriptions: Sequence[tuple[str, str]]
    ) -> pulumi.Output[str]:
        options = pulumi.ResourceOptions(
            parent=self,
            provider=provider,
        )
        key = encryption_key(
            f"{self._name}-alarms",
            "the us-east-1 topic that Route53 health-check alarms notify",
            self,
            self._tags,
            service_principals=["cloudwatch.amazonaws.com"],
            provider=provider,
        )
        topic = aws.sns.Topic(
            f"{self._name}-alarms",
            kms_master_key_id=key.arn,
            tags=self._tagged(f"{self._name}-alarms"),
            opts=options,
        )
        for index, (protocol, endpoint) in enumerate(subscriptions):
            aws.sns.TopicSubscription(
                f"{self._name}-alarms-{index}",
                topic=topic.arn,
                protocol=protocol,
                endpoint=endpoint,
                opts=options,
            )
        return topic.arn

    def _health_alarm(
        self, target: str, health_check_id: pulumi.Output[str], provider: aws.Provider
    ) -> None:
        actions = [self.alarm_topic_arn]
        aws.cloudwatch.MetricAlarm(
            f"{self._name}-{target}-unhealthy",
            alarm_description=(
                f"Route53 health check of {target} ({self.record_fqdn}) is failing; Route53 moves"
                " its traffic away"
            ),
            namespace="AWS/Route53",
            metric_name="HealthCheckStatus",
            dimensions={"HealthCheckId": health_check_id},
            statistic="Minimum",
            period=60,
            evaluation_periods=1,
            threshold=1,
            comparison_operator="LessThanThreshold",
            treat_missing_data="breaching",
            alarm_actions=actions,
            ok_actions=actions,
            tags=self._tagged(f"{self._name}-{target}-unhealthy"),
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=provider,
            ),
        )


def _check_record_shape(
    config: RoutingConfig, targets: Iterable[str], zone_ids: Mapping[str, object] | None
) -> None:
    if zone_ids is not None and set(zone_ids) != set(targets):
        raise ValueError(
            "endpoint_zone_ids must name the same targets as endpoints"
            f" ({', '.join(sorted(targets))}), got {', '.join(sorted(zone_ids))}"
        )
    if zone_ids is None and config.record_name == config.zone:
        raise ConfigError(
            "routing.recordName",
            config.record_name,
            "a name below the zone apex, since a CNAME cannot sit at the apex (or pass the ALBs'"
            " endpoint_zone_ids for alias records)",
        )


def _record_target(
    endpoint: pulumi.Input[str], zone_id: pulumi.Input[str] | None
) -> dict[str, Any]:
    """Arguments that point a record at an ALB: a CNAME, or an alias when its zone id is known."""
    if zone_id is None:
        return {"type": "CNAME", "ttl": RECORD_TTL_SECONDS, "records": [endpoint]}
    # The explicit health check is the failover signal; the ALB's own target health would add
    # a second, laggier one.
    return {
        "type": "A",
        "aliases": [
            aws.route53.RecordAliasArgs(
                name=endpoint,
                zone_id=zone_id,
                evaluate_target_health=False,
            )
        ],
    }
