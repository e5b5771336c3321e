"""values.schema.json refuses bad values before anything renders, naming the offending key."""

from __future__ import annotations

from typing import Any

import pytest

from tests.chart.chart_render import render, render_error
from tests.chart.scenarios import (
    INGRESS_VALUES,
    MINIMAL_VALUES,
    PULUMI_SERVICES_VALUES,
    with_override,
    without,
)

LOAD_BALANCER_ARN = (
    "arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:"
    "loadbalancer/app/edge/0123456789abcdef"
)
CLOUDFRONT_WAF_ACL_ARN = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/edge/a1b2c3d4"


def bad(values: dict[str, Any], key: str, case: str) -> Any:
    return pytest.param(values, key, id=case)


BAD_VALUES = [
    bad(with_override(MINIMAL_VALUES, "replicaCount", -1), "/replicaCount", "negative replicas"),
    bad(with_override(MINIMAL_VALUES, "replicaCount", 0), "/replicaCount", "zero replicas"),
    bad(with_override(MINIMAL_VALUES, "image.tag", "latest"), "/image/tag", "latest tag"),
    bad(with_override(MINIMAL_VALUES, "image.tag", "1.0 beta"), "/image/tag", "tag with a space"),
    bad(
        with_override(MINIMAL_VALUES, "image.repository", "Ticketing:1"),
        "/image/repository",
        "repository with a tag",
    ),
    bad(
        with_override(MINIMAL_VALUES, "image.pullPolicy", "Sometimes"),
        "/image/pullPolicy",
        "unknown pull policy",
    ),
    bad(
        without(MINIMAL_VALUES, "targetGroupBinding.targetGroupArn"),
        "/targetGroupBinding/targetGroupArn",
        "binding without target group",
    ),
    bad(
        with_override(MINIMAL_VALUES, "targetGroupBinding.targetGroupArn", LOAD_BALANCER_ARN),
        "/targetGroupBinding/targetGroupArn",
        "binding with a load balancer ARN",
    ),
    bad(without(MINIMAL_VALUES, "existingSecret"), "/existingSecret", "no existing secret"),
    bad(
        with_override(MINIMAL_VALUES, "existingSecret", "Ticketing_Env"),
        "/existingSecret",
        "secret name not a DNS name",
    ),
    bad(
        with_override(MINIMAL_VALUES, "autoscaling.targetCPUUtilizationPercentage", 150),
        "/autoscaling/targetCPUUtilizationPercentage",
        "cpu target above 100",
    ),
    bad(
        with_override(MINIMAL_VALUES, "autoscaling.enabled", "yes"),
        "/autoscaling/enabled",
        "enabled as a string",
    ),
    bad(
        with_override(MINIMAL_VALUES, "resources.limits.memory", "512MB"),
        "/resources/limits/memory",
        "memory in MB",
    ),
    bad(with_override(MINIMAL_VALUES, "resources.limits", None), "/resources", "limits removed"),
    bad(
        with_override(MINIMAL_VALUES, "podDisruptionBudget.minAvailable", "150%"),
        "/podDisruptionBudget/minAvailable",
        "minAvailable over 100 percent",
    ),
    bad(
        with_override(
            MINIMAL_VALUES,
            "serviceAccount.annotations",
            {"eks.amazonaws.com/role-arn": "ticketing"},
        ),
        "/serviceAccount/annotations",
        "IRSA annotation not a role ARN",
    ),
    bad(
        with_override(MINIMAL_VALUES, "env", {"TICKETING_WORKERS": 4}),
        "/env/TICKETING_WORKERS",
        "non-string env value",
    ),
    bad(
        with_override(MINIMAL_VALUES, "env", {"log-level": "info"}),
        "/env",
        "env name not a variable name",
    ),
    bad(
        without(INGRESS_VALUES, "ingress.certificateArn"),
        "/ingress/certificateArn",
        "ingress without certificate",
    ),
    bad(without(INGRESS_VALUES, "ingress.wafAclArn"), "/ingress/wafAclArn", "ingress without WAF"),
    bad(
        with_override(INGRESS_VALUES, "ingress.wafAclArn", CLOUDFRONT_WAF_ACL_ARN),
        "/ingress/wafAclArn",
        "ingress with a CloudFront-scoped WAF",
    ),
    bad(without(INGRESS_VALUES, "ingress.host"), "/ingress/host", "ingress without host"),
    bad(
        with_override(INGRESS_VALUES, "ingress.sslPolicy", "ELBSecurityPolicy-TLS-1-2-2017-01"),
        "/ingress/sslPolicy",
        "TLS 1.2 only policy",
    ),
    bad(
        with_override(MINIMAL_VALUES, "tls.enabled", "yes"),
        "/tls/enabled",
        "tls enabled as a string",
    ),
    bad(
        with_override(MINIMAL_VALUES, "tls.secretName", "Pod_Certificate"),
        "/tls/secretName",
        "tls secret not a DNS name",
    ),
    bad(
        with_override(MINIMAL_VALUES, "tls.certificate", "-----BEGIN CERTIFICATE-----"),
        "certificate",
        "certificate inlined in values",
    ),
    bad(
        with_override(MINIMAL_VALUES, "env", {"TICKETING_TLS_KEY_FILE": "/tmp/key.pem"}),
        "/env",
        "tls key path as plain env",
    ),
    bad({**MINIMAL_VALUES, "replicas": 3}, "replicas", "misspelt top-level key"),
    bad(
        with_override(MINIMAL_VALUES, "autoscaling.targetCPU", 70),
        "targetCPU",
        "misspelt nested key",
    ),
]


@pytest.mark.parametrize(("values", "key"), BAD_VALUES)
def test_bad_values_are_refused_naming_the_key(values: dict[str, Any], key: str) -> None:
    message = render_error(values)
    assert "schema" in message
    assert key in message


def test_ingress_fields_are_only_required_when_the_ingress_is_enabled() -> None:
    assert render(
        with_override(
            MINIMAL_VALUES, "ingress", {"enabled": False, "host": "", "certificateArn": ""}
        )
    )


def test_target_group_is_only_required_when_the_binding_is_enabled() -> None:
    assert render(
        with_override(
            INGRESS_VALUES, "targetGroupBinding", {"enabled": False, "targetGroupArn": ""}
        )
    )


def test_pulumi_services_values_are_accepted() -> None:
    assert render(PULUMI_SERVICES_VALUES)
