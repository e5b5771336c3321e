"""Container hardening beyond kubernetes.py's basics, read from the pod spec of every workload a
program registers or a local chart renders: capabilities, privilege escalation, seccomp, probes,
requests, host ports, how secrets reach the process, and components that have no place in an EKS
workload (control-plane binaries, Tiller, the dashboard, git-sync)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import EnforcementLevel, Policy, Severity

from policies.rule import resource_rule
from policies.rules.kubernetes import (
    DAEMON_SET,
    DEPLOYMENT,
    POD,
    REPLICA_SET,
    STATEFUL_SET,
    WORKLOAD_TYPES,
    containers,
    effective_setting,
    missing_resources,
    workload_check,
)
from policies.rules.values import (
    as_list,
    is_unknown,
    lookup,
    whole_number,
    with_plain_props,
)

SERVICE = "kubernetes:core/v1:Service"
LONG_RUNNING_TYPES = (POD, DEPLOYMENT, STATEFUL_SET, DAEMON_SET, REPLICA_SET)
"""Workloads that serve until stopped (a Job's pod runs to completion and needs no probes)."""
SERVING_PROBES = ("livenessProbe", "readinessProbe")
HIGH_UID_FLOOR = 10000
"""UIDs below this may be a user of the node's own /etc/passwd (checkov CKV_K8S_40)."""
ALLOWED_SECCOMP_TYPES = ("RuntimeDefault", "Localhost")
CONTROL_PLANE_BINARIES = frozenset(
    {"kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd", "kubelet"}
)
CONTROL_PLANE_CHECKOV_IDS = tuple(
    f"CKV_K8S_{number}"
    for number in (
        *(68, 69, 70, 71, 72, 73, 74, 75, 77, 79, 80, 81, 82, 83, 84, 85, 86, 88, 89, 90),
        *(91, 92, 93, 94, 95, 96, 97, 99, 100, 102, 104, 105),
        *(106, 107, 108, 110, 111, 112, 113, 114, 115),
        *(116, 117, 118, 119, 121),
        *(138, 139, 140, 141, 143, 144, 145, 146, 147, 148, 149, 151),
    )
)
"""checkov's checks of kube-apiserver, controller-manager, scheduler, etcd and kubelet flags in a
container's command: this pack refuses the binaries in a workload outright."""
RISKY_IMAGE_NAMES = {
    "tiller": "Tiller (Helm v2) runs with cluster-admin and an unauthenticated gRPC port",
    "kubernetes-dashboard": "the dashboard is a web UI onto the cluster API",
    "dashboard": "the dashboard is a web UI onto the cluster API",
    "git-sync": "git-sync pulls code into a running pod (code injection when the repo is writable)",
}
"""Image names (last path segment, no tag) of components checkov refuses, and why."""


def _missing_probes(spec: dict[str, Any]) -> Iterator[str]:
    for index, container in enumerate(as_list(spec.get("containers"))):
        if not isinstance(container, dict):
            continue
        missing = [probe for probe in SERVING_PROBES if container.get(probe) is None]
        if missing:
            label = container.get("name") or f"containers[{index}]"
            yield f"container {label!r} has no {' or '.join(missing)}"


def _privilege_escalation(spec: dict[str, Any]) -> Iterator[str]:
    for label, container in containers(spec):
        allowed = lookup(container, "securityContext", "allowPrivilegeEscalation")
        if allowed is not False and not is_unknown(allowed) and str(allowed).lower() != "false":
            yield f"{label} has allowPrivilegeEscalation {allowed!r} (the default is true)"


def _capabilities(spec: dict[str, Any]) -> Iterator[str]:
    for label, container in containers(spec):
        capabilities = lookup(container, "securityContext", "capabilities")
        if is_unknown(capabilities):
            continue
        dropped = [str(name).upper() for name in as_list(lookup(capabilities, "drop"))]
        added = [str(name) for name in as_list(lookup(capabilities, "add"))]
        if "ALL" not in dropped:
            yield f"{label} does not drop ALL capabilities (drops {dropped})"
        if added:
            yield f"{label} adds capabilities {added}"


def _host_ports(spec: dict[str, Any]) -> Iterator[str]:
    for label, container in containers(spec):
        for port in as_list(container.get("ports")):
            host_port = lookup(port, "hostPort")
            if host_port is not None and not is_unknown(host_port):
                yield f"{label} binds hostPort {host_port}"


def _seccomp(spec: dict[str, Any]) -> Iterator[str]:
    for label, container in containers(spec):
        profile = effective_setting(spec, container, "seccompProfile")
        kind = lookup(profile, "type")
        if not is_unknown(kind) and kind not in ALLOWED_SECCOMP_TYPES:
            yield f"{label} has seccompProfile type {kind!r}; expected RuntimeDefault or Localhost"


def _security_contexts(spec: dict[str, Any]) -> Iterator[str]:
    if not isinstance(spec.get("securityContext"), dict) and not is_unknown(
        spec.get("securityContext")
    ):
        yield "the pod spec has no securityContext"
    for label, container in containers(spec):
        context = container.get("securityContext")
        if not isinstance(context, dict) and not is_unknown(context):
            yield f"{label} has no securityContext"


def _low_uids(spec: dict[str, Any]) -> Iterator[str]:
    for label, container in containers(spec):
        user = effective_setting(spec, container, "runAsUser")
        if is_unknown(user):
            continue
        uid = whole_number(user)
        if uid is None or uid < HIGH_UID_FLOOR:
            yield f"{label} runs as UID {user!r}; use {HIGH_UID_FLOOR} or above"


def _secrets_in_environment(spec: dict[str, Any]) -> Iterator[str]:
    for label, container in containers(spec):
        for variable in as_list(container.get("env")):
            secret = lookup(variable, "valueFrom", "secretKeyRef", "name")
            if secret is not None:
                yield f"{label} reads Secret {secret!r} into ${lookup(variable, 'name')}"
        for source in as_list(container.get("envFrom")):
            secret = lookup(source, "secretRef", "name")
            if secret is not None:
                yield f"{label} loads every key of Secret {secret!r} into its environment"


def _control_plane(spec: dict[str, Any]) -> Iterator[str]:
    for label, container in containers(spec):
        for word in as_list(container.get("command")):
            binary = str(word).rsplit("/", 1)[-1]
            if binary in CONTROL_PLANE_BINARIES:
                yield f"{label} runs {binary}; EKS runs the control plane and the kubelet itself"


def _image_name(image: str) -> str:
    return image.split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0]


