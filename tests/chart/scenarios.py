"""Values the chart is installed with in the tests.

MINIMAL_VALUES: the chart defaults plus the keys that have no default on purpose.
PULUMI_SERVICES_VALUES: shaped like the values the Pulumi services component passes (HTTPS to the
pods with the chart-generated certificate).
INGRESS_VALUES: the Ingress alternative instead of the binding.
TLS_SECRET_VALUES: HTTPS to the pods with a certificate from a Secret the chart does not own.
"""

from __future__ import annotations

import copy
from typing import Any

TARGET_GROUP_ARN = (
    "arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:"
    "targetgroup/ticketing-prod/0123456789abcdef"
)
ROLE_ARN = "arn:aws:iam::123456789012:role/ticketing-prod-services"
CERTIFICATE_ARN = (
    "arn:aws:acm:ap-northeast-2:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
)
WAF_ACL_ARN = (
    "arn:aws:wafv2:ap-northeast-2:123456789012:"
    "regional/webacl/ticketing-prod/a1b2c3d4-e5f6-7a8b-9c0d-e1f2a3b4c5d6"
)
EXISTING_SECRET = "ticketing-runtime"
TLS_SECRET = "ticketing-pod-certificate"
SECRET_ENV_NAMES = (
    "TICKETING_REDIS_URL",
    "TICKETING_DATABASE_URL",
    "TICKETING_ADMIN_TOKEN",
    "TICKETING_SECRET",
)

MINIMAL_VALUES: dict[str, Any] = {
    "image": {
        "repository": "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/ticketing",
        "tag": "0.1.0",
    },
    "existingSecret": EXISTING_SECRET,
    "targetGroupBinding": {"targetGroupArn": TARGET_GROUP_ARN},
}

PULUMI_SERVICES_VALUES: dict[str, Any] = {
    "image": {
        "repository": "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/ticketing",
        "tag": "2026.11.22-3f9c2ab",
        "pullPolicy": "IfNotPresent",
    },
    "replicaCount": 4,
    "resources": {
        "requests": {"cpu": "750m", "memory": "384Mi"},
        "limits": {"cpu": "2", "memory": "768Mi"},
    },
    "autoscaling": {
        "enabled": True,
        "minReplicas": 4,
        "maxReplicas": 60,
        "targetCPUUtilizationPercentage": 70,
    },
    "podDisruptionBudget": {"minAvailable": 3},
    "serviceAccount": {
        "create": True,
        "name": "ticketing",
        "annotations": {"eks.amazonaws.com/role-arn": ROLE_ARN},
    },
    "existingSecret": EXISTING_SECRET,
    "env": {"TICKETING_LOG_LEVEL": "info", "TICKETING_REGION": "ap-northeast-2"},
    "tls": {"enabled": True},
    "targetGroupBinding": {"enabled": True, "targetGroupArn": TARGET_GROUP_ARN},
    "ingress": {"enabled": False},
}

INGRESS_VALUES: dict[str, Any] = {
    **MINIMAL_VALUES,
    "targetGroupBinding": {"enabled": False},
    "ingress": {
        "enabled": True,
        "host": "tickets.example.com",
        "certificateArn": CERTIFICATE_ARN,
        "wafAclArn": WAF_ACL_ARN,
    },
}

TLS_SECRET_VALUES: dict[str, Any] = {
    **MINIMAL_VALUES,
    "tls": {"enabled": True, "secretName": TLS_SECRET},
}

SCENARIOS = {
    "minimal": MINIMAL_VALUES,
    "pulumi-services": PULUMI_SERVICES_VALUES,
    "ingress": INGRESS_VALUES,
    "tls-secret": TLS_SECRET_VALUES,
}


def _parent_and_leaf(values: dict[str, Any], dotted_key: str) -> tuple[dict[str, Any], str]:
    *parents, leaf = dotted_key.split(".")
    node = values
    for parent in parents:
        node = node.setdefault(parent, {})
    return node, leaf


def with_override(base: dict[str, Any], dotted_key: str, value: Any) -> dict[str, Any]:
    """A deep copy of base with one nested key (e.g. "image.tag") set to value."""
    values = copy.deepcopy(base)
    parent, leaf = _parent_and_leaf(values, dotted_key)
    parent[leaf] = value
    return values


def without(base: dict[str, Any], dotted_key: str) -> dict[str, Any]:
    """A deep copy of base with one nested key removed, so the chart default applies."""
    values = copy.deepcopy(base)
    parent, leaf = _parent_and_leaf(values, dotted_key)
    del parent[leaf]
    return values
