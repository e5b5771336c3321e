"""Renders and lints app/chart with the Helm SDK embedded in helm-python-sdk, offline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import helm_python as helm

from policies.gate.chart_render import render_chart
from policies.gate.manifests import Manifest

CHART_DIR = Path(__file__).resolve().parents[2] / "app" / "chart"
# The oldest version Chart.yaml admits and the current one the chart is linted for.
OLDEST_KUBERNETES_VERSION = "1.30.0"
KUBERNETES_VERSION = "1.33.0"
RELEASE_NAME = "ticketing"
NAMESPACE = "ticketing"


def render(values: dict[str, Any]) -> list[Manifest]:
    """Every non-empty manifest the chart renders for these values, parsed from YAML."""
    return render_chart(CHART_DIR, values, RELEASE_NAME, NAMESPACE)


def render_error(values: dict[str, Any]) -> str:
    """The Helm error message for values the chart must refuse."""
    try:
        render(values)
    except helm.HelmError as error:
        return str(error)
    raise AssertionError(f"the chart accepted values it must refuse: {values}")


def lint_findings(values: dict[str, Any]) -> list[dict[str, Any]]:
    """`helm lint --strict` findings of warning severity or worse."""
    report = helm.lint(CHART_DIR, values, strict=True, kube_version=f"v{KUBERNETES_VERSION}")
    return [message for message in report["messages"] if message["severity"] >= 2] + [
        {"severity": 3, "path": "", "error": error} for error in report["errors"]
    ]


def chart_metadata() -> dict[str, Any]:
    with helm.Chart.load(CHART_DIR) as chart:
        return chart.metadata


def only(manifests: list[Manifest], kind: str) -> Manifest:
    """The single manifest of this kind; fails when there is none or more than one."""
    matches = [manifest for manifest in manifests if manifest["kind"] == kind]
    assert len(matches) == 1, f"expected one {kind}, found {len(matches)}"
    return matches[0]


def kinds(manifests: list[Manifest]) -> list[str]:
    return sorted(manifest["kind"] for manifest in manifests)


def pod_spec(manifests: list[Manifest]) -> dict[str, Any]:
    return only(manifests, "Deployment")["spec"]["template"]["spec"]


def app_container(manifests: list[Manifest]) -> dict[str, Any]:
    (container,) = pod_spec(manifests)["containers"]
    return container
