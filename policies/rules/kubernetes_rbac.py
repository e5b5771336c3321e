"""Kubernetes RBAC: Roles and ClusterRoles grant named verbs on named resources and nothing that
lets their holder raise its own rights, and the namespace's `default` ServiceAccount carries no
rights and mounts no token."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import EnforcementLevel, Policy, Severity

from policies.rule import resource_rule
from policies.rules.values import as_list, is_unknown, lookup, with_plain_props

ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role"
CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
CLUSTER_ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
ROLE_TYPES = (ROLE, CLUSTER_ROLE)
DEFAULT_SERVICE_ACCOUNT = "default"
WILDCARD = "*"
WRITE_VERBS = frozenset({"create", "update", "patch", "*"})
READ_VERBS = frozenset({"get", "list", "watch", "*"})
ESCALATING_VERBS = {
    "bind": "bind lets its holder grant any role it can name",
    "escalate": "escalate lets its holder edit roles beyond its own rights",
    "impersonate": "impersonate lets its holder act as other users, groups or service accounts",
}
ESCALATING_WRITES = {
    "rolebindings": "writing role bindings hands out any role",
    "clusterrolebindings": "writing cluster role bindings hands out any cluster role",
    "roles": "writing roles grants new rights",
    "clusterroles": "writing cluster roles grants new rights",
    "pods/exec": "exec into pods runs commands as their service accounts",
    "nodes/proxy": "the node proxy reaches the kubelet API of every pod on the node",
    "services/status": "setting a Service's load balancer IP opens CVE-2020-8554 interception",
}
"""Resources whose write access checkov counts as privilege escalation, and why."""


def _grants(props: dict[str, Any]) -> Iterator[tuple[int, set[str], set[str], set[str], list[str]]]:
    """(index, verbs, resources, api groups, resourceNames) for each rule of a role."""
    for index, rule in enumerate(as_list(props.get("rules"))):
        if isinstance(rule, dict) and not is_unknown(rule):
            yield (
                index,
                {str(verb) for verb in as_list(rule.get("verbs"))},
                {str(resource) for resource in as_list(rule.get("resources"))},
                {str(group) for group in as_list(rule.get("apiGroups"))},
                [str(name) for name in as_list(rule.get("resourceNames"))],
            )


def _wildcards(props: dict[str, Any], args: Any) -> Iterator[str]:
    for index, verbs, resources, groups, _ in _grants(props):
        for field, values in (("verbs", verbs), ("resources", resources), ("apiGroups", groups)):
            if WILDCARD in values:
                yield f"rules[{index}].{field} contains '*'"


def _escalations(props: dict[str, Any], args: Any) -> Iterator[str]:
    for index, verbs, resources, _, names in _grants(props):
        for verb in sorted(verbs & set(ESCALATING_VERBS)):
            yield f"rules[{index}] grants {verb}: {ESCALATING_VERBS[verb]}"
        if verbs & WRITE_VERBS:
            for resource in sorted(resources & set(ESCALATING_WRITES)):
                yield f"rules[{index}] grants write on {resource}: {ESCALATING_WRITES[resource]}"
        if verbs & READ_VERBS and resources & {"secrets", WILDCARD} and not names:
            yield f"rules[{index}] reads every Secret of its scope; name them in resourceNames"


def _default_service_account(props: dict[str, Any], args: Any) -> Iterator[str]:
    if args.resource_type == SERVICE_ACCOUNT:
        automount = props.get("automountServiceAccountToken")
        if lookup(props, "metadata", "name") == DEFAULT_SERVICE_ACCOUNT and automount is not False:
            yield (
                "the default ServiceAccount mounts its token into every pod that names no account"
                f" (automountServiceAccountToken {automount!r})"
            )
        return
    for subject in as_list(props.get("subjects")):
        if lookup(subject, "kind") == "ServiceAccount" and (
            lookup(subject, "name") == DEFAULT_SERVICE_ACCOUNT
        ):
            yield (
                f"binds the default ServiceAccount of {lookup(subject, 'namespace')!r}: every pod"
                " that names no account gets these rights"
            )


POLICIES: list[Policy] = [
    resource_rule(
        name="k8s-rbac-no-wildcards",
        description="Roles and ClusterRoles name their verbs, resources and API groups.",
        severity=Severity.HIGH,
        enforcement=EnforcementLevel.MANDATORY,
        resource_types=ROLE_TYPES,
        remediation="replace '*' in the role's `rules` with the verbs and resources it needs.",
        checkov_ids=["CKV_K8S_49"],
        check=with_plain_props(_wildcards),
    ),
    resource_rule(
        name="k8s-rbac-no-escalation",
        description=(
            "Roles grant no bind, escalate or impersonate, no write on roles, bindings, pods/exec,"
            " nodes/proxy or services/status, and no read of every Secret."
        ),
        severity=Severity.HIGH,
        enforcement=EnforcementLevel.MANDATORY,
        resource_types=ROLE_TYPES,
        remediation=(
            "drop the flagged verb/resource from the role's `rules`; read Secrets by name"
            " (`resourceNames`)."
        ),
        checkov_ids=[
            "CKV_K8S_157",
            "CKV_K8S_158",
            "CKV2_K8S_1",
            "CKV2_K8S_2",
            "CKV2_K8S_3",
            "CKV2_K8S_4",
            "CKV2_K8S_5",
        ],
        check=with_plain_props(_escalations),
    ),
    resource_rule(
        name="k8s-no-default-service-account",
        description=(
            "The default ServiceAccount mounts no token and no role binding names it; workloads use"
            " accounts of their own."
        ),
        severity=Severity.MEDIUM,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[SERVICE_ACCOUNT, ROLE_BINDING, CLUSTER_ROLE_BINDING],
        remediation=(
            "set `automount_service_account_token=False` on the `default` ServiceAccount and bind"
            " roles to a ServiceAccount the workload names in `service_account_name`."
        ),
        checkov_ids=["CKV_K8S_41", "CKV_K8S_42"],
        check=with_plain_props(_default_service_account),
    ),
]
