"""How requests reach the pods: a TargetGroupBinding by default, an ALB Ingress as the
alternative.
"""

from __future__ import annotations

import json

from tests.chart.chart_render import kinds, only, render
from tests.chart.scenarios import (
    CERTIFICATE_ARN,
    INGRESS_VALUES,
    MINIMAL_VALUES,
    PULUMI_SERVICES_VALUES,
    TARGET_GROUP_ARN,
    WAF_ACL_ARN,
    with_override,
)

ALB = "alb.ingress.kubernetes.io/"


def test_service_forwards_to_the_http_container_port() -> None:
    manifests = render(MINIMAL_VALUES)
    service = only(manifests, "Service")
    pod_labels = only(manifests, "Deployment")["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["type"] == "ClusterIP"
    assert service["spec"]["ports"] == [
        {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}
    ]
    assert service["spec"]["selector"].items() <= pod_labels.items()


def test_binding_registers_pod_ips_in_the_pulumi_target_group() -> None:
    manifests = render(PULUMI_SERVICES_VALUES)
    binding = only(manifests, "TargetGroupBinding")
    service = only(manifests, "Service")
    assert binding["apiVersion"] == "elbv2.k8s.aws/v1beta1"
    assert binding["spec"]["targetGroupARN"] == TARGET_GROUP_ARN
    assert binding["spec"]["targetType"] == "ip"
    assert binding["spec"]["serviceRef"] == {
        "name": service["metadata"]["name"],
        "port": service["spec"]["ports"][0]["name"],
    }


def test_binding_is_the_default_and_ingress_is_off() -> None:
    found = kinds(render(MINIMAL_VALUES))
    assert "TargetGroupBinding" in found
    assert "Ingress" not in found


def test_binding_can_be_turned_off() -> None:
    values = with_override(MINIMAL_VALUES, "targetGroupBinding", {"enabled": False})
    assert "TargetGroupBinding" not in kinds(render(values))


def test_ingress_asks_for_an_internet_facing_tls13_alb_with_waf() -> None:
    annotations = only(render(INGRESS_VALUES), "Ingress")["metadata"]["annotations"]
    assert annotations[ALB + "scheme"] == "internet-facing"
    assert annotations[ALB + "target-type"] == "ip"
    assert json.loads(annotations[ALB + "listen-ports"]) == [{"HTTP": 80}, {"HTTPS": 443}]
    assert annotations[ALB + "ssl-redirect"] == "443"
    assert annotations[ALB + "ssl-policy"].startswith("ELBSecurityPolicy-TLS13-")
    assert annotations[ALB + "certificate-arn"] == CERTIFICATE_ARN
    assert annotations[ALB + "wafv2-acl-arn"] == WAF_ACL_ARN
    assert annotations[ALB + "healthcheck-path"] == "/readyz"


def test_ingress_routes_the_host_to_the_service_and_hides_metrics() -> None:
    manifests = render(INGRESS_VALUES)
    ingress = only(manifests, "Ingress")
    assert ingress["spec"]["ingressClassName"] == "alb"
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == "tickets.example.com"
    metrics_path, app_path = rule["http"]["paths"]
    assert (metrics_path["path"], metrics_path["pathType"]) == ("/metrics", "Exact")
    denial = json.loads(ingress["metadata"]["annotations"][ALB + "actions.deny-metrics"])
    assert metrics_path["backend"]["service"] == {
        "name": "deny-metrics",
        "port": {"name": "use-annotation"},
    }
    assert denial["type"] == "fixed-response"
    assert denial["fixedResponseConfig"]["statusCode"] == "404"
    assert json.loads(denial["fixedResponseConfig"]["messageBody"]).keys() == {"error", "detail"}
    assert (app_path["path"], app_path["pathType"]) == ("/", "Prefix")
    assert app_path["backend"]["service"] == {
        "name": only(manifests, "Service")["metadata"]["name"],
        "port": {"name": "http"},
    }
