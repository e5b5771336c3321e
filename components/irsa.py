"""IAM roles for Kubernetes service accounts (IRSA): trusted by exactly one service account."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pulumi
import pulumi_aws as aws


def service_account_trust(
    oidc_provider_arn: str, oidc_provider_url: str, namespace: str, service_account: str
) -> str:
    issuer = oidc_provider_url.removeprefix("https://")
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": oidc_provider_arn},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {
                            f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                            f"{issuer}:aud": "sts.amazonaws.com",
                        }
                    },
                }
            ],
        }
    )


def irsa_role(
    name: str,
    oidc_provider_arn: pulumi.Input[str],
    oidc_provider_url: pulumi.Input[str],
    namespace: str,
    service_account: str,
    policy: pulumi.Input[str],
    parent: pulumi.Resource,
    tags: Mapping[str, str],
) -> aws.iam.Role:
    """A role `<name>-role` that only `namespace/service_account` can assume, with `policy`
    inline.
    """
    child = pulumi.ResourceOptions(parent=parent)
    role = aws.iam.Role(
        f"{name}-role",
        assume_role_policy=pulumi.Output.all(oidc_provider_arn, oidc_provider_url).apply(
            lambda provider: service_account_trust(
                provider[0], provider[1], namespace, service_account
            )
        ),
        tags=dict(tags),
        opts=child,
    )
    aws.iam.RolePolicy(
        f"{name}-policy",
        role=role.id,
        policy=policy,
        opts=child,
    )
    return role
