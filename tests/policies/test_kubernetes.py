import copy
from typing import Any

import pytest
from pulumi.output import Unknown
from pulumi_policy import ResourceValidationPolicy
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UNKNOWN_STRING_VALUE

from policies.rules import kubernetes
from policies.rules.kubernetes import (
    CRON_JOB,
    DAEMON_SET,
    DEPLOYMENT,
    HELM_CHART_V4,
    HELM_RELEASE,
    JOB,
    NETWORK_POLICY,
    POD,
    REPLICA_SET,
    STATEFUL_SET,
    image_tag,
)
from tests.policies.harness import (
    as_cli_delivers,
    resource_violations,
    run_stack_rule,
    stack_resource,
    stack_violations,
)
from tests.policies.malformed import messages_for_malformed

RULES = {policy.name: policy for policy in kubernetes.POLICIES}
WORKLOAD_RULES = [
    name
    for name, rule in RULES.items()
    if name not in ("k8s-helm-values-no-insecure-settings", "k8s-no-default-namespace")
    and isinstance(rule, ResourceValidationPolicy)
]

HARDENED_POD_SPEC = {
    "automountServiceAccountToken": False,
    "securityContext": {"runAsNonRoot": True, "runAsUser": 10001},
    "containers": [
        {
            "name": "api",
            "image": "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/ticketing:1.4.2",
            "securityContext": {"readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False},
            "resources": {
                "limits": {"cpu": "1", "memory": "512Mi"},
                "requests": {"cpu": "250m", "memory": "256Mi"},
            },
        }
    ],
    "volumes": [{"name": "tmp", "emptyDir": {}}],
}


def wrap(resource_type: str, pod_spec: dict) -> dict:
    """The resource's inputs as pulumi-kubernetes registers them, around `pod_spec`."""
    template = {"metadata": {"labels": {"app": "api"}}, "spec": pod_spec}
    if resource_type == POD:
        return {"apiVersion": "v1", "kind": "Pod", "spec": pod_spec}
    if resource_type == CRON_JOB:
        return {
            "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": template}}}
        }
    return {"spec": {"selector": {"matchLabels": {"app": "api"}}, "template": template}}


def spec_with(**changes) -> dict:
    spec: dict[str, Any] = copy.deepcopy(HARDENED_POD_SPEC)
    container = spec["containers"][0]
    for key, value in changes.items():
        target, field = (
            (container, key[len("container_") :]) if key.startswith("container_") else (spec, key)
        )
        if value is None:
            target.pop(field, None)
        else:
            target[field] = value
    return spec


def violations(rule: str, resource_type: str, props) -> list[str]:
    policy = RULES[rule]
    assert isinstance(policy, ResourceValidationPolicy)
    return resource_violations(policy, resource_type, props)


@pytest.mark.parametrize(
    "resource_type", [POD, DEPLOYMENT, STATEFUL_SET, DAEMON_SET, REPLICA_SET, JOB, CRON_JOB]
)
def test_hardened_workload_passes_every_rule(resource_type):
    for rule in WORKLOAD_RULES:
        assert violations(rule, resource_type, wrap(resource_type, HARDENED_POD_SPEC)) == [], rule


@pytest.mark.parametrize("resource_type", [POD, DEPLOYMENT, CRON_JOB])
def test_privileged_container(resource_type):
    spec = spec_with(container_securityContext={"privileged": True, "readOnlyRootFilesystem": True})
    assert violations("k8s-no-privileged-containers", resource_type, wrap(resource_type, spec)) == [
        "container 'api' sets securityContext.privileged: true"
    ]


def test_running_as_root():
    rule = "k8s-run-as-non-root"
    assert violations(rule, DEPLOYMENT, wrap(DEPLOYMENT, spec_with(securityContext=None))) == [
        "container 'api' has runAsNonRoot None and no non-zero runAsUser, so it may run as root"
    ]
    explicit_root = spec_with(
        container_securityContext={"runAsUser": 0, "readOnlyRootFilesystem": True}
    )
    assert violations(rule, DEPLOYMENT, wrap(DEPLOYMENT, explicit_root)) == [
        "container 'api' sets runAsUser: 0"
    ]
    only_uid = spec_with(securityContext={"runAsUser": 1000})
    assert violations(rule, STATEFUL_SET, wrap(STATEFUL_SET, only_uid)) == []
    init_as_root = spec_with(
        securityContext={"runAsNonRoot": True},
        initContainers=[
            {"name": "migrate", "image": "m:1", "securityContext": {"runAsNonRoot": False}}
        ],
    )
    assert violations(rule, JOB, wrap(JOB, init_as_root)) == [
        "container 'migrate' has runAsNonRoot False and no non-zero runAsUser, so it may run as"
        " root"
    ]


