"""RBAC rules: a violating and a compliant role, binding and service account each."""

import pytest
from pulumi_policy import ResourceValidationPolicy

from policies.rules import kubernetes_rbac
from policies.rules.kubernetes_rbac import (
    CLUSTER_ROLE,
    CLUSTER_ROLE_BINDING,
    ROLE,
    ROLE_BINDING,
    SERVICE_ACCOUNT,
)
from tests.policies.harness import resource_violations

RULES = {policy.name: policy for policy in kubernetes_rbac.POLICIES}
PRESCALE_ROLE = {
    "metadata": {"name": "prescale"},
    "rules": [
        {
            "apiGroups": ["autoscaling"],
            "resources": ["horizontalpodautoscalers"],
            "resourceNames": ["ticketing"],
            "verbs": ["get", "patch"],
        }
    ],
}


def violations(rule: str, resource_type: str, props) -> list[str]:
    policy = RULES[rule]
    assert isinstance(policy, ResourceValidationPolicy)
    return resource_violations(policy, resource_type, props)


@pytest.mark.parametrize("rule", ["k8s-rbac-no-wildcards", "k8s-rbac-no-escalation"])
@pytest.mark.parametrize("resource_type", [ROLE, CLUSTER_ROLE])
def test_a_narrow_role_passes(rule, resource_type):
    assert violations(rule, resource_type, PRESCALE_ROLE) == []


def test_wildcards_are_named_by_field():
    role = {"rules": [{"apiGroups": ["*"], "resources": ["pods"], "verbs": ["*"]}]}
    assert violations("k8s-rbac-no-wildcards", CLUSTER_ROLE, role) == [
        "rules[0].verbs contains '*'",
        "rules[0].apiGroups contains '*'",
    ]


def test_escalating_grants():
    role = {
        "rules": [
            {"apiGroups": [""], "resources": ["users"], "verbs": ["impersonate"]},
            {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]},
            {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"], "verbs": ["bind"]},
            {"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]},
            {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"], "resourceNames": ["a"]},
        ]
    }
    assert violations("k8s-rbac-no-escalation", ROLE, role) == [
        "rules[0] grants impersonate: impersonate lets its holder act as other users, groups or"
        " service accounts",
        "rules[1] grants write on pods/exec: exec into pods runs commands as their service"
        " accounts",
        "rules[2] grants bind: bind lets its holder grant any role it can name",
        "rules[3] reads every Secret of its scope; name them in resourceNames",
    ]


def test_the_default_service_account():
    rule = "k8s-no-default-service-account"
    assert violations(rule, SERVICE_ACCOUNT, {"metadata": {"name": "default"}}) == [
        "the default ServiceAccount mounts its token into every pod that names no account"
        " (automountServiceAccountToken None)"
    ]
    quiet = {"metadata": {"name": "default"}, "automountServiceAccountToken": False}
    assert violations(rule, SERVICE_ACCOUNT, quiet) == []
    assert violations(rule, SERVICE_ACCOUNT, {"metadata": {"name": "ticketing"}}) == []


@pytest.mark.parametrize("resource_type", [ROLE_BINDING, CLUSTER_ROLE_BINDING])
def test_bindings_to_the_default_service_account(resource_type):
    rule = "k8s-no-default-service-account"
    binding = {"subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": "shop"}]}
    assert violations(rule, resource_type, binding) == [
        "binds the default ServiceAccount of 'shop': every pod that names no account gets these"
        " rights"
    ]
    own = {"subjects": [{"kind": "ServiceAccount", "name": "prescale", "namespace": "shop"}]}
    assert violations(rule, resource_type, own) == []
