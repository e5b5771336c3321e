import json
from pathlib import Path

import pytest
from pulumi.output import Unknown
from pulumi_policy import PolicyProviderResource, ResourceValidationArgs

from policies.gate.analyze import PackAnalyzer
from policies.program_runner import run_program
from policies.rules import tagging
from policies.rules.values import UNKNOWN
from tests.policies.harness import (
    _options,
    resource_violations,
    stack_resource,
    stack_violations,
    urn_of,
)
from tests.policies.malformed import messages_for_malformed
from tests.policies.taggable_types import render, scan_taggable_types

BUCKET = "aws:s3/bucket:Bucket"
FULL_TAGS = {"environment": "prod", "system": "ticketing", "role": "assets"}


def test_taggable_types_file_matches_the_pinned_sdks():
    assert tagging.TAGGABLE_TYPES_FILE.read_text() == render(scan_taggable_types()), (
        "regenerate with `.venv/bin/python -m tests.policies.taggable_types`"
    )


def test_taggable_types_are_those_with_a_tags_input():
    assert {
        BUCKET,
        "aws:iam/role:Role",
        "aws:rds/cluster:Cluster",
        "eks:index:Cluster",
        "eks:index:ManagedNodeGroup",
    } <= tagging.TAGGABLE_TYPES
    assert "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock" not in tagging.TAGGABLE_TYPES
    assert "aws:iam/rolePolicyAttachment:RolePolicyAttachment" not in tagging.TAGGABLE_TYPES


def test_missing_tags_are_named():
    assert resource_violations(
        tagging.REQUIRED_TAGS_RULE, BUCKET, {"tags": {"system": "ticketing", "role": " "}}
    ) == ["missing required tags ['environment', 'role'] (tags set: ['role', 'system'])"]
    assert resource_violations(tagging.REQUIRED_TAGS_RULE, BUCKET, {"tags": FULL_TAGS}) == []


def test_untaggable_types_are_not_judged():
    assert (
        resource_violations(
            tagging.REQUIRED_TAGS_RULE, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", {}
        )
        == []
    )


def test_tags_all_and_unknown_tags_count():
    assert (
        resource_violations(
            tagging.REQUIRED_TAGS_RULE, BUCKET, {"tags": {"role": "assets"}, "tagsAll": FULL_TAGS}
        )
        == []
    )
    assert resource_violations(tagging.REQUIRED_TAGS_RULE, BUCKET, {"tags": UNKNOWN}) == []
    assert (
        resource_violations(
            tagging.REQUIRED_TAGS_RULE, BUCKET, {"tags": {**FULL_TAGS, "environment": Unknown()}}
        )
        == []
    )


@pytest.mark.parametrize("default_tags", [{"tags": FULL_TAGS}, json.dumps({"tags": FULL_TAGS})])
def test_provider_default_tags_count(default_tags):
    provider = PolicyProviderResource(
        "pulumi:providers:aws",
        {"region": "ap-northeast-2", "defaultTags": default_tags},
        "urn:provider",
        "seoul",
    )
    args = ResourceValidationArgs(
        BUCKET,
        {"tags": {"role": "assets"}},
        urn_of(BUCKET, "assets"),
        "assets",
        _options(),
        provider,
        {},
    )
    messages = []
    tagging.REQUIRED_TAGS_RULE.validate(args, lambda message, urn=None: messages.append(message))
    assert messages == []
    args_without_provider = ResourceValidationArgs(
        BUCKET,
        {"tags": {"role": "assets"}},
        urn_of(BUCKET, "assets"),
        "assets",
        _options(),
        None,
        {},
    )
    tagging.REQUIRED_TAGS_RULE.validate(
        args_without_provider, lambda message, urn=None: messages.append(message)
    )
    assert messages == ["missing required tags ['environment', 'system'] (tags set: ['role'])"]


def test_resource_names_must_be_kebab_case():
    resources = [
        stack_resource(BUCKET, "ticketAssets", {}),
        stack_resource(BUCKET, "ticket_assets", {}),
        stack_resource(BUCKET, "ticket-assets-2", {}),
        stack_resource("pulumi:providers:aws", "default_7_51_1", {}),
    ]
    found = stack_violations(tagging.KEBAB_CASE_NAMES, resources)
    assert found == [
        ("ticketAssets", "resource name 'ticketAssets' is not lowercase kebab-case"),
        ("ticket_assets", "resource name 'ticket_assets' is not lowercase kebab-case"),
    ]
    assert stack_violations(tagging.KEBAB_CASE_NAMES, [resources[2], resources[3]]) == []


def test_children_of_library_components_are_skipped():
    eks_child = stack_resource(
        "aws:ec2/securityGroup:SecurityGroup", "cluster-eksClusterSecurityGroup", {}
    )
    eks_child.urn = (
        "urn:pulumi:test::ticketing::eks:index:Cluster$aws:ec2/securityGroup:SecurityGroup"
        "::cluster-eksClusterSecurityGroup"
    )
    chart_child = stack_resource("kubernetes:apps/v1:Deployment", "ingress:kube-system/aws-lb", {})
    chart_child.urn = (
        "urn:pulumi:test::ticketing::kubernetes:helm.sh/v4:Chart$kubernetes:apps/v1:Deployment"
        "::ingress:kube-system/aws-lb"
    )
    own = stack_resource("aws:ec2/securityGroup:SecurityGroup", "dbSecurityGroup", {})
    assert [
        name
        for name, _ in stack_violations(tagging.KEBAB_CASE_NAMES, [eks_child, chart_child, own])
    ] == ["dbSecurityGroup"]
    messages = []
    args = ResourceValidationArgs(
        eks_child.resource_type, {}, eks_child.urn, eks_child.name, _options(), None, {}
    )
    tagging.REQUIRED_TAGS_RULE.validate(args, lambda message, urn=None: messages.append(message))
    assert messages == []
    assert (
        resource_violations(
            tagging.REQUIRED_TAGS_RULE, own.resource_type, {}, name="db-security-group"
        )
        != []
    )


@pytest.mark.parametrize(
    "props",
    [
        None,
        {},
        {"tags": "env=prod"},
        {"tags": [1, 2]},
        {"tags": {"environment": 3}, "tagsAll": Unknown()},
        {"tags": None},
    ],
)
def test_malformed_inputs_never_raise(props):
    messages_for_malformed([tagging.REQUIRED_TAGS_RULE], props)


def test_malformed_provider_props_never_raise():
    for provider_props in (
        {"defaultTags": "{broken"},
        {"defaultTags": UNKNOWN},
        {"defaultTags": {"tags": "x"}},
        {},
    ):
        provider = PolicyProviderResource(
            "pulumi:providers:aws", provider_props, "urn:provider", "p"
        )
        args = ResourceValidationArgs(
            BUCKET, {"tags": FULL_TAGS}, urn_of(BUCKET, "b"), "b", _options(), provider, {}
        )
        messages = []
        tagging.REQUIRED_TAGS_RULE.validate(
            args, lambda message, urn=None, messages=messages: messages.append(message)
        )
        assert messages == []


def test_gate_hands_each_resource_its_provider_so_default_tags_count():
    run = run_program(Path(__file__).parent / "programs" / "provider_tags", "test")
    analysis = PackAnalyzer([tagging.REQUIRED_TAGS_RULE], {}).analyze(run.resources, run.config)
    assert [(violation.resource_name, violation.message) for violation in analysis.violations] == [
        (
            "by-untagged-provider",
            "missing required tags ['environment', 'system', 'role'] (tags set: [])",
        )
    ]
