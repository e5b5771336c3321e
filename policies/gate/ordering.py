"""Create-order checks over the recorded dependency graph: what a release applies must exist
before it, or `pulumi up` fails half-way (a custom kind with no CRD yet, a pod whose Secret is
not there, which a Helm `atomic` install rolls back after its timeout).

- every kind a release renders is built into Kubernetes, or defined by a CRD that comes from a
  release or resource it depends on, directly or through others;
- every Secret or ConfigMap a rendered workload reads comes from the release itself or from a
  resource it depends on;
- the namespace it installs into, when the program creates it, is one of its dependencies.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from policies.gate.chart_render import HELM_RELEASE, RenderedRelease
from policies.gate.manifests import Manifest, is_built_in
from policies.program_runner import ProgramRun, RegisteredResource

CHART_DEFINED_KINDS: dict[str, tuple[tuple[str, str], ...]] = {
    # (group, kind) of the CRDs a repository chart installs; those charts are not rendered offline.
    "aws-load-balancer-controller": (
        ("elbv2.k8s.aws", "TargetGroupBinding"),
        ("elbv2.k8s.aws", "IngressClassParams"),
    ),
}
LOAD_BALANCER_TYPE = "aws:lb/loadBalancer:LoadBalancer"
BUCKET_POLICY_TYPE = "aws:s3/bucketPolicy:BucketPolicy"
CRD_TYPE = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"
NAMESPACE_TYPE = "kubernetes:core/v1:Namespace"
READABLE_TYPES = {
    "Secret": "kubernetes:core/v1:Secret",
    "ConfigMap": "kubernetes:core/v1:ConfigMap",
}
POD_TEMPLATE_PATHS = {
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Pod": ("spec",),
}


class OrderingError(Exception):
    """Something a release applies would not exist yet when it is applied."""


def _group(api_version: str) -> str:
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def dependency_closure(run: ProgramRun, resource: RegisteredResource) -> list[RegisteredResource]:
    """Everything `resource` waits for: its dependencies, theirs, and a component's children."""
    by_urn = {item.urn: item for item in run.resources}
    children: dict[str, list[str]] = defaultdict(list)
    for item in run.resources:
        children[item.parent_urn].append(item.urn)
    pending, seen = list(resource.dependencies), set()
    while pending:
        urn = pending.pop()
        if urn in seen:
            continue
        seen.add(urn)
        found = by_urn.get(urn)
        if found is not None:
            pending.extend(found.dependencies)
            if not found.custom:
                pending.extend(children[urn])
    return [by_urn[urn] for urn in seen if urn in by_urn]


def _defined_kinds(
    resources: list[RegisteredResource], rendered: dict[str, RenderedRelease]
) -> set[tuple[str, str]]:
    """(group, kind) of every CRD these resources bring."""
    kinds: set[tuple[str, str]] = set()
    for resource in resources:
        if resource.type == HELM_RELEASE:
            kinds.update(CHART_DEFINED_KINDS.get(str(resource.inputs.get("chart")), ()))
            release = rendered.get(resource.urn)
            manifests = release.manifests if release is not None else []
            kinds.update(
                _crd_kind(m) for m in manifests if m.get("kind") == "CustomResourceDefinition"
            )
        elif resource.type == CRD_TYPE:
            kinds.add(_crd_kind(resource.inputs))
    return kinds


def _crd_kind(crd: dict[str, Any]) -> tuple[str, str]:
    spec = crd.get("spec") or {}
    return str(spec.get("group")), str((spec.get("names") or {}).get("kind"))


def _pod_spec(manifest: Manifest) -> dict[str, Any]:
    spec: Any = manifest
    for key in POD_TEMPLATE_PATHS.get(str(manifest.get("kind")), ("-",)):
        spec = spec.get(key) if isinstance(spec, dict) else None
    return spec if isinstance(spec, dict) else {}


