import json

import pytest
from pulumi.output import Unknown

from policies.rules import messaging
from policies.rules.values import UNKNOWN
from tests.policies.harness import resource_violations
from tests.policies.malformed import messages_for_malformed

TOPIC = "aws:sns/topic:Topic"
QUEUE = "aws:sqs/queue:Queue"
CMK = "arn:aws:kms:ap-northeast-2:123456789012:key/k"


def test_topic_must_be_encrypted():
    assert resource_violations(messaging.TOPIC_ENCRYPTION, TOPIC, {"name": "alerts"}) == [
        "kmsMasterKeyId is None: the topic is not encrypted"
    ]
    assert (
        resource_violations(messaging.TOPIC_ENCRYPTION, TOPIC, {"kmsMasterKeyId": "alias/aws/sns"})
        == []
    )
    assert (
        resource_violations(messaging.TOPIC_ENCRYPTION, TOPIC, {"kmsMasterKeyId": Unknown()}) == []
    )


def test_topic_must_use_a_customer_managed_key():
    assert resource_violations(
        messaging.TOPIC_CUSTOMER_KEY, TOPIC, {"kmsMasterKeyId": "alias/aws/sns"}
    ) == ["kmsMasterKeyId is 'alias/aws/sns' (the AWS managed key)"]
    assert resource_violations(messaging.TOPIC_CUSTOMER_KEY, TOPIC, {"kmsMasterKeyId": CMK}) == []


def test_queue_must_be_encrypted_somehow():
    assert resource_violations(
        messaging.QUEUE_ENCRYPTION, QUEUE, {"sqsManagedSseEnabled": False}
    ) == ["neither kmsMasterKeyId (None) nor sqsManagedSseEnabled (False) encrypts the queue"]
    assert (
        resource_violations(messaging.QUEUE_ENCRYPTION, QUEUE, {"sqsManagedSseEnabled": True}) == []
    )
    assert resource_violations(messaging.QUEUE_ENCRYPTION, QUEUE, {"kmsMasterKeyId": CMK}) == []


def test_queue_must_use_a_customer_managed_key():
    assert resource_violations(
        messaging.QUEUE_CUSTOMER_KEY, QUEUE, {"sqsManagedSseEnabled": True}
    ) == ["kmsMasterKeyId is None, not a customer managed KMS key"]
    assert (
        resource_violations(
            messaging.QUEUE_CUSTOMER_KEY, QUEUE, {"kmsMasterKeyId": "alias/aws/sqs"}
        )
        != []
    )
    assert resource_violations(messaging.QUEUE_CUSTOMER_KEY, QUEUE, {"kmsMasterKeyId": CMK}) == []
    assert (
        resource_violations(messaging.QUEUE_CUSTOMER_KEY, QUEUE, {"kmsMasterKeyId": UNKNOWN}) == []
    )


@pytest.mark.parametrize("resource_type", [QUEUE, "aws:sqs/queuePolicy:QueuePolicy"])
def test_queue_policy_wildcards(resource_type):
    wildcard = json.dumps(
        {
            "Statement": [
                {
                    "Sid": "Any",
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                    "Action": "sqs:*",
                    "Resource": "*",
                }
            ]
        }
    )
    assert resource_violations(
        messaging.QUEUE_POLICY_WILDCARDS, resource_type, {"policy": wildcard}
    ) == ["queue policy statement 'Any' allows ['sqs:*']"]
    scoped = {
        "Statement": [
            {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": "*"},
            {"Effect": "Deny", "Action": "*", "Resource": "*"},
        ]
    }
    assert (
        resource_violations(messaging.QUEUE_POLICY_WILDCARDS, resource_type, {"policy": scoped})
        == []
    )


@pytest.mark.parametrize(
    "props",
    [
        None,
        {},
        {"kmsMasterKeyId": 5},
        {"kmsMasterKeyId": UNKNOWN, "sqsManagedSseEnabled": Unknown()},
        {"policy": Unknown()},
        {"policy": "[]"},
        {"policy": {"Statement": [None, {"Effect": Unknown(), "Action": {"x": 1}}]}},
    ],
)
def test_malformed_inputs_never_raise(props):
    messages_for_malformed(messaging.POLICIES, props)