def test_writable_root_filesystem_and_missing_limits():
    spec = spec_with(
        container_securityContext={}, container_resources={"limits": {"memory": "1Gi"}}
    )
    assert violations("k8s-read-only-root-filesystem", DEPLOYMENT, wrap(DEPLOYMENT, spec)) == [
        "container 'api' has readOnlyRootFilesystem None"
    ]
    assert violations("k8s-require-resource-limits", DEPLOYMENT, wrap(DEPLOYMENT, spec)) == [
        "container 'api' has no resources.limits for cpu"
    ]


def test_host_namespaces_and_host_paths():
    spec = spec_with(
        hostNetwork=True,
        hostPID=True,
        volumes=[{"name": "docker", "hostPath": {"path": "/var/run/docker.sock"}}],
    )
    assert violations("k8s-no-host-namespaces", DAEMON_SET, wrap(DAEMON_SET, spec)) == [
        "pod spec sets hostNetwork: true",
        "pod spec sets hostPID: true",
    ]
    assert violations("k8s-no-host-path-volumes", DAEMON_SET, wrap(DAEMON_SET, spec)) == [
        "volume 'docker' mounts hostPath '/var/run/docker.sock'"
    ]


@pytest.mark.parametrize(
    "image, tag",
    [
        ("nginx", None),
        ("nginx:latest", "latest"),
        ("registry:5000/team/app", None),
        ("registry:5000/team/app:2.1", "2.1"),
    ],
)
def test_image_tag_parsing(image, tag):
    assert image_tag(image) == tag


def test_unpinned_images():
    rule = "k8s-pin-image-tags"
    assert violations(rule, POD, wrap(POD, spec_with(container_image="nginx:latest"))) == [
        "container 'api' uses image 'nginx:latest' with tag latest"
    ]
    assert violations(rule, POD, wrap(POD, spec_with(container_image="registry:5000/app"))) == [
        "container 'api' uses image 'registry:5000/app' with tag (none, so latest)"
    ]
    assert violations(rule, POD, wrap(POD, spec_with(container_image=None))) == [
        "container 'api' has no image"
    ]
    # A chart that renders `repo:{{ .Values.image.tag }}` with an empty tag pins nothing.
    assert violations(rule, POD, wrap(POD, spec_with(container_image="registry/app:"))) == [
        "container 'api' uses image 'registry/app:' with tag (none, so latest)"
    ]
    assert (
        violations(rule, POD, wrap(POD, spec_with(container_image="nginx@sha256:" + "a" * 64)))
        == []
    )


def test_automounted_service_account_token():
    rule = "k8s-no-automount-service-account-token"
    assert violations(
        rule, DEPLOYMENT, wrap(DEPLOYMENT, spec_with(automountServiceAccountToken=None))
    ) == ["automountServiceAccountToken is None; the pod gets an API token it likely does not need"]
    assert (
        violations(rule, DEPLOYMENT, wrap(DEPLOYMENT, spec_with(automountServiceAccountToken=True)))
        != []
    )


def test_numbers_arriving_as_floats_from_the_cli():
    root = as_cli_delivers(wrap(DEPLOYMENT, spec_with(securityContext={"runAsUser": 0})))
    assert violations("k8s-run-as-non-root", DEPLOYMENT, root) == [
        "container 'api' sets runAsUser: 0"
    ]
    assert (
        violations(
            "k8s-run-as-non-root", DEPLOYMENT, as_cli_delivers(wrap(DEPLOYMENT, HARDENED_POD_SPEC))
        )
        == []
    )


# Helm values


@pytest.mark.parametrize("resource_type", [HELM_RELEASE, HELM_CHART_V4])
def test_helm_values_asking_for_insecure_pods(resource_type):
    values = {
        "securityContext": {"privileged": True, "runAsUser": 0},
        "host_network": True,
        "sidecars": [{"name": "agent", "securityContext": {"allowPrivilegeEscalation": True}}],
    }
    assert violations(
        "k8s-helm-values-no-insecure-settings", resource_type, {"chart": "x", "values": values}
    ) == [
        "values.securityContext.privileged is True",
        "values.securityContext.runAsUser is 0",
        "values.host_network is True",
        "values.sidecars[0].securityContext.allowPrivilegeEscalation is True",
    ]


def test_helm_values_that_are_safe_or_unrelated_pass():
    values = {
        "securityContext": {"privileged": False, "runAsNonRoot": True, "runAsUser": 10001},
        "hostNetwork": "true-ish label",
        "replicaCount": 0,
        "image": {"tag": "1.4.2"},
    }
    assert (
        violations(
            "k8s-helm-values-no-insecure-settings", HELM_RELEASE, {"chart": "x", "values": values}
        )
        == []
    )
    assert violations("k8s-helm-values-no-insecure-settings", HELM_RELEASE, {"chart": "x"}) == []


# malformed inputs