def read_objects(manifest: Manifest) -> Iterator[tuple[str, str]]:
    """(kind, name) of each Secret and ConfigMap a workload's pods need to start."""
    spec = _pod_spec(manifest)
    containers = [*spec.get("initContainers", []), *spec.get("containers", [])]
    for container in containers:
        for env in container.get("env", []):
            source = env.get("valueFrom") or {}
            for key, kind in (("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")):
                if key in source and not source[key].get("optional"):
                    yield kind, source[key]["name"]
        for env_from in container.get("envFrom", []):
            for key, kind in (("secretRef", "Secret"), ("configMapRef", "ConfigMap")):
                if key in env_from and not env_from[key].get("optional"):
                    yield kind, env_from[key]["name"]
    for volume in spec.get("volumes", []):
        if "secret" in volume and not volume["secret"].get("optional"):
            yield "Secret", volume["secret"]["secretName"]
        if "configMap" in volume and not volume["configMap"].get("optional"):
            yield "ConfigMap", volume["configMap"]["name"]


def _metadata(resource: RegisteredResource) -> tuple[str, str]:
    metadata = resource.inputs.get("metadata") or {}
    return str(metadata.get("name")), str(metadata.get("namespace") or "default")


def release_problems(
    run: ProgramRun, release: RenderedRelease, rendered: dict[str, RenderedRelease], version: str
) -> list[str]:
    resource = release.resource
    namespace = str(resource.inputs.get("namespace") or "default")
    closure = dependency_closure(run, resource)
    defined = _defined_kinds(closure, rendered)
    problems = []
    for manifest in release.manifests:
        api_version, kind = str(manifest.get("apiVersion")), str(manifest.get("kind"))
        if (
            not is_built_in(api_version, kind, version)
            and (_group(api_version), kind) not in defined
        ):
            problems.append(
                f"renders {api_version} {kind}, whose CRD comes from no release or resource it"
                " depends on (add it to depends_on)"
            )
    own = {
        (str(m.get("kind")), str((m.get("metadata") or {}).get("name"))) for m in release.manifests
    }
    for manifest in release.manifests:
        for kind, name in read_objects(manifest):
            if (kind, name) in own:
                continue
            creators = [
                item
                for item in run.of_type(READABLE_TYPES[kind])
                if _metadata(item) == (name, namespace)
            ]
            if creators and not any(creator in closure for creator in creators):
                problems.append(
                    f"{manifest['kind']} {manifest['metadata']['name']} reads {kind} {name},"
                    f" created by {creators[0].name}, which the release does not depend on"
                )
            elif not creators:
                problems.append(
                    f"{manifest['kind']} {manifest['metadata']['name']} reads {kind} {name},"
                    " which neither the release nor any resource of the program creates"
                )
    for namespace_resource in run.of_type(NAMESPACE_TYPE):
        if _metadata(namespace_resource)[0] == namespace and namespace_resource not in closure:
            problems.append(f"installs into namespace {namespace} before it is created")
    return [f"release {resource.name}: {problem}" for problem in problems]


def access_log_problems(run: ProgramRun) -> list[str]:
    """A load balancer logging to a bucket waits for the policy that lets ELB write there: AWS
    refuses the attribute otherwise ("Access Denied for bucket")."""
    problems = []
    for balancer in run.of_type(LOAD_BALANCER_TYPE):
        logs = balancer.inputs.get("accessLogs") or {}
        if not logs.get("enabled") or not logs.get("bucket"):
            continue
        closure = dependency_closure(run, balancer)
        policies = [
            policy
            for policy in run.of_type(BUCKET_POLICY_TYPE)
            if policy.inputs.get("bucket") == logs["bucket"]
        ]
        if not any(policy in closure for policy in policies):
            problems.append(
                f"load balancer {balancer.name}: access logs to bucket {logs['bucket']} without"
                " depending on that bucket's policy (AWS: Access Denied for bucket)"
            )
    return problems


def check_order(run: ProgramRun, releases: list[RenderedRelease], version: str) -> None:
    """OrderingError listing everything that would be applied before what it needs exists."""
    rendered = {release.resource.urn: release for release in releases}
    problems = [
        problem
        for release in releases
        for problem in release_problems(run, release, rendered, version)
    ] + access_log_problems(run)
    if problems:
        raise OrderingError("; ".join(problems))
