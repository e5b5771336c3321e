"""The pods' NetworkPolicy: in, port 8000 from the VPC (the ALB) and the metrics scraper only;
out, DNS, Redis and PostgreSQL only."""

from __future__ import annotations

from policies.gate.manifests import validate_manifest
from tests.chart.chart_render import (
    KUBERNETES_VERSION,
    OLDEST_KUBERNETES_VERSION,
    kinds,
    lint_findings,
    only,
    render,
    render_error,
)
from tests.chart.scenarios import MINIMAL_VALUES, PULUMI_SERVICES_VALUES, with_override

VPC_CIDR = "10.20.0.0/16"
VALUES = with_override(
    PULUMI_SERVICES_VALUES, "networkPolicy", {"enabled": True, "vpcCidrs": [VPC_CIDR]}
)


def test_policy_selects_the_app_pods_in_both_directions() -> None:
    manifests = render(VALUES)
    policy = only(manifests, "NetworkPolicy")["spec"]
    pod_labels = only(manifests, "Deployment")["spec"]["template"]["metadata"]["labels"]
    assert policy["podSelector"]["matchLabels"].items() <= pod_labels.items()
    assert policy["policyTypes"] == ["Ingress", "Egress"]


def test_ingress_only_to_the_app_port_from_the_vpc_and_the_scraper() -> None:
    (rule,) = only(render(VALUES), "NetworkPolicy")["spec"]["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 8000}]
    vpc, scraper = rule["from"]
    assert vpc == {"ipBlock": {"cidr": VPC_CIDR}}
    assert scraper["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}
    assert scraper["namespaceSelector"] == {
        "matchLabels": {"kubernetes.io/metadata.name": "monitoring"}
    }


def test_egress_only_to_dns_redis_and_postgres() -> None:
    dns, stores = only(render(VALUES), "NetworkPolicy")["spec"]["egress"]
    assert dns["to"][0]["podSelector"] == {"matchLabels": {"k8s-app": "kube-dns"}}
    assert sorted((port["protocol"], port["port"]) for port in dns["ports"]) == [
        ("TCP", 53),
        ("UDP", 53),
    ]
    assert stores["to"] == [{"ipBlock": {"cidr": VPC_CIDR}}]
    assert [port["port"] for port in stores["ports"]] == [6379, 5432]


def test_policy_is_off_by_default_and_needs_the_vpc_when_on() -> None:
    assert "NetworkPolicy" not in kinds(render(MINIMAL_VALUES))
    error = render_error(
        with_override(MINIMAL_VALUES, "networkPolicy", {"enabled": True, "vpcCidrs": []})
    )
    assert "vpcCidrs" in error
    error = render_error(
        with_override(MINIMAL_VALUES, "networkPolicy", {"enabled": True, "vpcCidrs": ["0/0"]})
    )
    assert "vpcCidrs" in error


def test_policy_is_a_valid_network_policy_and_lints_clean() -> None:
    policy = only(render(VALUES), "NetworkPolicy")
    for version in (OLDEST_KUBERNETES_VERSION, KUBERNETES_VERSION):
        validate_manifest(policy, version)
    assert lint_findings(VALUES) == []
