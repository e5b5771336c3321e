"""The gate's analyzer: pulumi-policy's servicer driven in-process with engine-shaped requests.

Hand-made rules keep these tests independent of the real rule modules; the resources are
RegisteredResource records like the ones the program runner produces.
"""

import dataclasses
import datetime as dt
import io

import pytest
from pulumi.output import Unknown
from pulumi_policy import EnforcementLevel, Severity

from policies.gate.analyze import PackAnalyzer, PackError
from policies.gate.policy_config import PolicyConfigError
from policies.gate.report_text import console_for, print_report
from policies.program_runner import ProgramRun, RegisteredResource
from policies.rule import resource_rule, stack_rule

CLUSTER = "aws:rds/cluster:Cluster"
TOPIC = "aws:sns/topic:Topic"
STACK_URN = "urn:pulumi:test::sample::pulumi:pulumi:Stack::sample-test"
TODAY = dt.date(2026, 11, 22)


def _resource(
    resource_type: str, name: str, inputs: dict, secret_paths: tuple[str, ...] = ()
) -> RegisteredResource:
    return RegisteredResource(
        urn=f"urn:pulumi:test::sample::{resource_type}::{name}",
        type=resource_type,
        name=name,
        custom=True,
        parent_urn=STACK_URN,
        inputs=inputs,
        provider="",
        protect=False,
        ignore_changes=(),
        dependencies=(),
        secret_paths=secret_paths,
    )


def _encrypted_rule():
    return resource_rule(
        name="test-cluster-encrypted",
        description="clusters are encrypted",
        severity=Severity.HIGH,
        enforcement=EnforcementLevel.MANDATORY,
        resource_types=[CLUSTER],
        remediation="set `storage_encrypted=True`",
        check=lambda props, args: (
            []
            if props.get("storageEncrypted") is True
            else [f"storageEncrypted is {props.get('storageEncrypted')!r}"]
        ),
        trivy_ids=["AVD-AWS-0079"],
        today=lambda: TODAY,
    )


def _topic_rule():
    return resource_rule(
        name="test-topic-key",
        description="topics use a key",
        severity=Severity.LOW,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[TOPIC],
        remediation="set `kms_master_key_id`",
        check=lambda props, args: (
            [] if props.get("kmsMasterKeyId") else ["kmsMasterKeyId is not set"]
        ),
    )


def _pair_rule():
    def check(args):
        clusters = [resource for resource in args.resources if resource.resource_type == CLUSTER]
        if len(clusters) == 1:
            yield clusters[0], "only one cluster: no standby"

    return stack_rule(
        name="test-cluster-pair",
        description="clusters come in pairs",
        severity=Severity.MEDIUM,
        enforcement=EnforcementLevel.MANDATORY,
        remediation="add a standby",
        check=check,
        today=lambda: TODAY,
    )


def _analyze(resources, config=None):
    return PackAnalyzer([_encrypted_rule(), _topic_rule(), _pair_rule()], config or {}).analyze(
        resources
    )


def test_violations_carry_rule_resource_and_levels_from_the_servicer():
    analysis = _analyze(
        [_resource(CLUSTER, "orders", {"storageEncrypted": False}), _resource(TOPIC, "alarms", {})]
    )
    found = {
        (
            violation.policy,
            violation.resource_name,
            violation.enforcement,
            violation.severity,
            violation.message,
        )
        for violation in analysis.violations
    }
    assert found == {
        ("test-cluster-encrypted", "orders", "mandatory", "high", "storageEncrypted is False"),
        ("test-topic-key", "alarms", "advisory", "low", "kmsMasterKeyId is not set"),
        ("test-cluster-pair", "orders", "mandatory", "medium", "only one cluster: no standby"),
    }
    assert {
        violation.resource_type
        for violation in analysis.violations
        if violation.resource_name == "orders"
    } == {CLUSTER}


def test_checks_count_rules_whose_types_match_plus_stack_rules():
    resources = [
        _resource(CLUSTER, "a", {"storageEncrypted": True}),
        _resource(CLUSTER, "b", {"storageEncrypted": False}),
        _resource(TOPIC, "t", {"kmsMasterKeyId": "k"}),
    ]
    analysis = _analyze(resources)
    assert (analysis.checks, analysis.passed) == (
        4,
        3,
    )  # 2 cluster checks + 1 topic check + 1 stack check; "b" fails
    assert analysis.pass_rate == 0.75
    assert [violation.resource_name for violation in analysis.mandatory] == ["b"]


def test_all_level_then_rule_level_like_the_engine():
    resources = [_resource(CLUSTER, "orders", {"storageEncrypted": False})]
    analysis = _analyze(resources, {"all": "advisory", "test-cluster-pair": "mandatory"})
    levels = {violation.policy: violation.enforcement for violation in analysis.violations}
    assert levels == {"test-cluster-encrypted": "advisory", "test-cluster-pair": "mandatory"}


def test_disabled_rule_neither_reports_nor_counts():
    resources = [_resource(CLUSTER, "orders", {"storageEncrypted": False})]
    analysis = _analyze(resources, {"test-cluster-encrypted": {"enforcementLevel": "disabled"}})
    assert "test-cluster-encrypted" not in {violation.policy for violation in analysis.violations}
    assert analysis.checks == 1  # only the stack rule is left


