"""Scaling and availability: the HPA owns the replica count, the PDB never blocks every drain."""

from __future__ import annotations

import pytest

from tests.chart.chart_render import only, render, render_error
from tests.chart.scenarios import MINIMAL_VALUES, PULUMI_SERVICES_VALUES, with_override


def test_hpa_scales_the_deployment_on_cpu_at_70_percent_by_default() -> None:
    manifests = render(MINIMAL_VALUES)
    hpa = only(manifests, "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": only(manifests, "Deployment")["metadata"]["name"],
    }
    (metric,) = hpa["spec"]["metrics"]
    assert metric["type"] == "Resource"
    assert metric["resource"] == {
        "name": "cpu",
        "target": {"type": "Utilization", "averageUtilization": 70},
    }
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (3, 30)


def test_hpa_bounds_come_from_values() -> None:
    hpa = only(render(PULUMI_SERVICES_VALUES), "HorizontalPodAutoscaler")
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (4, 60)


def test_deployment_leaves_replicas_to_the_hpa() -> None:
    assert "replicas" not in only(render(PULUMI_SERVICES_VALUES), "Deployment")["spec"]


def test_without_autoscaling_replica_count_is_fixed_and_there_is_no_hpa() -> None:
    values = with_override(
        with_override(MINIMAL_VALUES, "autoscaling.enabled", False), "replicaCount", 5
    )
    manifests = render(values)
    assert only(manifests, "Deployment")["spec"]["replicas"] == 5
    assert "HorizontalPodAutoscaler" not in [manifest["kind"] for manifest in manifests]


def test_min_replicas_above_max_replicas_is_refused() -> None:
    values = with_override(
        MINIMAL_VALUES, "autoscaling", {"enabled": True, "minReplicas": 10, "maxReplicas": 5}
    )
    assert (
        "autoscaling.minReplicas (10) must not exceed autoscaling.maxReplicas (5)"
        in render_error(values)
    )


def test_pdb_selects_exactly_the_pods_of_the_deployment() -> None:
    manifests = render(PULUMI_SERVICES_VALUES)
    pdb = only(manifests, "PodDisruptionBudget")
    deployment = only(manifests, "Deployment")
    assert pdb["spec"]["minAvailable"] == 3
    assert pdb["spec"]["selector"] == deployment["spec"]["selector"]
    assert pdb["spec"]["unhealthyPodEvictionPolicy"] == "AlwaysAllow"


def test_pdb_accepts_a_percentage() -> None:
    pdb = only(
        render(with_override(MINIMAL_VALUES, "podDisruptionBudget.minAvailable", "50%")),
        "PodDisruptionBudget",
    )
    assert pdb["spec"]["minAvailable"] == "50%"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"podDisruptionBudget.minAvailable": 3},
            "podDisruptionBudget.minAvailable (3) must be below the minimum replica count (3)",
        ),
        (
            {
                "autoscaling.enabled": False,
                "replicaCount": 2,
                "podDisruptionBudget.minAvailable": 2,
            },
            "podDisruptionBudget.minAvailable (2) must be below the minimum replica count (2)",
        ),
    ],
)
def test_a_pdb_that_would_block_every_drain_is_refused(overrides: dict, expected: str) -> None:
    values = MINIMAL_VALUES
    for key, value in overrides.items():
        values = with_override(values, key, value)
    assert expected in render_error(values)