MALFORMED = [
    None,
    "odd",
    [1],
    {},
    {"spec": Unknown()},
    {"spec": {"template": UNKNOWN_STRING_VALUE}},
    wrap(
        DEPLOYMENT,
        {
            "containers": Unknown(),
            "hostNetwork": UNKNOWN_BOOLEAN_VALUE,
            "volumes": Unknown(),
            "automountServiceAccountToken": Unknown(),
            "securityContext": Unknown(),
        },
    ),
    wrap(
        DEPLOYMENT,
        {
            "containers": [
                None,
                "x",
                {
                    "name": Unknown(),
                    "image": Unknown(),
                    "securityContext": Unknown(),
                    "resources": {"limits": Unknown()},
                },
            ],
            "volumes": [None, {"hostPath": Unknown()}],
        },
    ),
    wrap(
        DEPLOYMENT,
        {"containers": "x", "volumes": 3, "securityContext": [], "initContainers": {"a": 1}},
    ),
    {"values": Unknown()},
    {"values": ["x", {"privileged": Unknown()}]},
    {"values": "a: b"},
]


@pytest.mark.parametrize("props", MALFORMED)
def test_malformed_inputs_never_raise(props):
    messages_for_malformed(kubernetes.POLICIES, props)


def test_unknown_values_are_not_violations():
    unknown = wrap(
        DEPLOYMENT,
        {
            "containers": [
                {
                    "name": "api",
                    "image": Unknown(),
                    "securityContext": Unknown(),
                    "resources": Unknown(),
                }
            ],
            "securityContext": Unknown(),
            "automountServiceAccountToken": Unknown(),
        },
    )
    for rule in WORKLOAD_RULES:
        assert violations(rule, DEPLOYMENT, unknown) == [], rule


def _labelled_deployment(name: str, namespace: str, labels: dict) -> object:
    spec = {"template": {"metadata": {"labels": labels}, "spec": HARDENED_POD_SPEC}}
    return stack_resource(DEPLOYMENT, name, {"metadata": {"namespace": namespace}, "spec": spec})


def _network_policy(namespace: str, selector: dict) -> object:
    return stack_resource(
        NETWORK_POLICY,
        f"np-{namespace}",
        {"metadata": {"namespace": namespace}, "spec": {"podSelector": selector}},
    )


def test_workloads_need_a_network_policy_that_selects_them():
    rule = RULES["k8s-namespace-network-policy"]
    api = _labelled_deployment("api", "ticketing", {"app": "api"})
    worker = _labelled_deployment("worker", "ticketing", {"app": "worker"})
    only_api = _network_policy("ticketing", {"matchLabels": {"app": "api"}})
    assert stack_violations(rule, [api, worker, only_api]) == [
        (
            "worker",
            "no NetworkPolicy in namespace 'ticketing' selects this workload's pods (labels"
            " {'app': 'worker'}): they accept traffic from any pod",
        )
    ]
    every_pod = _network_policy("ticketing", {})
    assert stack_violations(rule, [api, worker, every_pod]) == []
    by_expression = _network_policy(
        "ticketing", {"matchExpressions": [{"key": "app", "operator": "In", "values": ["worker"]}]}
    )
    assert stack_violations(rule, [worker, by_expression]) == []
    other_namespace = _network_policy("other", {})
    assert [name for name, _ in stack_violations(rule, [api, other_namespace])] == ["api"]


def test_helm_release_counts_its_network_policy_value():
    rule = RULES["k8s-namespace-network-policy"]
    release = stack_resource(HELM_RELEASE, "app", {"namespace": "ticketing", "values": {}})
    assert stack_violations(rule, [release]) == [
        (
            "app",
            "the release's values do not set networkPolicy.enabled and no NetworkPolicy in"
            " namespace 'ticketing' selects its pods",
        )
    ]
    enabled = stack_resource(
        HELM_RELEASE,
        "app",
        {"namespace": "ticketing", "values": {"networkPolicy": {"enabled": True}}},
    )
    assert stack_violations(rule, [enabled]) == []
    assert stack_violations(rule, [release, _network_policy("ticketing", {})]) == []


def test_a_namespace_that_is_no_name_is_left_to_the_deploy():
    """Found by the random-input test: a mapping as namespace crashed the rule (unhashable)."""
    rule = RULES["k8s-namespace-network-policy"]
    release = stack_resource(HELM_RELEASE, "app", {"namespace": {"allow": None}, "values": {}})
    policy = stack_resource(
        NETWORK_POLICY, "deny", {"metadata": {"namespace": {"a": 1}}, "spec": {"podSelector": {}}}
    )
    assert run_stack_rule(rule, [release, policy]) == []


@pytest.mark.parametrize(
    ("resource_type", "placed"),
    [
        ("kubernetes:core/v1:Secret", {"metadata": {"namespace": "ticketing"}}),
        (HELM_RELEASE, {"namespace": "ticketing"}),
    ],
)
def test_resources_live_in_their_own_namespace(resource_type, placed):
    rule = "k8s-no-default-namespace"
    assert violations(rule, resource_type, {}) == [
        "the namespace is 'not set': the resource lands in 'default', shared with everything"
        " nobody placed"
    ]
    assert violations(rule, resource_type, placed) == []
