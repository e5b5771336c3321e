import datetime as dt

from pulumi_policy import EnforcementLevel, Severity

from policies.rule import resource_rule, trivy_ids_of
from tests.policies.harness import resource_violations

BUCKET = "aws:s3/bucket:Bucket"


def _rule(today: dt.date):
    return resource_rule(
        name="sample-needs-flag",
        description="flag must be set",
        severity=Severity.HIGH,
        enforcement=EnforcementLevel.MANDATORY,
        resource_types=[BUCKET],
        remediation="set `flag`",
        check=lambda props, args: [] if props.get("flag") else ["flag is not set"],
        trivy_ids=["AVD-AWS-9999"],
        today=lambda: today,
    )


def test_rule_reports_only_its_resource_types():
    rule = _rule(dt.date(2026, 1, 1))
    assert resource_violations(rule, BUCKET, {}) == ["flag is not set"]
    assert resource_violations(rule, "aws:sns/topic:Topic", {}) == []
    assert resource_violations(rule, BUCKET, {"flag": True}) == []


def test_live_exemption_silences_matching_resource_only():
    rule = _rule(dt.date(2026, 1, 1))
    config = {
        "exemptions": [{"resource": "legacy-*", "reason": "migrating", "expires": "2026-02-01"}]
    }
    assert resource_violations(rule, BUCKET, {}, name="legacy-logs", config=config) == []
    assert resource_violations(rule, BUCKET, {}, name="assets", config=config) == [
        "flag is not set"
    ]


def test_expired_exemption_is_itself_a_violation():
    rule = _rule(dt.date(2026, 3, 1))
    config = {
        "exemptions": [{"resource": "legacy-*", "reason": "migrating", "expires": "2026-02-01"}]
    }
    messages = resource_violations(rule, BUCKET, {"flag": True}, name="legacy-logs", config=config)
    assert len(messages) == 1 and "expired" in messages[0]


def test_malformed_props_do_not_crash():
    rule = _rule(dt.date(2026, 1, 1))
    assert resource_violations(rule, BUCKET, None) == ["flag is not set"]


def test_trivy_ids_are_recorded():
    assert trivy_ids_of(_rule(dt.date(2026, 1, 1))) == ["AVD-AWS-9999"]
