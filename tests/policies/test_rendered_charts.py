"""The gate feeds what a local chart release renders to the pack: each manifest is judged as the
Kubernetes resource it is, and a finding names the release and the manifest (tests/policies/
charts/web, rendered by real Helm)."""

import json
import shutil
from pathlib import Path

import pytest

from policies.gate.chart_render import RenderedRelease
from policies.gate.rendered_resources import manifest_resources, pulumi_type
from policies.program_runner import RegisteredResource
from tests.policies.test_gate_cli import _json, _program

CHART = Path(__file__).parent / "charts" / "web"
RELEASE_PROGRAM = """
import json

import pulumi
import pulumi_kubernetes as k8s

config = pulumi.Config()
k8s.helm.v3.Release(
    "web",
    chart="./chart",
    name="web",
    namespace="shop",
    values=json.loads(config.require("values")),
)
"""
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
RELEASE_URN = "urn:pulumi:test::shop::kubernetes:helm.sh/v3:Release::web"


def _gate_report(capsys, tmp_path: Path, values: str) -> tuple[int, dict]:
    program = _program(tmp_path / "shop", RELEASE_PROGRAM, f"config:\n  shop:values: '{values}'\n")
    shutil.copytree(CHART, program / "chart")
    return _json(capsys, "--program", str(program), "--stack", "test")


def _gate_on_values(capsys, tmp_path: Path, values: str) -> tuple[int, list[dict]]:
    code, report = _gate_report(capsys, tmp_path, values)
    return code, report["violations"]


def test_the_json_report_lists_rendered_manifests_with_secret_values_masked(capsys, tmp_path):
    _, report = _gate_report(capsys, tmp_path, '{"token": "not-a-real-token"}')
    listed = {resource["name"]: resource for resource in report["resources"]}
    assert {"web", "web:shop/web", "web:shop/web-token"} <= set(listed)
    assert listed["web:shop/web-token"]["inputs"]["stringData"] == "[secret]"
    assert "not-a-real-token" not in json.dumps(
        {name: item for name, item in listed.items() if name != "web"}
    )


def _on(violations: list[dict], policy: str) -> list[tuple[str, str]]:
    return [
        (violation["resource_type"], violation["resource_name"])
        for violation in violations
        if violation["policy"] == policy
    ]


def test_a_value_that_makes_the_rendered_container_privileged_blocks_naming_release_and_manifest(
    capsys, tmp_path
):
    code, violations = _gate_on_values(capsys, tmp_path, '{"debugMode": true}')
    assert code == 1
    # The values hold no key the values rule knows; only the rendered Deployment shows it.
    assert _on(violations, "k8s-helm-values-no-insecure-settings") == []
    assert _on(violations, "k8s-no-privileged-containers") == [(DEPLOYMENT, "web:shop/web")]
    assert _on(violations, "k8s-no-privilege-escalation") == [(DEPLOYMENT, "web:shop/web")]


@pytest.mark.parametrize(
    "values",
    [
        # The values claim a NetworkPolicy the chart does not render.
        '{"isolated": false, "networkPolicy": {"enabled": true}}',
        # Only the rendered Deployment is named, not also its release.
        '{"isolated": false}',
    ],
)
def test_the_network_policy_rule_judges_the_rendered_pods_not_the_release_values(
    capsys, tmp_path, values
):
    code, violations = _gate_on_values(capsys, tmp_path, values)
    assert code == 0
    assert _on(violations, "k8s-namespace-network-policy") == [(DEPLOYMENT, "web:shop/web")]


def test_a_compliant_render_passes_every_kubernetes_rule(capsys, tmp_path):
    code, violations = _gate_on_values(capsys, tmp_path, "{}")
    assert code == 0
    assert [violation for violation in violations if violation["policy"].startswith("k8s-")] == []


@pytest.mark.parametrize(
    ("api_version", "kind", "expected"),
    [
        ("apps/v1", "Deployment", DEPLOYMENT),
        ("v1", "Service", "kubernetes:core/v1:Service"),
        (
            "elbv2.k8s.aws/v1beta1",
            "TargetGroupBinding",
            "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding",
        ),
    ],
)
def test_type_tokens_are_pulumi_kubernetes_ones(api_version, kind, expected):
    assert pulumi_type({"apiVersion": api_version, "kind": kind}) == expected


def test_manifests_become_children_of_their_release_in_its_namespace():
    release = RegisteredResource(
        urn=RELEASE_URN,
        type="kubernetes:helm.sh/v3:Release",
        name="web",
        custom=True,
        parent_urn="",
        inputs={"namespace": "shop"},
        provider="",
        protect=False,
        ignore_changes=(),
        dependencies=(),
    )
    manifests = [
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "tls"}, "data": {"k": "dg=="}},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "r"},
        },
    ]
    secret, role = manifest_resources(RenderedRelease(release, manifests))
    assert (secret.name, secret.parent_urn, secret.inputs["metadata"]["namespace"]) == (
        "web:shop/tls",
        RELEASE_URN,
        "shop",
    )
    assert secret.urn == (
        "urn:pulumi:test::shop::kubernetes:helm.sh/v3:Release$kubernetes:core/v1:Secret::web:shop/tls"
    )
    assert set(secret.secret_paths) == {"data", "stringData"}
    assert (role.name, "namespace" in role.inputs["metadata"]) == ("web:r", False)
