"""The manifests a local chart release renders, as the Kubernetes resources the policy pack judges.

A preview of a `helm.sh/v3:Release` shows the release, not what its chart deploys. The gate renders
local charts (chart_render.py), so each manifest is handed to the pack the way pulumi-kubernetes
registers a resource of that kind (`kubernetes:apps/v1:Deployment`, inputs = the manifest), as a
child of its release and named `<release>:<namespace>/<name>`: every Kubernetes rule then judges
what the chart really deploys, and a finding names the release and the manifest.
"""

from __future__ import annotations

from typing import Any

from policies.gate.chart_render import RenderedRelease
from policies.gate.manifests import Manifest
from policies.program_runner import RegisteredResource

CORE_GROUP = "core"
"""pulumi-kubernetes spells the core API group (`apiVersion: v1`) as `core/v1`."""
CLUSTER_SCOPED_KINDS = frozenset(
    {
        "Namespace",
        "Node",
        "PersistentVolume",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "StorageClass",
        "PriorityClass",
        "IngressClass",
        "RuntimeClass",
        "APIService",
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
    }
)
"""Kinds that live outside namespaces; Helm puts every other kind in the release's namespace."""
SECRET_FIELDS = ("data", "stringData")
"""A rendered Secret's values, never shown in a report."""


def pulumi_type(manifest: Manifest) -> str:
    """`apps/v1` Deployment -> `kubernetes:apps/v1:Deployment`; `v1` Service ->
    `kubernetes:core/v1:Service`."""
    api_version = str(manifest.get("apiVersion"))
    group_version = api_version if "/" in api_version else f"{CORE_GROUP}/{api_version}"
    return f"kubernetes:{group_version}:{manifest.get('kind')}"


def _child_urn(parent_urn: str, child_type: str, name: str) -> str:
    """A child's URN: its parent's qualified type, `$`, its own type (as the engine builds it)."""
    stack_part, project, parent_type, _ = parent_urn.split("::", 3)
    return f"{stack_part}::{project}::{parent_type}${child_type}::{name}"


def _placed(manifest: Manifest, namespace: str) -> dict[str, Any]:
    """The manifest as the API server stores it: a namespaced kind in the release's namespace."""
    metadata = dict(manifest.get("metadata") or {})
    if manifest.get("kind") not in CLUSTER_SCOPED_KINDS:
        metadata.setdefault("namespace", namespace)
    return {**manifest, "metadata": metadata}


def manifest_resources(rendered: RenderedRelease) -> list[RegisteredResource]:
    """Each manifest of the release as a resource the pack can judge."""
    release = rendered.resource
    namespace = str(release.inputs.get("namespace") or "default")
    resources = []
    for manifest in rendered.manifests:
        placed = _placed(manifest, namespace)
        resource_type = pulumi_type(placed)
        where = placed["metadata"].get("namespace")
        object_name = placed["metadata"].get("name")
        name = f"{release.name}:{where}/{object_name}" if where else f"{release.name}:{object_name}"
        resources.append(
            RegisteredResource(
                urn=_child_urn(release.urn, resource_type, name),
                type=resource_type,
                name=name,
                custom=True,
                parent_urn=release.urn,
                inputs=placed,
                provider=release.provider,
                protect=False,
                ignore_changes=(),
                dependencies=(release.urn,),
                secret_paths=SECRET_FIELDS if placed.get("kind") == "Secret" else (),
            )
        )
    return resources