def _risky_workload_images(spec: dict[str, Any]) -> Iterator[str]:
    for label, container in containers(spec):
        image = container.get("image")
        if isinstance(image, str) and _image_name(image) in RISKY_IMAGE_NAMES:
            yield f"{label} runs {image!r}: {RISKY_IMAGE_NAMES[_image_name(image)]}"


def _risky_components(props: dict[str, Any], args: Any) -> Iterator[str]:
    if args.resource_type == SERVICE:
        names = [lookup(props, "metadata", "name"), lookup(props, "spec", "selector", "app")]
        if "tiller" in names or "tiller-deploy" in names:
            yield f"the Service exposes Tiller: {RISKY_IMAGE_NAMES['tiller']}"
        return
    yield from workload_check(_risky_workload_images)(props, args)


POLICIES: list[Policy] = [
    resource_rule(
        name="k8s-require-health-probes",
        description="Long-running containers declare liveness and readiness probes.",
        severity=Severity.MEDIUM,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=LONG_RUNNING_TYPES,
        remediation=(
            "set `liveness_probe` and `readiness_probe` (k8s.core.v1.ProbeArgs) on each container,"
            " or `livenessProbe`/`readinessProbe` in the chart's container."
        ),
        checkov_ids=["CKV_K8S_8", "CKV_K8S_9"],
        check=workload_check(_missing_probes),
    ),
    resource_rule(
        name="k8s-require-resource-requests",
        description="Containers declare CPU and memory requests.",
        severity=Severity.MEDIUM,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=WORKLOAD_TYPES,
        remediation="set `resources.requests` with `cpu` and `memory` on each container.",
        checkov_ids=["CKV_K8S_10", "CKV_K8S_12"],
        check=workload_check(missing_resources("requests")),
    ),
    resource_rule(
        name="k8s-no-privilege-escalation",
        description="Containers set allowPrivilegeEscalation: false.",
        severity=Severity.HIGH,
        enforcement=EnforcementLevel.MANDATORY,
        resource_types=WORKLOAD_TYPES,
        remediation=(
            "set `allow_privilege_escalation=False` in each container's `security_context`."
        ),
        checkov_ids=["CKV_K8S_20"],
        check=workload_check(_privilege_escalation),
    ),
    resource_rule(
        name="k8s-drop-all-capabilities",
        description="Containers drop ALL Linux capabilities and add none back.",
        severity=Severity.HIGH,
        enforcement=EnforcementLevel.MANDATORY,
        resource_types=WORKLOAD_TYPES,
        remediation=(
            "set `capabilities={'drop': ['ALL']}` in each container's `security_context` and no"
            " `add` (NET_RAW, SYS_ADMIN and the rest stay dropped)."
        ),
        checkov_ids=["CKV_K8S_25", "CKV_K8S_28", "CKV_K8S_37", "CKV_K8S_39"],
        check=workload_check(_capabilities),
    ),
    resource_rule(
        name="k8s-no-host-ports",
        description="Containers do not bind ports on the node.",
        severity=Severity.MEDIUM,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=WORKLOAD_TYPES,
        remediation=(
            "remove `host_port` from the container's ports; reach the pod through a Service."
        ),
        checkov_ids=["CKV_K8S_26"],
        check=workload_check(_host_ports),
    ),
    resource_rule(
        name="k8s-seccomp-runtime-default",
        description="Containers run under the RuntimeDefault (or a Localhost) seccomp profile.",
        severity=Severity.MEDIUM,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=WORKLOAD_TYPES,
        remediation=(
            "set `seccomp_profile={'type': 'RuntimeDefault'}` in the pod's `security_context`."
        ),
        checkov_ids=["CKV_K8S_31"],
        check=workload_check(_seccomp),
    ),
    resource_rule(
        name="k8s-security-context-set",
        description="The pod and each of its containers declare a securityContext.",
        severity=Severity.LOW,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=WORKLOAD_TYPES,
        remediation="set `security_context` on the pod spec and on every container.",
        checkov_ids=["CKV_K8S_29", "CKV_K8S_30"],
        check=workload_check(_security_contexts),
    ),
    resource_rule(
        name="k8s-run-as-high-uid",
        description=f"Containers run as a UID of {HIGH_UID_FLOOR} or above.",
        severity=Severity.LOW,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=WORKLOAD_TYPES,
        remediation=(
            f"set `run_as_user` to {HIGH_UID_FLOOR} or above (10001 in app/chart) in the pod's or"
            " container's `security_context`."
        ),
        checkov_ids=["CKV_K8S_40"],
        check=workload_check(_low_uids),
    ),
    resource_rule(
        name="k8s-secrets-as-files",
        description="Secrets reach containers as mounted files, not environment variables.",
        severity=Severity.LOW,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=WORKLOAD_TYPES,
        remediation=(
            "mount the Secret as a volume (`secret={'secret_name': ...}`) and read the file;"
            " environment variables end up in crash dumps, `/proc/<pid>/environ` and child"
            " processes."
        ),
        checkov_ids=["CKV_K8S_35"],
        check=workload_check(_secrets_in_environment),
    ),
    resource_rule(
        name="k8s-no-control-plane-components",
        description=(
            "No workload runs kube-apiserver, controller-manager, scheduler, etcd or kubelet."
        ),
        severity=Severity.HIGH,
        enforcement=EnforcementLevel.MANDATORY,
        resource_types=WORKLOAD_TYPES,
        remediation=(
            "remove the workload: EKS runs and configures the control plane, and the node groups"
            " run the kubelet."
        ),
        checkov_ids=CONTROL_PLANE_CHECKOV_IDS,
        check=workload_check(_control_plane),
    ),
    resource_rule(
        name="k8s-no-risky-components",
        description="No Tiller, Kubernetes dashboard or git-sync is deployed.",
        severity=Severity.HIGH,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[*WORKLOAD_TYPES, SERVICE],
        remediation=(
            "remove the workload (and Tiller's Service): Helm 3 needs no Tiller, kubectl replaces"
            " the dashboard, and images are built in CI instead of synced from git."
        ),
        checkov_ids=["CKV_K8S_33", "CKV_K8S_34", "CKV_K8S_44", "CKV_K8S_45", "CKV_K8S_159"],
        check=with_plain_props(_risky_components),
    ),
]
