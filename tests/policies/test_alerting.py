from policies.rules import alerting
from policies.rules.alerting import METRIC_ALARM
from tests.policies.harness import resource_violations

(RULE,) = alerting.POLICIES


def test_alarms_run_their_actions():
    assert resource_violations(RULE, METRIC_ALARM, {"actionsEnabled": False}) == [
        "actionsEnabled is False: the alarm changes state and notifies no one"
    ]
    assert resource_violations(RULE, METRIC_ALARM, {"alarmActions": ["arn:aws:sns:t"]}) == []
