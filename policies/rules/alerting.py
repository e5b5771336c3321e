"""CloudWatch alarm rules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import EnforcementLevel, Policy, Severity

from policies.rule import resource_rule
from policies.rules.values import is_true, is_unknown, lookup, with_plain_props

METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def _silenced_alarm(props: dict[str, Any], args: Any) -> Iterator[str]:
    enabled = lookup(props, "actionsEnabled")
    if enabled is not None and not is_unknown(enabled) and not is_true(enabled):
        yield f"actionsEnabled is {enabled!r}: the alarm changes state and notifies no one"


POLICIES: list[Policy] = [
    resource_rule(
        name="aws-cloudwatch-alarm-actions-enabled",
        description="CloudWatch alarms run their actions.",
        severity=Severity.MEDIUM,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[METRIC_ALARM],
        remediation="leave `actions_enabled` unset or True on aws.cloudwatch.MetricAlarm.",
        checkov_ids=["CKV_AWS_319"],
        check=with_plain_props(_silenced_alarm),
    ),
]
