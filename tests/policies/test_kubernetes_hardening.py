"""Each container-hardening rule: a violating and a compliant pod spec, asserted by message."""

import copy
from typing import Any

import pytest
from pulumi_policy import ResourceValidationPolicy

from policies.rules import kubernetes_hardening
from policies.rules.kubernetes import CRON_JOB, DEPLOYMENT, JOB
from policies.rules.kubernetes_hardening import CONTROL_PLANE_CHECKOV_IDS, SERVICE
from tests.policies.harness import resource_violations
from tests.policies.test_kubernetes import wrap

RULES = {policy.name: policy for policy in kubernetes_hardening.POLICIES}
HARDENED_CONTAINER = {
    "name": "api",
    "image": "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/ticketing:1.4.2",
    "command": ["ticketing", "serve"],
    "ports": [{"containerPort": 8000}],
    "env": [{"name": "TICKETING_LOG_LEVEL", "value": "info"}],
    "volumeMounts": [{"name": "secrets", "mountPath": "/run/secrets/app"}],
    "securityContext": {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    },
    "resources": {
        "limits": {"cpu": "1", "memory": "512Mi"},
        "requests": {"cpu": "250m", "memory": "256Mi"},
    },
    "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8000}},
    "readinessProbe": {"httpGet": {"path": "/readyz", "port": 8000}},
}
HARDENED_POD_SPEC = {
    "securityContext": {
        "runAsNonRoot": True,
        "runAsUser": 10001,
        "seccompProfile": {"type": "RuntimeDefault"},
    },
    "containers": [HARDENED_CONTAINER],
    "volumes": [{"name": "secrets", "secret": {"secretName": "app"}}],
}


def violations(rule: str, resource_type: str, props) -> list[str]:
    policy = RULES[rule]
    assert isinstance(policy, ResourceValidationPolicy)
    return resource_violations(policy, resource_type, props)


def container_with(**changes: Any) -> dict:
    spec: dict[str, Any] = copy.deepcopy(HARDENED_POD_SPEC)
    container = spec["containers"][0]
    for key, value in changes.items():
        if value is None:
            container.pop(key)
        else:
            container[key] = value
    return spec


@pytest.mark.parametrize("resource_type", [DEPLOYMENT, JOB, CRON_JOB])
def test_hardened_workload_passes_every_rule(resource_type):
    for rule in RULES:
        assert violations(rule, resource_type, wrap(resource_type, HARDENED_POD_SPEC)) == [], rule


VIOLATIONS = [
    (
        "k8s-require-health-probes",
        container_with(readinessProbe=None),
        ["container 'api' has no readinessProbe"],
    ),
    (
        "k8s-require-resource-requests",
        container_with(resources={"limits": {"cpu": "1", "memory": "1Gi"}}),
        ["container 'api' has no resources.requests for cpu, memory"],
    ),
    (
        "k8s-no-privilege-escalation",
        container_with(securityContext={"capabilities": {"drop": ["ALL"]}}),
        ["container 'api' has allowPrivilegeEscalation None (the default is true)"],
    ),
    (
        "k8s-drop-all-capabilities",
        container_with(
            securityContext={
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["NET_RAW"], "add": ["SYS_ADMIN"]},
            }
        ),
        [
            "container 'api' does not drop ALL capabilities (drops ['NET_RAW'])",
            "container 'api' adds capabilities ['SYS_ADMIN']",
        ],
    ),
    (
        "k8s-no-host-ports",
        container_with(ports=[{"containerPort": 8000, "hostPort": 8000}]),
        ["container 'api' binds hostPort 8000"],
    ),
    (
        "k8s-seccomp-runtime-default",
        {**HARDENED_POD_SPEC, "securityContext": {"runAsUser": 10001}},
        ["container 'api' has seccompProfile type None; expected RuntimeDefault or Localhost"],
    ),
    (
        "k8s-security-context-set",
        {**container_with(securityContext=None), "securityContext": None},
        ["the pod spec has no securityContext", "container 'api' has no securityContext"],
    ),
    (
        "k8s-run-as-high-uid",
        {**HARDENED_POD_SPEC, "securityContext": {"runAsNonRoot": True, "runAsUser": 1000}},
        ["container 'api' runs as UID 1000; use 10000 or above"],
    ),
    (
        "k8s-secrets-as-files",
        container_with(
            env=[{"name": "DB", "valueFrom": {"secretKeyRef": {"name": "app", "key": "db"}}}],
            envFrom=[{"secretRef": {"name": "all"}}],
        ),
        [
            "container 'api' reads Secret 'app' into $DB",
            "container 'api' loads every key of Secret 'all' into its environment",
        ],
    ),
    (
        "k8s-no-control-plane-components",
        container_with(command=["/usr/local/bin/kube-apiserver", "--anonymous-auth=true"]),
        ["container 'api' runs kube-apiserver; EKS runs the control plane and the kubelet itself"],
    ),
    (
        "k8s-no-risky-components",
        container_with(image="registry.k8s.io/git-sync/git-sync:v4.2.1"),
        [
            "container 'api' runs 'registry.k8s.io/git-sync/git-sync:v4.2.1': git-sync pulls code"
            " into a running pod (code injection when the repo is writable)"
        ],
    ),
]


@pytest.mark.parametrize(("rule", "spec", "expected"), VIOLATIONS, ids=[v[0] for v in VIOLATIONS])
def test_each_rule_finds_its_violation(rule, spec, expected):
    assert violations(rule, DEPLOYMENT, wrap(DEPLOYMENT, spec)) == expected


def test_probes_are_not_asked_of_jobs():
    spec = container_with(livenessProbe=None, readinessProbe=None)
    assert violations("k8s-require-health-probes", JOB, wrap(JOB, spec)) == []


def test_a_tiller_service_is_refused_and_an_ordinary_one_passes():
    rule = "k8s-no-risky-components"
    tiller = {"metadata": {"name": "tiller-deploy"}, "spec": {"selector": {"app": "helm"}}}
    assert violations(rule, SERVICE, tiller) == [
        "the Service exposes Tiller: Tiller (Helm v2) runs with cluster-admin and an"
        " unauthenticated gRPC port"
    ]
    assert violations(rule, SERVICE, {"metadata": {"name": "web"}, "spec": {}}) == []


def test_the_control_plane_rule_claims_every_flag_check_once():
    assert len(CONTROL_PLANE_CHECKOV_IDS) == len(set(CONTROL_PLANE_CHECKOV_IDS)) == 58
