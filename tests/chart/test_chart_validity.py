"""The chart lints clean and every manifest it renders is valid for Kubernetes 1.33."""

from __future__ import annotations

import copy

import jsonschema
import pytest

from policies.gate.manifests import validate_manifest
from tests.chart.chart_render import (
    KUBERNETES_VERSION,
    OLDEST_KUBERNETES_VERSION,
    chart_metadata,
    kinds,
    lint_findings,
    only,
    render,
    render_error,
)
from tests.chart.scenarios import INGRESS_VALUES, MINIMAL_VALUES, PULUMI_SERVICES_VALUES, SCENARIOS

EXPECTED_KINDS = {
    "minimal": [
        "Deployment",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "Service",
        "ServiceAccount",
        "TargetGroupBinding",
    ],
    "pulumi-services": [
        "Deployment",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "Secret",
        "Service",
        "ServiceAccount",
        "TargetGroupBinding",
    ],
    "ingress": [
        "Deployment",
        "HorizontalPodAutoscaler",
        "Ingress",
        "PodDisruptionBudget",
        "Service",
        "ServiceAccount",
    ],
    "tls-secret": [
        "Deployment",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "Service",
        "ServiceAccount",
        "TargetGroupBinding",
    ],
}


def test_chart_defaults_alone_are_refused_naming_every_required_key() -> None:
    message = render_error({})
    for key in (
        "/image/repository",
        "/existingSecret",
        "/targetGroupBinding/targetGroupArn",
    ):
        assert key in message


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_lint_strict_reports_no_warning_or_error(scenario: str) -> None:
    assert lint_findings(SCENARIOS[scenario]) == []


def test_lint_reports_schema_violations() -> None:
    findings = lint_findings({**MINIMAL_VALUES, "replicaCount": -1})
    assert any("/replicaCount" in finding["error"] for finding in findings)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_renders_exactly_the_expected_kinds(scenario: str) -> None:
    assert kinds(render(SCENARIOS[scenario])) == sorted(EXPECTED_KINDS[scenario])


def test_chart_declares_the_oldest_kubernetes_version_it_is_validated_for() -> None:
    assert chart_metadata()["kubeVersion"] == f">={OLDEST_KUBERNETES_VERSION}-0"


@pytest.mark.parametrize("kubernetes_version", [OLDEST_KUBERNETES_VERSION, KUBERNETES_VERSION])
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_manifest_is_valid_for_the_supported_kubernetes_versions(
    scenario: str, kubernetes_version: str
) -> None:
    for manifest in render(SCENARIOS[scenario]):
        validate_manifest(manifest, kubernetes_version)


def test_validation_rejects_an_unknown_field_in_a_built_in_kind() -> None:
    deployment = copy.deepcopy(only(render(MINIMAL_VALUES), "Deployment"))
    deployment["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    with pytest.raises(jsonschema.ValidationError, match="livenesProbe"):
        validate_manifest(deployment, KUBERNETES_VERSION)


@pytest.mark.parametrize("missing", ["targetGroupARN", "serviceRef"])
def test_validation_rejects_a_target_group_binding_without_a_required_field(missing: str) -> None:
    binding = copy.deepcopy(only(render(PULUMI_SERVICES_VALUES), "TargetGroupBinding"))
    del binding["spec"][missing]
    with pytest.raises(jsonschema.ValidationError):
        validate_manifest(binding, KUBERNETES_VERSION)


def test_validation_rejects_a_target_group_binding_with_a_bad_target_type() -> None:
    binding = copy.deepcopy(only(render(PULUMI_SERVICES_VALUES), "TargetGroupBinding"))
    binding["spec"]["targetType"] = "pod"
    with pytest.raises(jsonschema.ValidationError, match="pod"):
        validate_manifest(binding, KUBERNETES_VERSION)


def test_every_object_carries_the_release_labels() -> None:
    for manifest in render(INGRESS_VALUES):
        labels = manifest["metadata"]["labels"]
        assert labels["app.kubernetes.io/name"] == "ticketing"
        assert labels["app.kubernetes.io/instance"] == "ticketing"
        assert labels["app.kubernetes.io/managed-by"] == "Helm"
