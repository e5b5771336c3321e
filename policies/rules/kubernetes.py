"""Kubernetes workload rules for resources pulumi-kubernetes registers (Deployment, StatefulSet,
DaemonSet, ReplicaSet, Job, CronJob, Pod), a values check for Helm releases/charts, whose
rendered manifests a preview does not show, and a stack rule that every workload's namespace has a
NetworkPolicy selecting it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from pulumi_policy import EnforcementLevel, Policy, Severity, StackValidationArgs

from policies.rule import ResourceCheck, resource_rule, stack_rule
from policies.rules.values import (
    as_list,
    is_true,
    is_unknown,
    lookup,
    whole_number,
    with_plain_props,
)

POD = "kubernetes:core/v1:Pod"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"
DAEMON_SET = "kubernetes:apps/v1:DaemonSet"
REPLICA_SET = "kubernetes:apps/v1:ReplicaSet"
JOB = "kubernetes:batch/v1:Job"
CRON_JOB = "kubernetes:batch/v1:CronJob"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
HELM_CHART_V4 = "kubernetes:helm.sh/v4:Chart"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
HELM_TYPES = (HELM_RELEASE, HELM_CHART_V4)
DEFAULT_NAMESPACE = "default"

POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    POD: ("spec",),
    DEPLOYMENT: ("spec", "template", "spec"),
    STATEFUL_SET: ("spec", "template", "spec"),
    DAEMON_SET: ("spec", "template", "spec"),
    REPLICA_SET: ("spec", "template", "spec"),
    JOB: ("spec", "template", "spec"),
    CRON_JOB: ("spec", "jobTemplate", "spec", "template", "spec"),
}
WORKLOAD_TYPES = tuple(POD_SPEC_PATHS)
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
HOST_NAMESPACES = ("hostNetwork", "hostPID", "hostIPC")
# Both a container's resource requests and its limits name these.
REQUIRED_RESOURCES = ("cpu", "memory")
NAMESPACED_TYPES = (
    *WORKLOAD_TYPES,
    *HELM_TYPES,
    NETWORK_POLICY,
    "kubernetes:core/v1:Secret",
    "kubernetes:core/v1:ConfigMap",
    "kubernetes:core/v1:Service",
    "kubernetes:core/v1:ServiceAccount",
    "kubernetes:rbac.authorization.k8s.io/v1:Role",
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
    "kubernetes:networking.k8s.io/v1:Ingress",
    "kubernetes:policy/v1:PodDisruptionBudget",
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
)
"""The namespaced kinds a program registers (Helm releases by their `namespace`)."""

Container = tuple[str, dict[str, Any]]
"""(label naming the container, its plain spec)."""


def pod_spec(props: dict[str, Any], resource_type: str) -> dict[str, Any] | None:
    """The workload's pod spec; None when it is missing, unknown or not a mapping (nothing to
    judge).
    """
    spec = lookup(props, *POD_SPEC_PATHS.get(resource_type, ("spec",)))
    return spec if isinstance(spec, dict) else None


def containers(spec: dict[str, Any]) -> list[Container]:
    found = []
    for field in CONTAINER_LISTS:
        for index, container in enumerate(as_list(spec.get(field))):
            if isinstance(container, dict):
                name = container.get("name")
                label = (
                    f"container {name!r}"
                    if isinstance(name, str) and not is_unknown(name)
                    else f"{field}[{index}]"
                )
                found.append((label, container))
    return found


def workload_check(finding: Callable[[dict[str, Any]], Iterable[str]]) -> ResourceCheck:
    """A rule check over a workload's pod spec: `finding(spec)` yields the messages."""

    def check(props: dict[str, Any], args: Any) -> Iterator[str]:
        spec = pod_spec(props, args.resource_type)
        if spec is not None:
            yield from finding(spec)

    return with_plain_props(check)


def _privileged(spec: dict[str, Any]) -> Iterator[str]:
    for label, container in containers(spec):
        if is_true(lookup(container, "securityContext", "privileged")):
            yield f"{label} sets securityContext.privileged: true"


def effective_setting(spec: dict[str, Any], container: dict[str, Any], field: str) -> Any:
    """A container's security setting, falling back to the pod's, as the kubelet resolves it."""
    own = lookup(container, "securityContext", field)
    return own if own is not None else lookup(spec, "securityContext", field)


