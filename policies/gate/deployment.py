"""The checks that stand in for what a real `pulumi up` would trip over after the policy pack has
passed: how the Kubernetes provider reaches the cluster API, the charts rendered with the values
the program passes, create order, and agreement with the stack this one follows.

Each failure is a preview error (the gate exits 2), since the deploy itself would fail.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from policies.gate.chart_render import ChartError, kubernetes_version, render_releases
from policies.gate.cross_stack import CrossStackError, check_cross_stack
from policies.gate.ordering import OrderingError, check_order
from policies.gate.rendered_resources import manifest_resources
from policies.program_runner import ProgramRun, RegisteredResource

PULUMI_EKS_CLUSTER = "eks:index:Cluster"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
KUBERNETES_API_PORT = 443


class DeploymentError(Exception):
    """A real deploy of this stack would fail; the message says where and why."""


@dataclass(frozen=True)
class Deployment:
    lines: list[str]
    """One line per check passed (`chart <release>: N manifests rendered and valid`)."""
    rendered: list[RegisteredResource]
    """Every manifest of every local chart release, as the resource the pack judges."""


def _api_sources(run: ProgramRun, cluster_urn: str) -> list[str]:
    """Groups and CIDRs from outside the program let in on 443 to the cluster's security group
    (a group the program makes itself, such as the ALB's, is no deploy runner)."""
    sources = []
    for rule in run.of_type(INGRESS_RULE):
        inputs = rule.inputs
        if (
            cluster_urn in rule.property_dependencies.get("securityGroupId", ())
            and inputs.get("fromPort", 0) <= KUBERNETES_API_PORT <= inputs.get("toPort", -1)
            and not rule.property_dependencies.get("referencedSecurityGroupId")
        ):
            source = inputs.get("referencedSecurityGroupId") or inputs.get("cidrIpv4")
            if source:
                sources.append(str(source))
    return sources


def api_access(run: ProgramRun) -> list[str]:
    """How `pulumi up` reaches each EKS cluster's API; DeploymentError when it cannot."""
    lines = []
    for cluster in run.of_type(PULUMI_EKS_CLUSTER):
        public = cluster.inputs.get("endpointPublicAccess", True)
        cidrs = cluster.inputs.get("publicAccessCidrs") or ["0.0.0.0/0"]
        runners = _api_sources(run, cluster.urn)
        ways = []
        if public:
            ways.append(f"public endpoint limited to {', '.join(cidrs)}")
        if runners:
            ways.append(f"private endpoint, 443 from {', '.join(runners)}")
        if not ways and not any(item.type.startswith("kubernetes:") for item in run.resources):
            ways.append("private endpoint only (the program applies nothing through it)")
        if not ways:
            raise DeploymentError(
                f"cluster {cluster.name}: the API endpoint is private and nothing outside the"
                " cluster is let in on 443, so pulumi up cannot apply the Kubernetes resources"
                " (set the stack's cluster.deployAccess)"
            )
        lines.append(f"kubernetes provider reaches {cluster.name}: {'; '.join(ways)}")
    return lines


def deployment_checks(run: ProgramRun, program_dir: Path) -> Deployment:
    try:
        lines = api_access(run)
        releases = render_releases(run, program_dir.resolve())
        check_order(run, releases, kubernetes_version(run))
        check_cross_stack(run, program_dir.resolve())
    except (ChartError, OrderingError, CrossStackError) as error:
        raise DeploymentError(str(error)) from error
    return Deployment(
        lines=lines
        + [
            f"chart {release.resource.name}: {len(release.manifests)} manifests rendered and valid"
            for release in releases
        ],
        rendered=[resource for release in releases for resource in manifest_resources(release)],
    )
