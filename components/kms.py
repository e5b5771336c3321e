"""Customer-managed KMS keys: rotation on, and a key policy with explicit actions only.

The account root keeps administration (so IAM policies can grant use of the key); each AWS
service that encrypts with the key gets only the data-key actions it needs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

KEY_ADMIN_ACTIONS = (
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:CreateGrant",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListGrants",
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
)
KEY_USER_ACTIONS = (
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:CreateGrant",
)
DELETION_WINDOW_DAYS = 30


def key_policy(
    account_id: str, service_principals: Sequence[str], role_arns: Sequence[str] = ()
) -> str:
    # In a key policy "Resource": "*" means this key itself; it cannot name anything else.
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AccountAdministers",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
            "Action": list(KEY_ADMIN_ACTIONS),
            "Resource": "*",
        },
    ]
    if service_principals:
        statements.append(
            {
                "Sid": "ServicesEncrypt",
                "Effect": "Allow",
                "Principal": {"Service": sorted(service_principals)},
                "Action": list(KEY_USER_ACTIONS),
                "Resource": "*",
            }
        )
    if role_arns:
        statements.append(
            {
                "Sid": "RolesEncrypt",
                "Effect": "Allow",
                "Principal": {"AWS": list(role_arns)},
                "Action": list(KEY_USER_ACTIONS),
                "Resource": "*",
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def encryption_key(
    name: str,
    purpose: str,
    parent: pulumi.Resource,
    tags: Mapping[str, str],
    service_principals: Sequence[str] = (),
    role_arns: Sequence[pulumi.Input[str]] = (),
    provider: aws.Provider | None = None,
) -> aws.kms.Key:
    """A rotated CMK named `<name>-key` with alias `alias/<name>`, a child of `parent`, in the
    region of `provider` (the stack's own when None)."""
    options = pulumi.ResourceOptions(
        parent=parent,
        provider=provider,
    )
    account_id = aws.get_caller_identity_output().account_id
    key = aws.kms.Key(
        f"{name}-key",
        description=f"ticketing: {purpose}",
        enable_key_rotation=True,
        deletion_window_in_days=DELETION_WINDOW_DAYS,
        policy=pulumi.Output.all(account_id, *role_arns).apply(
            lambda values: key_policy(values[0], service_principals, values[1:])
        ),
        tags=dict(tags),
        opts=options,
    )
    aws.kms.Alias(
        f"{name}-alias",
        name=f"alias/ticketing/{name}",
        target_key_id=key.key_id,
        opts=options,
    )
    return key