def _runs_as_root(spec: dict[str, Any]) -> Iterator[str]:
    for label, container in containers(spec):
        non_root, user = (
            effective_setting(spec, container, "runAsNonRoot"),
            effective_setting(spec, container, "runAsUser"),
        )
        if is_unknown(non_root) or is_unknown(user):
            continue
        if whole_number(user) == 0:
            yield f"{label} sets runAsUser: 0"
        elif not is_true(non_root) and not ((whole_number(user) or 0) > 0):
            yield (
                f"{label} has runAsNonRoot {non_root!r} and no non-zero runAsUser, so it may run as"
                " root"
            )


def _writable_root(spec: dict[str, Any]) -> Iterator[str]:
    for label, container in containers(spec):
        read_only = lookup(container, "securityContext", "readOnlyRootFilesystem")
        if not is_true(read_only) and not is_unknown(read_only):
            yield f"{label} has readOnlyRootFilesystem {read_only!r}"


def missing_resources(field: str) -> Callable[[dict[str, Any]], Iterator[str]]:
    """A check that every container sets cpu and memory in `resources.<field>`."""

    def check(spec: dict[str, Any]) -> Iterator[str]:
        for label, container in containers(spec):
            declared = lookup(container, "resources", field)
            if is_unknown(declared):
                continue
            missing = [name for name in REQUIRED_RESOURCES if lookup(declared, name) is None]
            if missing:
                yield f"{label} has no resources.{field} for {', '.join(missing)}"

    return check


def _host_namespaces(spec: dict[str, Any]) -> Iterator[str]:
    for field in HOST_NAMESPACES:
        if is_true(spec.get(field)):
            yield f"pod spec sets {field}: true"


def _host_paths(spec: dict[str, Any]) -> Iterator[str]:
    for index, volume in enumerate(as_list(spec.get("volumes"))):
        path = lookup(volume, "hostPath", "path")
        if lookup(volume, "hostPath") is not None:
            yield f"volume {lookup(volume, 'name') or index!r} mounts hostPath {path!r}"


def image_tag(image: str) -> str | None:
    """The tag of an image reference; None when it has none (a digest-pinned image has no tag and
    needs none).
    """
    last_segment = image.rsplit("/", 1)[-1]
    return last_segment.split(":", 1)[1] if ":" in last_segment else None


def _unpinned_images(spec: dict[str, Any]) -> Iterator[str]:
    for label, container in containers(spec):
        image = container.get("image")
        if is_unknown(image):
            continue
        if not isinstance(image, str) or not image.strip():
            yield f"{label} has no image"
        elif "@sha256:" not in image and image_tag(image) in (None, "", "latest"):
            yield f"{label} uses image {image!r} with tag {image_tag(image) or '(none, so latest)'}"


def _automounted_token(spec: dict[str, Any]) -> Iterator[str]:
    value = spec.get("automountServiceAccountToken")
    if value is not False and not is_unknown(value) and str(value).lower() != "false":
        yield (
            f"automountServiceAccountToken is {value!r}; the pod gets an API token it likely does"
            " not need"
        )


# --- Helm values --------------------------------------------------------------------------------


def _normalised(key: str) -> str:
    return key.replace("_", "").replace("-", "").lower()


_INSECURE_WHEN_TRUE = frozenset(
    {"privileged", "hostnetwork", "hostpid", "hostipc", "allowprivilegeescalation"}
)
"""Keys (compared without case, `_` or `-`) that are insecure when true wherever a chart puts them.
"""


def _is_insecure(key: str, value: Any) -> bool:
    if key in _INSECURE_WHEN_TRUE:
        return value is True
    if key == "runasnonroot":
        return value is False
    return key == "runasuser" and whole_number(value) == 0


def _insecure_values(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}"
            if _is_insecure(_normalised(str(key)), item):
                yield f"{child} is {item!r}"
            yield from _insecure_values(item, child)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _insecure_values(item, f"{path}[{index}]")


def _helm_values_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    yield from _insecure_values(lookup(props, "values"), "values")


# --- network policies ---------------------------------------------------------------------------


def _declared_namespace(props: Any, resource_type: str) -> Any:
    if resource_type in HELM_TYPES:
        return lookup(props, "namespace")
    return lookup(props, "metadata", "namespace")


def _namespace_of(resource: Any) -> str | None:
    """The namespace the resource lands in; None while unknown (decided at deploy) or malformed."""
    namespace = _declared_namespace(resource.props, resource.resource_type) or DEFAULT_NAMESPACE
    if is_unknown(namespace) or not isinstance(namespace, str):
        return None
    return namespace


def _default_namespace_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    namespace = _declared_namespace(props, args.resource_type)
    if not is_unknown(namespace) and (namespace or DEFAULT_NAMESPACE) == DEFAULT_NAMESPACE:
        yield (
            f"the namespace is {namespace or 'not set'!r}: the resource lands in 'default', shared"
            " with everything nobody placed"
        )


