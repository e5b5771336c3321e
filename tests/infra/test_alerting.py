"""Alerting: an encrypted topic, the alarms on-call needs with their thresholds, a dashboard."""

from tests.infra.recorded import one

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def alarms(run, stack):
    prefix = f"ticketing-{stack}-alerting-"
    return {
        alarm.name.removeprefix(prefix): alarm.inputs
        for alarm in run.of_type(ALARM)
        if alarm.name.startswith(prefix)
    }


def test_topic_is_encrypted_with_a_rotated_cmk_and_mails_on_call(prod):
    topic = one(prod, "aws:sns/topic:Topic", "ticketing-prod-alerting-alarms")
    assert topic.inputs["kmsMasterKeyId"].endswith("key/ticketing-prod-alerting-alarms-key")
    assert (
        one(prod, "aws:kms/key:Key", "ticketing-prod-alerting-alarms-key").inputs[
            "enableKeyRotation"
        ]
        is True
    )
    endpoints = {
        s.inputs["endpoint"]
        for s in prod.of_type("aws:sns/topicSubscription:TopicSubscription")
        if s.inputs["protocol"] == "email"
    }
    assert endpoints == {"oncall@example.com", "platform-team@example.com"}


def test_prod_alarms_and_thresholds(prod):
    found = alarms(prod, "prod")
    assert (
        found["alb-5xx"]["metricName"] == "HTTPCode_ELB_5XX_Count"
        and found["alb-5xx"]["threshold"] == 100
    )
    assert found["target-5xx"]["metricName"] == "HTTPCode_Target_5XX_Count"
    assert (
        found["alb-p99-latency"]["extendedStatistic"] == "p99"
        and found["alb-p99-latency"]["threshold"] == 0.5
    )
    for pool in ("system", "app"):
        node_cpu = found[f"node-cpu-{pool}"]
        assert (
            node_cpu["threshold"] == 80
            and node_cpu["comparisonOperator"] == "GreaterThanOrEqualToThreshold"
        )
        assert node_cpu["dimensions"] == {
            "AutoScalingGroupName": f"ticketing-prod-eks-{pool}-nodes-asg"
        }
    assert found["aurora-cpu"]["threshold"] == 75
    assert (
        found["aurora-replica-lag"]["metricName"] == "AuroraReplicaLagMaximum"
        and found["aurora-replica-lag"]["threshold"] == 1000
    )


def test_redis_cpu_and_memory_alarm_on_the_hottest_node_of_each_shard(prod):
    found = alarms(prod, "prod")
    # prod: one shard of a primary and one replica (Pulumi.prod.yaml)
    for shard in (1,):
        cpu = found[f"redis-cpu-shard-{shard}"]
        assert cpu["threshold"] == 70
        members = [
            q["metric"]["dimensions"]["CacheClusterId"]
            for q in cpu["metricQueries"]
            if "metric" in q
        ]
        assert members == [f"ticketing-prod-redis-{shard:04d}-{node:03d}" for node in (1, 2)]
        assert found[f"redis-memory-shard-{shard}"]["threshold"] == 75


def test_every_alarm_notifies_the_topic(prod):
    topic_arn = prod.outputs["alarmTopicArn"]
    for name, inputs in alarms(prod, "prod").items():
        assert inputs["alarmActions"] == [topic_arn], name


def test_dr_watches_global_replication_lag(dr):
    assert alarms(dr, "dr")["aurora-replica-lag"]["metricName"] == "AuroraGlobalDBReplicationLag"


def test_dashboard_shows_the_alarmed_metrics(prod):
    dashboard = one(prod, "aws:cloudwatch/dashboard:Dashboard", "ticketing-prod-alerting-dashboard")
    assert (
        "TargetResponseTime" in dashboard.inputs["dashboardBody"]
        and "CPUUtilization" in dashboard.inputs["dashboardBody"]
    )
