"""Every Helm release of a chart on disk, rendered offline with exactly the values the program
passed to it, and every manifest validated as the cluster would take it at `pulumi up`.

A chart that refuses its values (a `fail` in a template, values.schema.json) or renders a manifest
the API server would refuse is a preview error naming the release and Helm's or the schema's
message. Charts from a repository are not rendered (that needs the network); the ordering check
still knows the kinds they define (ordering.CHART_DEFINED_KINDS).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import helm_python as helm
import jsonschema
import kubernetes_validate
import yaml
from pulumi.runtime import rpc

from policies.gate.kube_version import ConstraintError, satisfies
from policies.gate.manifests import KUBERNETES_VERSION, Manifest, kind_of, validate_manifest
from policies.program_runner import ProgramRun, RegisteredResource

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
EKS_CLUSTER_TYPES = ("eks:index:Cluster", "aws:eks/cluster:Cluster")


class ChartError(Exception):
    """A release's chart refused its values, or rendered a manifest the cluster would refuse."""


@dataclass(frozen=True)
class RenderedRelease:
    resource: RegisteredResource
    manifests: list[Manifest]


def render_chart(
    chart_dir: Path, values: dict[str, Any], release_name: str, namespace: str
) -> list[Manifest]:
    """Every non-empty manifest the chart renders for these values, as a first install would."""
    with helm.Chart.load(chart_dir) as chart:
        rendered = chart.render(values, name=release_name, namespace=namespace, is_install=True)
    return [
        document for text in rendered.values() for document in yaml.safe_load_all(text) if document
    ]


def local_chart(release: RegisteredResource, program_dir: Path) -> Path | None:
    """The chart directory a release installs, when it is on disk (not from a repository)."""
    chart = release.inputs.get("chart")
    if not isinstance(chart, str) or release.inputs.get("repositoryOpts"):
        return None
    path = program_dir / chart
    return path if (path / "Chart.yaml").is_file() else None


def kubernetes_version(run: ProgramRun) -> str:
    """The cluster's version when the program creates one EKS cluster, else the default."""
    versions = {
        str(resource.inputs["version"])
        for resource in run.resources
        if resource.type in EKS_CLUSTER_TYPES and isinstance(resource.inputs.get("version"), str)
    }
    return f"{versions.pop()}.0" if len(versions) == 1 else KUBERNETES_VERSION


def _unknown_paths(value: Any, path: str = "") -> list[str]:
    if value == rpc.UNKNOWN:
        return [path or "."]
    if isinstance(value, dict):
        return [
            found
            for key, item in value.items()
            for found in _unknown_paths(item, f"{path}.{key}" if path else str(key))
        ]
    if isinstance(value, list):
        return [
            found
            for index, item in enumerate(value)
            for found in _unknown_paths(item, f"{path}[{index}]")
        ]
    return []


def _validated(release: RegisteredResource, manifests: list[Manifest], version: str) -> None:
    for manifest in manifests:
        subject = f"{kind_of(manifest)} {manifest.get('metadata', {}).get('name')}"
        try:
            validate_manifest(manifest, version)
        except kubernetes_validate.SchemaNotFoundError as error:
            raise ChartError(f"chart {release.name}: {subject}: {error.message}") from error
        except jsonschema.ValidationError as error:
            where = ".".join(str(part) for part in error.absolute_path) or "(top level)"
            raise ChartError(
                f"chart {release.name}: {subject} is invalid for Kubernetes {version} at"
                f" {where}: {error.message}"
            ) from error


def _check_kube_version(release: RegisteredResource, chart_dir: Path, version: str) -> None:
    """Helm refuses to install a chart whose `kubeVersion` the cluster does not meet."""
    with helm.Chart.load(chart_dir) as chart:
        constraint = chart.metadata.get("kubeVersion")
    if not constraint:
        return
    try:
        if satisfies(version, str(constraint)):
            return
    except ConstraintError as error:
        raise ChartError(f"chart {release.name}: kubeVersion {constraint!r}: {error}") from error
    raise ChartError(
        f"chart {release.name}: the chart requires kubeVersion {constraint} (Chart.yaml), which"
        f" is incompatible with the cluster's Kubernetes {version} (cluster.version)"
    )


def render_release(release: RegisteredResource, chart_dir: Path, version: str) -> RenderedRelease:
    _check_kube_version(release, chart_dir, version)
    values = release.inputs.get("values") or {}
    unknown = _unknown_paths(values)
    if unknown:
        raise ChartError(
            f"chart {release.name}: values {', '.join(unknown)} are unknown at preview, so the"
            " chart cannot be checked"
        )
    try:
        manifests = render_chart(
            chart_dir,
            values,
            str(release.inputs.get("name") or release.name),
            str(release.inputs.get("namespace") or "default"),
        )
    except helm.HelmError as error:
        raise ChartError(f"chart {release.name}: {error}") from error
    _validated(release, manifests, version)
    return RenderedRelease(release, manifests)


def render_releases(run: ProgramRun, program_dir: Path) -> list[RenderedRelease]:
    """Every release of an on-disk chart, rendered and validated; ChartError at the first one
    that fails."""
    version = kubernetes_version(run)
    rendered = []
    for release in run.of_type(HELM_RELEASE):
        chart_dir = local_chart(release, program_dir)
        if chart_dir is not None:
            rendered.append(render_release(release, chart_dir, version))
    return rendered