def _pod_labels(resource: Any) -> Any:
    path = POD_SPEC_PATHS[resource.resource_type][:-1]  # the pod template (or the Pod itself)
    return lookup(resource.props, *path, "metadata", "labels")


def _requirement_holds(requirement: Any, labels: dict[str, Any]) -> bool:
    key, operator = lookup(requirement, "key"), lookup(requirement, "operator")
    values = as_list(lookup(requirement, "values"))
    if not isinstance(key, str):
        return False
    if operator == "In":
        return labels.get(key) in values
    if operator == "NotIn":
        return key not in labels or labels[key] not in values
    if operator == "Exists":
        return key in labels
    return operator == "DoesNotExist" and key not in labels


def _selects(policy: Any, labels: Any) -> bool:
    """Whether the policy's podSelector picks pods with `labels`; unknown counts as selecting."""
    selector = lookup(policy.props, "spec", "podSelector")
    if is_unknown(selector) or is_unknown(labels):
        return True
    labels = labels if isinstance(labels, dict) else {}
    match_labels = lookup(selector, "matchLabels")
    match_labels = match_labels if isinstance(match_labels, dict) else {}
    return all(labels.get(key) == value for key, value in match_labels.items()) and all(
        _requirement_holds(requirement, labels)
        for requirement in as_list(lookup(selector, "matchExpressions"))
    )


def _release_enables_network_policy(release: Any) -> bool:
    """For a release the gate could not render (a repository chart): charts that follow our values
    contract render a NetworkPolicy when `networkPolicy.enabled`; an unknown value is decided at
    deploy."""
    enabled = lookup(release.props, "values", "networkPolicy", "enabled")
    return is_true(enabled) or is_unknown(enabled)


def _unselected_workloads(args: StackValidationArgs) -> Iterator[tuple[Any, str]]:
    policies_by_namespace: dict[str, list[Any]] = {}
    for resource in args.resources:
        namespace = _namespace_of(resource)
        if resource.resource_type == NETWORK_POLICY and namespace is not None:
            policies_by_namespace.setdefault(namespace, []).append(resource)
    # The gate hands a local chart's rendered manifests in as the release's children: their
    # workloads are judged themselves, the release's values are not trusted.
    rendered = {resource.parent.urn for resource in args.resources if resource.parent is not None}
    for resource in args.resources:
        namespace = _namespace_of(resource)
        if namespace is None or resource.urn in rendered:
            continue
        policies = policies_by_namespace.get(namespace, [])
        if resource.resource_type in WORKLOAD_TYPES:
            labels = _pod_labels(resource)
            if not any(_selects(policy, labels) for policy in policies):
                yield (
                    resource,
                    f"no NetworkPolicy in namespace {namespace!r} selects this workload's pods"
                    f" (labels {labels!r}): they accept traffic from any pod",
                )
        elif (
            resource.resource_type in HELM_TYPES
            and not policies
            and not _release_enables_network_policy(resource)
        ):
            yield (
                resource,
                f"the release's values do not set networkPolicy.enabled and no NetworkPolicy in"
                f" namespace {namespace!r} selects its pods",
            )


