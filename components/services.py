"""The ticketing services: their Helm chart (`app/chart`) with values from config, the Secret the
pods read their connection strings from, and an IRSA role that can read only the app's own secret.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import prescale
from components.config import APP_SECRET_ENV_NAMES, ServicesConfig
from components.irsa import irsa_role
from components.kms import encryption_key

CHART_PATH = Path(__file__).resolve().parent.parent / "app" / "chart"
SERVICE_ACCOUNT = "ticketing"
SECRET_NAME = "ticketing-app"  # noqa: S105 -- the Kubernetes Secret's name, not its value


@dataclass(frozen=True)
class AppSecrets:
    """Everything the pods must not see in plain text: the chart's `existingSecret` keys."""

    redis_url: pulumi.Output[str]
    database_url: pulumi.Output[str]
    admin_token: pulumi.Output[str]
    token_signing_secret: pulumi.Output[str]

    def as_env(self) -> pulumi.Output[dict[str, str]]:
        return pulumi.Output.secret(
            pulumi.Output.all(
                self.redis_url, self.database_url, self.admin_token, self.token_signing_secret
            ).apply(lambda values: dict(zip(APP_SECRET_ENV_NAMES, values, strict=True)))
        )


def app_secret_policy(secret_arn: str, key_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["secretsmanager:GetSecretValue"],
                    "Resource": [secret_arn],
                },
                {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": [key_arn]},
            ],
        }
    )


def chart_values(
    config: ServicesConfig,
    store_env: Mapping[str, str],
    role_arn: Any,
    target_group_arn: Any,
    hostname: str,
    certificate_arn: Any,
    waf_acl_arn: Any,
    vpc_cidr: str,
) -> dict[str, Any]:
    """The values contract with app/chart, nothing more."""
    return {
        "image": {"repository": config.image_repository, "tag": config.image_tag},
        "replicaCount": config.replicas,
        "resources": {
            "requests": {
                "cpu": config.resources.cpu_request,
                "memory": config.resources.memory_request,
            },
            "limits": {"cpu": config.resources.cpu_limit, "memory": config.resources.memory_limit},
        },
        "autoscaling": {
            "enabled": True,
            "minReplicas": config.min_replicas,
            "maxReplicas": config.max_replicas,
            "targetCPUUtilizationPercentage": config.target_cpu_percent,
        },
        "podDisruptionBudget": {"minAvailable": config.pdb_min_available},
        "prescale": {"schedules": prescale.schedules(config)},
        "serviceAccount": {
            "create": True,
            "name": SERVICE_ACCOUNT,
            "annotations": {"eks.amazonaws.com/role-arn": role_arn},
        },
        "existingSecret": SECRET_NAME,
        "env": {**config.env, **store_env},
        # HTTPS to the pods with the chart-generated certificate, matching the target
        # group's protocol.
        "tls": {"enabled": True},
        "targetGroupBinding": {"enabled": True, "targetGroupArn": target_group_arn},
        "ingress": {
            "enabled": False,
            "host": hostname,
            "certificateArn": certificate_arn,
            "wafAclArn": waf_acl_arn,
        },
        # The ALB, Redis and PostgreSQL all live in the VPC: the pods talk to nothing else.
        "networkPolicy": {"enabled": True, "vpcCidrs": [vpc_cidr]},
    }


class Services(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        config: ServicesConfig,
        secrets: AppSecrets,
        store_env: Mapping[str, str],
        provider: k8s.Provider,
        oidc_provider_arn: pulumi.Input[str],
        oidc_provider_url: pulumi.Input[str],
        target_group_arn: pulumi.Input[str],
        hostname: str,
        certificate_arn: pulumi.Input[str],
        waf_acl_arn: pulumi.Input[str],
        vpc_cidr: str,
        tags: Mapping[str, str],
        prerequisites: Sequence[pulumi.Resource] = (),
        opts: pulumi.ResourceOptions | None = None,
    ):
        """`prerequisites`: what the pods need before the release can become ready (the
        TargetGroupBinding CRD's release, the database instances)."""
        super().__init__("ticketing:services:Services", name, None, opts)
        tags = dict(tags)
        child = pulumi.ResourceOptions(parent=self)
        in_cluster = pulumi.ResourceOptions(
            parent=self,
            provider=provider,
        )
        key = encryption_key(f"{name}-secrets", "the app's connection secrets", self, tags)
        self.secret = aws.secretsmanager.Secret(
            f"{name}-app",
            name=f"ticketing/{name}/app",
            kms_key_id=key.arn,
            recovery_window_in_days=7,
            tags=tags,
            opts=child,
        )
        aws.secretsmanager.SecretVersion(
            f"{name}-app",
            secret_id=self.secret.id,
            secret_string=secrets.as_env().apply(json.dumps),
            opts=child,
        )
        role = irsa_role(
            f"{name}-app",
            oidc_provider_arn,
            oidc_provider_url,
            config.namespace,
            SERVICE_ACCOUNT,
            pulumi.Output.all(self.secret.arn, key.arn).apply(
                lambda arns: app_secret_policy(*arns)
            ),
            self,
            tags,
        )
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={
                "name": config.namespace,
                "labels": {
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/enforce-version": "latest",
                },
            },
            opts=in_cluster,
        )
        app_secret = k8s.core.v1.Secret(
            f"{name}-app-secret",
            metadata={"name": SECRET_NAME, "namespace": config.namespace},
            type="Opaque",
            string_data=secrets.as_env(),
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=provider,
                depends_on=[namespace],
            ),
        )
        self.release = k8s.helm.v3.Release(
            f"{name}-chart",
            name="ticketing",
            chart=str(CHART_PATH),
            namespace=config.namespace,
            values=chart_values(
                config,
                store_env,
                role.arn,
                target_group_arn,
                hostname,
                certificate_arn,
                waf_acl_arn,
                vpc_cidr,
            ),
            atomic=True,
            timeout=600,
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=provider,
                depends_on=[namespace, app_secret, *prerequisites],
            ),
        )
        self.role_arn = role.arn
        self.secret_arn = self.secret.arn
        self.register_outputs(
            {"namespace": config.namespace, "roleArn": self.role_arn, "secretArn": self.secret_arn}
        )
