"""SNS topics and SQS queues: encryption with customer managed keys, no wildcard queue policies."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Policy, Severity

from policies.rule import resource_rule
from policies.rules.values import (
    iam_document,
    is_aws_managed_key,
    is_true,
    is_unknown,
    statements,
    strings,
    with_plain_props,
)

MANDATORY = EnforcementLevel.MANDATORY

TOPIC = "aws:sns/topic:Topic"
QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"


def _topic_unencrypted(props: Mapping[str, Any], _args: Any) -> Iterator[str]:
    key = props.get("kmsMasterKeyId")
    if not is_unknown(key) and not key:
        yield f"kmsMasterKeyId is {key!r}: the topic is not encrypted"


def _topic_aws_managed_key(props: Mapping[str, Any], _args: Any) -> Iterator[str]:
    key = props.get("kmsMasterKeyId")
    if key and not is_unknown(key) and is_aws_managed_key(key, "sns"):
        yield f"kmsMasterKeyId is {key!r} (the AWS managed key)"


def _queue_unencrypted(props: Mapping[str, Any], _args: Any) -> Iterator[str]:
    key, managed = props.get("kmsMasterKeyId"), props.get("sqsManagedSseEnabled")
    if is_unknown(key) or is_unknown(managed) or key or is_true(managed):
        return
    yield (
        f"neither kmsMasterKeyId ({key!r}) nor sqsManagedSseEnabled ({managed!r}) encrypts the"
        " queue"
    )


def _queue_without_customer_key(props: Mapping[str, Any], _args: Any) -> Iterator[str]:
    key = props.get("kmsMasterKeyId")
    if not is_unknown(key) and is_aws_managed_key(key, "sqs"):
        yield f"kmsMasterKeyId is {key!r}, not a customer managed KMS key"


def _wildcard_queue_actions(props: Mapping[str, Any], _args: Any) -> Iterator[str]:
    for index, statement in enumerate(statements(iam_document(props.get("policy")))):
        if str(statement.get("Effect", "")).lower() != "allow":
            continue
        wildcards = [
            action
            for action in strings(statement.get("Action"))
            if action.lower() in ("*", "sqs:*")
        ]
        if wildcards:
            yield f"queue policy statement {statement.get('Sid') or index!r} allows {wildcards}"


TOPIC_ENCRYPTION = resource_rule(
    name="aws-sns-enable-topic-encryption",
    description="SNS topics are encrypted at rest.",
    severity=Severity.HIGH,
    enforcement=MANDATORY,
    resource_types=(TOPIC,),
    remediation="set `kms_master_key_id` on aws.sns.Topic to a customer managed aws.kms.Key",
    trivy_ids=["AVD-AWS-0095"],
    checkov_ids=["CKV_AWS_26"],
    check=with_plain_props(_topic_unencrypted),
)

TOPIC_CUSTOMER_KEY = resource_rule(
    name="aws-sns-topic-encryption-use-cmk",
    description="SNS topics are encrypted with a customer managed key, not alias/aws/sns.",
    severity=Severity.HIGH,
    enforcement=MANDATORY,
    resource_types=(TOPIC,),
    remediation=(
        "set `kms_master_key_id` on aws.sns.Topic to a customer managed aws.kms.Key instead of"
        " `alias/aws/sns`"
    ),
    trivy_ids=["AVD-AWS-0136"],
    check=with_plain_props(_topic_aws_managed_key),
)

QUEUE_ENCRYPTION = resource_rule(
    name="aws-sqs-enable-queue-encryption",
    description="SQS queues are encrypted at rest.",
    severity=Severity.HIGH,
    enforcement=MANDATORY,
    resource_types=(QUEUE,),
    remediation=(
        "set `kms_master_key_id` (customer managed aws.kms.Key) or at least"
        " `sqs_managed_sse_enabled=True` on aws.sqs.Queue"
    ),
    trivy_ids=["AVD-AWS-0096"],
    check=with_plain_props(_queue_unencrypted),
)

QUEUE_CUSTOMER_KEY = resource_rule(
    name="aws-sqs-queue-encryption-use-cmk",
    description="SQS queues are encrypted with a customer managed KMS key.",
    severity=Severity.HIGH,
    enforcement=MANDATORY,
    resource_types=(QUEUE,),
    remediation=(
        "set `kms_master_key_id` on aws.sqs.Queue to a customer managed aws.kms.Key (not"
        " `alias/aws/sqs`)"
    ),
    trivy_ids=["AVD-AWS-0135"],
    check=with_plain_props(_queue_without_customer_key),
)

QUEUE_POLICY_WILDCARDS = resource_rule(
    name="aws-sqs-no-wildcards-in-policy-documents",
    description="SQS queue policies do not allow every action.",
    severity=Severity.HIGH,
    enforcement=MANDATORY,
    resource_types=(QUEUE, QUEUE_POLICY),
    remediation=(
        "list the exact actions (e.g. `sqs:SendMessage`) in the `policy` of"
        " aws.sqs.QueuePolicy/aws.sqs.Queue instead of `*`/`sqs:*`"
    ),
    trivy_ids=["AVD-AWS-0097"],
    check=with_plain_props(_wildcard_queue_actions),
)

POLICIES: list[Policy] = [
    TOPIC_ENCRYPTION,
    TOPIC_CUSTOMER_KEY,
    QUEUE_ENCRYPTION,
    QUEUE_CUSTOMER_KEY,
    QUEUE_POLICY_WILDCARDS,
]