POLICIES: list[Policy] = [
    resource_rule(
        name="k8s-no-privileged-containers",
        description="Containers do not run privileged.",
        severity=Severity.CRITICAL,
        enforcement=EnforcementLevel.MANDATORY,
        resource_types=WORKLOAD_TYPES,
        remediation=(
            "remove `privileged=True` from the container's `security_context` "
            "(k8s.core.v1.SecurityContextArgs); add only the capabilities it needs."
        ),
        checkov_ids=["CKV_K8S_16"],
        check=workload_check(_privileged),
    ),
    resource_rule(
        name="k8s-run-as-non-root",
        description="Containers run as a non-root user.",
        severity=Severity.HIGH,
        enforcement=EnforcementLevel.MANDATORY,
        resource_types=WORKLOAD_TYPES,
        remediation=(
            "set `security_context=k8s.core.v1.PodSecurityContextArgs(run_as_non_root=True,"
            " run_as_user=10001)` on the pod spec (or on each container) and never `run_as_user=0`."
        ),
        checkov_ids=["CKV_K8S_23"],
        check=workload_check(_runs_as_root),
    ),
    resource_rule(
        name="k8s-read-only-root-filesystem",
        description="Containers mount their root filesystem read-only.",
        severity=Severity.MEDIUM,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=WORKLOAD_TYPES,
        remediation=(
            "set `read_only_root_filesystem=True` in each container's `security_context`; mount an "
            "`empty_dir` volume where the process must write (e.g. /tmp)."
        ),
        checkov_ids=["CKV_K8S_22"],
        check=workload_check(_writable_root),
    ),
    resource_rule(
        name="k8s-require-resource-limits",
        description="Containers declare CPU and memory limits.",
        severity=Severity.MEDIUM,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=WORKLOAD_TYPES,
        remediation=(
            "set `resources=k8s.core.v1.ResourceRequirementsArgs(requests={...}, limits={'cpu':"
            " ..., 'memory': ...})` on each container."
        ),
        checkov_ids=["CKV_K8S_11", "CKV_K8S_13"],
        check=workload_check(missing_resources("limits")),
    ),
    resource_rule(
        name="k8s-no-host-namespaces",
        description="Pods do not share the node's network, PID or IPC namespace.",
        severity=Severity.HIGH,
        enforcement=EnforcementLevel.MANDATORY,
        resource_types=WORKLOAD_TYPES,
        remediation=(
            "remove `host_network`, `host_pid` and `host_ipc` (or set them False) on the pod spec "
            "(k8s.core.v1.PodSpecArgs)."
        ),
        checkov_ids=["CKV_K8S_17", "CKV_K8S_18", "CKV_K8S_19"],
        check=workload_check(_host_namespaces),
    ),
    resource_rule(
        name="k8s-no-host-path-volumes",
        description="Pods do not mount directories of the node.",
        severity=Severity.HIGH,
        enforcement=EnforcementLevel.MANDATORY,
        resource_types=WORKLOAD_TYPES,
        remediation=(
            "replace `host_path` volumes in the pod spec's `volumes` with `empty_dir`,"
            " `config_map`, `secret` or a persistent volume claim."
        ),
        checkov_ids=["CKV_K8S_27"],
        check=workload_check(_host_paths),
    ),
    resource_rule(
        name="k8s-pin-image-tags",
        description="Container images name an explicit tag other than latest, or a digest.",
        severity=Severity.MEDIUM,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=WORKLOAD_TYPES,
        remediation="set each container's `image` to `repo:<version>` or `repo@sha256:<digest>`.",
        checkov_ids=["CKV_K8S_14"],
        check=workload_check(_unpinned_images),
    ),
    resource_rule(
        name="k8s-no-automount-service-account-token",
        description="Pods do not auto-mount a Kubernetes API token unless they call the API.",
        severity=Severity.LOW,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=WORKLOAD_TYPES,
        remediation=(
            "set `automount_service_account_token=False` on the pod spec; IRSA keeps working (it"
            " injects its own projected token), and pods that do call the API get a dated"
            " exemption."
        ),
        checkov_ids=["CKV_K8S_38"],
        check=workload_check(_automounted_token),
    ),
    resource_rule(
        name="k8s-helm-values-no-insecure-settings",
        description=(
            "Helm release/chart values do not explicitly ask for privileged, host-namespace or root"
            " pods."
        ),
        severity=Severity.HIGH,
        enforcement=EnforcementLevel.MANDATORY,
        resource_types=[HELM_RELEASE, HELM_CHART_V4],
        remediation=(
            "remove the flagged key from `values` of k8s.helm.v3.Release / k8s.helm.v4.Chart (or"
            " set it to its safe value). Only values written in the program are seen: chart"
            " defaults and `value_yaml_files` are not."
        ),
        check=with_plain_props(_helm_values_findings),
    ),
    stack_rule(
        name="k8s-namespace-network-policy",
        description=(
            "Every workload (and Helm release) runs in a namespace where a NetworkPolicy selects"
            " its pods."
        ),
        severity=Severity.MEDIUM,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[*WORKLOAD_TYPES, *HELM_TYPES, NETWORK_POLICY],
        remediation=(
            "add a k8s.networking.v1.NetworkPolicy whose `pod_selector` matches the workload's pod"
            " labels in its namespace, or set `networkPolicy.enabled=True` in the values of a"
            " release of app/chart; the cluster's VPC CNI must enforce network policies."
        ),
        checkov_ids=["CKV2_K8S_6"],
        check=_unselected_workloads,
    ),
    resource_rule(
        name="k8s-no-default-namespace",
        description="Kubernetes resources and Helm releases live in a namespace of their own.",
        severity=Severity.LOW,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=NAMESPACED_TYPES,
        remediation=(
            "set `metadata={'namespace': ...}` (or `namespace=` on a Helm release) to the"
            " service's own namespace."
        ),
        checkov_ids=["CKV_K8S_21"],
        check=with_plain_props(_default_namespace_findings),
    ),
]
