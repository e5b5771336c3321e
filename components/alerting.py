"""On-call signals: a KMS-encrypted SNS topic with email subscriptions, CloudWatch alarms on the
edge, the nodes, Redis and Aurora, and one dashboard with the same metrics."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import cast

import pulumi
import pulumi_aws as aws

from components.config import AlertingConfig
from components.kms import encryption_key

PERIOD_SECONDS = 60


@dataclass(frozen=True)
class Watched:
    """What the alarms watch, by the names CloudWatch dimensions use."""

    alb_arn_suffix: pulumi.Input[str]
    target_group_arn_suffix: pulumi.Input[str]
    node_group_asg_names: Mapping[str, pulumi.Input[str]]
    redis_members_by_shard: Sequence[Sequence[str]]
    aurora_cluster_identifier: str
    aurora_is_global_secondary: bool


@dataclass(frozen=True)
class AlarmSpec:
    name: str
    description: str
    namespace: str
    metric: str
    dimensions: Mapping[str, pulumi.Input[str]]
    threshold: float
    statistic: str = "Maximum"
    comparison: str = "GreaterThanOrEqualToThreshold"
    evaluation_periods: int = 3


class Alerting(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        config: AlertingConfig,
        region: str,
        watched: Watched,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("ticketing:alerting:Alerting", name, None, opts)
        self._name = name
        self._tags = dict(tags)
        child = pulumi.ResourceOptions(parent=self)
        key = encryption_key(
            f"{name}-alarms",
            "alarm notifications",
            self,
            self._tags,
            service_principals=["cloudwatch.amazonaws.com"],
        )
        self.topic = aws.sns.Topic(
            f"{name}-alarms",
            kms_master_key_id=key.arn,
            tags=self._tags,
            opts=child,
        )
        for index, email in enumerate(config.emails):
            aws.sns.TopicSubscription(
                f"{name}-email-{index}",
                topic=self.topic.arn,
                protocol="email",
                endpoint=email,
                opts=child,
            )
        self.alarms = [self._alarm(spec) for spec in alarm_specs(config, watched)]
        self._redis_alarms(config, watched.redis_members_by_shard)
        aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=name,
            dashboard_body=pulumi.Output.from_input(
                [
                    [
                        spec.namespace,
                        spec.metric,
                        *[item for pair in spec.dimensions.items() for item in pair],
                    ]
                    for spec in alarm_specs(config, watched)
                ]
            ).apply(lambda metrics: dashboard_body(cast(list[list[str]], metrics), region)),
            opts=child,
        )
        self.topic_arn = self.topic.arn
        self.register_outputs({"topicArn": self.topic_arn})

    def _alarm(self, spec: AlarmSpec) -> aws.cloudwatch.MetricAlarm:
        percentile = spec.statistic.startswith("p")
        return aws.cloudwatch.MetricAlarm(
            f"{self._name}-{spec.name}",
            alarm_description=spec.description,
            namespace=spec.namespace,
            metric_name=spec.metric,
            dimensions=dict(spec.dimensions),
            statistic=None if percentile else spec.statistic,
            extended_statistic=spec.statistic if percentile else None,
            period=PERIOD_SECONDS,
            evaluation_periods=spec.evaluation_periods,
            datapoints_to_alarm=min(2, spec.evaluation_periods),
            threshold=spec.threshold,
            comparison_operator=spec.comparison,
            treat_missing_data="notBreaching",
            alarm_actions=[self.topic.arn],
            ok_actions=[self.topic.arn],
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _redis_alarms(
        self, config: AlertingConfig, members_by_shard: Sequence[Sequence[str]]
    ) -> None:
        """One alarm per shard and metric on the hottest node of the shard (CloudWatch has no
        group-wide metric).
        """
        for metric, threshold, label in (
            ("EngineCPUUtilization", config.redis_cpu_percent, "cpu"),
            ("DatabaseMemoryUsagePercentage", config.redis_memory_percent, "memory"),
        ):
            for shard, members in enumerate(members_by_shard, start=1):
                queries: list[aws.cloudwatch.MetricAlarmMetricQueryArgsDict] = [
                    {
                        "id": f"m{index}",
                        "return_data": False,
                        "metric": {
                            "namespace": "AWS/ElastiCache",
                            "metric_name": metric,
                            "dimensions": {"CacheClusterId": member},
                            "period": PERIOD_SECONDS,
                            "stat": "Maximum",
                        },
                    }
                    for index, member in enumerate(members)
                ]
                hottest: aws.cloudwatch.MetricAlarmMetricQueryArgsDict = {
                    "id": "hottest",
                    "expression": f"MAX([{', '.join(str(q['id']) for q in queries)}])",
                    "label": f"redis {label} shard {shard}",
                    "return_data": True,
                }
                self.alarms.append(
                    aws.cloudwatch.MetricAlarm(
                        f"{self._name}-redis-{label}-shard-{shard}",
                        alarm_description=(
                            f"Redis {label} of shard {shard} at or above {threshold}%"
                        ),
                        metric_queries=[*queries, hottest],
                        evaluation_periods=3,
                        datapoints_to_alarm=2,
                        threshold=threshold,
                        comparison_operator="GreaterThanOrEqualToThreshold",
                        treat_missing_data="notBreaching",
                        alarm_actions=[self.topic.arn],
                        ok_actions=[self.topic.arn],
                        tags=self._tags,
                        opts=pulumi.ResourceOptions(parent=self),
                    )
                )


def alarm_specs(config: AlertingConfig, watched: Watched) -> list[AlarmSpec]:
    alb = {"LoadBalancer": watched.alb_arn_suffix}
    target_group = {
        "LoadBalancer": watched.alb_arn_suffix,
        "TargetGroup": watched.target_group_arn_suffix,
    }
    aurora = {"DBClusterIdentifier": watched.aurora_cluster_identifier}
    replica_lag_metric = (
        "AuroraGlobalDBReplicationLag"
        if watched.aurora_is_global_secondary
        else "AuroraReplicaLagMaximum"
    )
    return [
        AlarmSpec(
            "alb-5xx",
            f"ALB 5xx responses at or above {config.alb_5xx_per_minute}/min",
            "AWS/ApplicationELB",
            "HTTPCode_ELB_5XX_Count",
            alb,
            config.alb_5xx_per_minute,
            statistic="Sum",
        ),
        AlarmSpec(
            "target-5xx",
            f"app 5xx responses at or above {config.alb_5xx_per_minute}/min",
            "AWS/ApplicationELB",
            "HTTPCode_Target_5XX_Count",
            target_group,
            config.alb_5xx_per_minute,
            statistic="Sum",
        ),
        AlarmSpec(
            "alb-p99-latency",
            f"p99 response time at or above {config.alb_p99_latency_seconds}s",
            "AWS/ApplicationELB",
            "TargetResponseTime",
            target_group,
            config.alb_p99_latency_seconds,
            statistic="p99",
        ),
        *[
            AlarmSpec(
                f"node-cpu-{pool}",
                f"{pool} nodes average CPU at or above {config.node_cpu_percent}%",
                "AWS/EC2",
                "CPUUtilization",
                {"AutoScalingGroupName": asg},
                config.node_cpu_percent,
                statistic="Average",
            )
            for pool, asg in watched.node_group_asg_names.items()
        ],
        AlarmSpec(
            "aurora-cpu",
            f"Aurora CPU at or above {config.aurora_cpu_percent}%",
            "AWS/RDS",
            "CPUUtilization",
            aurora,
            config.aurora_cpu_percent,
        ),
        AlarmSpec(
            "aurora-replica-lag",
            f"Aurora replication lag at or above {config.aurora_replica_lag_ms} ms",
            "AWS/RDS",
            replica_lag_metric,
            aurora,
            config.aurora_replica_lag_ms,
        ),
    ]


def dashboard_body(metrics: list[list[str]], region: str) -> str:
    widgets = [
        {
            "type": "metric",
            "x": (index % 2) * 12,
            "y": (index // 2) * 6,
            "width": 12,
            "height": 6,
            "properties": {
                "title": f"{metric[0]} {metric[1]}",
                "region": region,
                "metrics": [metric],
                "period": PERIOD_SECONDS,
                "stat": "Maximum",
            },
        }
        for index, metric in enumerate(metrics)
    ]
    return json.dumps({"widgets": widgets})