def test_live_exemption_silences_and_expired_one_is_reported():
    resources = [_resource(CLUSTER, "legacy-orders", {"storageEncrypted": False})]
    live = {
        "test-cluster-encrypted": {
            "exemptions": [{"resource": "legacy-*", "reason": "migration", "expires": "2027-01-31"}]
        }
    }
    assert "test-cluster-encrypted" not in {
        violation.policy for violation in _analyze(resources, live).violations
    }

    expired = {
        "test-cluster-encrypted": {
            "exemptions": [{"resource": "legacy-*", "reason": "migration", "expires": "2026-01-31"}]
        }
    }
    messages = [
        violation.message
        for violation in _analyze(resources, expired).violations
        if violation.policy == "test-cluster-encrypted"
    ]
    assert (
        any("expired" in message for message in messages)
        and "storageEncrypted is False" in messages
    )


def test_unknown_inputs_reach_rules_as_the_engine_sentinel_and_are_not_violations():
    def reads_key(props, args):
        return [] if props["kmsMasterKeyId"] else ["no key"]

    reader = resource_rule(
        name="test-reads-unknown",
        description="reads a key",
        severity=Severity.HIGH,
        enforcement=EnforcementLevel.MANDATORY,
        resource_types=[TOPIC],
        remediation="-",
        check=reads_key,
    )
    analysis = PackAnalyzer([reader], {}).analyze(
        [_resource(TOPIC, "alarms", {"kmsMasterKeyId": Unknown()})]
    )
    assert analysis.violations == []
    assert [
        (entry.policy, entry.resource_urn.endswith("::alarms")) for entry in analysis.undecided
    ] == [("test-reads-unknown", True)]
    assert "can't be known during preview" in analysis.undecided[0].reason


def test_not_applicable_rule_is_not_a_check():
    skipper = resource_rule(
        name="test-skips",
        description="skips",
        severity=Severity.LOW,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[TOPIC],
        remediation="-",
        check=lambda props, args: args.not_applicable("nothing to see"),
    )
    analysis = PackAnalyzer([skipper], {}).analyze([_resource(TOPIC, "alarms", {})])
    assert (analysis.checks, analysis.violations) == (0, [])


@pytest.mark.parametrize(
    "config, fragment",
    [
        ({"test-cluster-encrypt": "mandatory"}, "did you mean 'test-cluster-encrypted'"),
        ({"test-topic-key": "blocking"}, "'blocking' is not an enforcement level"),
        ({"test-topic-key": {"enforcementLevel": "loud"}}, "'loud' is not an enforcement level"),
        ({"test-topic-key": 3}, "expected a level string or an object"),
        (
            {"all": {"enforcementLevel": "advisory", "exemptions": []}},
            "only 'enforcementLevel' applies to all rules",
        ),
        (
            {"test-topic-key": {"exemptions": [{"resource": "x", "expires": "2027-01-31"}]}},
            "'reason' is a required property",
        ),
        (
            {
                "test-topic-key": {
                    "exemptions": [{"resource": "x", "reason": "r", "expires": "next year"}]
                }
            },
            "is not a 'date'",
        ),
    ],
)
def test_bad_policy_config_is_refused_naming_the_rule(config, fragment):
    with pytest.raises(PolicyConfigError) as error:
        PackAnalyzer([_encrypted_rule(), _topic_rule()], config)
    assert fragment in str(error.value)


def test_a_rule_that_raises_is_named_with_the_resource():
    def broken(props, args):
        raise ZeroDivisionError("division by zero")

    rule = resource_rule(
        name="test-broken",
        description="broken",
        severity=Severity.LOW,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[TOPIC],
        remediation="-",
        check=broken,
    )
    with pytest.raises(PackError, match="failed on aws:sns/topic:Topic alarms: ZeroDivisionError"):
        PackAnalyzer([rule], {}).analyze([_resource(TOPIC, "alarms", {})])


def test_text_report_lists_undecided_rules_apart_from_findings():
    reader = resource_rule(
        name="test-reads-unknown",
        description="reads a key",
        severity=Severity.HIGH,
        enforcement=EnforcementLevel.MANDATORY,
        resource_types=[TOPIC],
        remediation="-",
        check=lambda props, args: [] if props["kmsMasterKeyId"] else ["no key"],
    )
    resources = [_resource(TOPIC, "alarms", {"kmsMasterKeyId": Unknown()})]
    analysis = PackAnalyzer([reader], {}).analyze(resources)
    stream = io.StringIO()
    print_report(
        console_for(stream),
        ProgramRun(project="sample", stack="test", resources=resources),
        analysis,
    )
    text = stream.getvalue()
    assert "No findings." in text and "PASSED" in text
    assert (
        "Decided at deploy (1)" in text
        and "test-reads-unknown on aws:sns/topic:Topic alarms" in text
    )


def test_stack_rules_see_property_dependencies_and_providers_as_the_engine_sends_them():
    seen = {}

    def record(args):
        for resource in args.resources:
            dependencies = {
                key: [dependency.urn for dependency in value]
                for key, value in resource.property_dependencies.items()
            }
            seen[resource.name] = (
                dependencies,
                resource.provider.resource_type if resource.provider else None,
            )
        return iter(())

    rule = stack_rule(
        name="test-reads-dependencies",
        description="-",
        severity=Severity.LOW,
        enforcement=EnforcementLevel.ADVISORY,
        remediation="-",
        check=record,
    )
    key = _resource("aws:kms/key:Key", "alarms-key", {})
    topic = dataclasses.replace(
        _resource(TOPIC, "alarms", {"kmsMasterKeyId": Unknown()}),
        property_dependencies={"kmsMasterKeyId": (key.urn,)},
    )
    PackAnalyzer([rule], {}).analyze([key, topic], {"aws:region": "ap-northeast-2"})
    assert seen == {
        "alarms-key": ({}, "pulumi:providers:aws"),
        "alarms": ({"kmsMasterKeyId": [key.urn]}, "pulumi:providers:aws"),
    }
