"""Whole-stack properties: outputs others rely on, component structure, keys, tags, dr mode."""

import copy
import json

import pulumi
import pytest
import yaml

from policies.program_runner import run_program
from tests.infra.conftest import REPO_ROOT
from tests.infra.recorded import descendants, one

EXPORTED = {
    "ingressHostname",
    "albZoneId",
    "clusterName",
    "auroraClusterIdentifier",
    "auroraGlobalClusterIdentifier",
    "auroraClusterArn",
    "alarmTopicArn",
    "region",
}
COMPONENT_TYPES = {
    f"ticketing:{module}:{name}"
    for module, name in (
        ("network", "Network"),
        ("edge", "Edge"),
        ("cluster", "Cluster"),
        ("cache", "Cache"),
        ("database", "Database"),
        ("services", "Services"),
        ("alerting", "Alerting"),
    )
}
REQUIRED_TAGS = {"environment", "system", "role"}


@pytest.mark.parametrize(
    ("stack", "region"),
    [("dev", "ap-northeast-2"), ("prod", "ap-northeast-2"), ("dr", "ap-northeast-1")],
)
def test_each_stack_exports_what_the_others_and_on_call_need(stack_runs, stack, region):
    outputs = stack_runs[stack].outputs
    assert set(outputs) >= EXPORTED
    assert outputs["region"] == region
    assert outputs["ingressHostname"].endswith(".elb.amazonaws.com")
    assert "kubeconfig" in stack_runs[stack].secret_outputs


@pytest.mark.parametrize("stack", ["dev", "prod", "dr"])
def test_every_resource_belongs_to_a_ticketing_component(stack_runs, stack):
    run = stack_runs[stack]
    top_level = [
        resource for resource in run.resources if "::pulumi:pulumi:Stack::" in resource.parent_urn
    ]
    assert {
        resource.type for resource in top_level if resource.type != "pulumi:pulumi:StackReference"
    } <= COMPONENT_TYPES | {"ticketing:routing:Routing"}
    assert {resource.type for resource in top_level} >= COMPONENT_TYPES
    owned = {child.urn for component in top_level for child in descendants(run, component.urn)}
    assert owned | {resource.urn for resource in top_level} == {
        resource.urn for resource in run.resources
    }


@pytest.mark.parametrize("stack", ["dev", "prod", "dr"])
def test_every_kms_key_rotates_and_its_policy_names_each_action(stack_runs, stack):
    keys = stack_runs[stack].of_type("aws:kms/key:Key")
    assert len(keys) >= 6
    assert all(key.inputs["enableKeyRotation"] is True for key in keys)
    for key in keys:
        actions = [
            action
            for statement in json.loads(key.inputs["policy"])["Statement"]
            for action in statement["Action"]
        ]
        assert not [action for action in actions if "*" in action], key.name


def test_taggable_aws_resources_carry_environment_system_and_role(prod):
    untagged = [
        resource.name
        for resource in prod.resources
        if resource.type.startswith("aws:")
        and "tags" in resource.inputs
        and not set(resource.inputs["tags"] or {}) >= REQUIRED_TAGS
    ]
    assert untagged == []
    assert (
        one(prod, "aws:ec2/vpc:Vpc", "ticketing-prod-network-vpc").inputs["tags"]["environment"]
        == "prod"
    )


def test_dr_active_mode_runs_prod_sized(prod):
    config = yaml.safe_load((REPO_ROOT / "Pulumi.dr.yaml").read_text())["config"]
    active = copy.deepcopy(config)
    active["ticketing:dr"]["mode"] = "active"
    run = run_program(REPO_ROOT, "dr", config=active, stack_outputs={"prod": prod.outputs})
    assert one(run, "eks:index:ManagedNodeGroup", "ticketing-dr-eks-app-nodes").inputs[
        "scalingConfig"
    ] == {"minSize": 2, "desiredSize": 2, "maxSize": 70}
    assert (
        one(run, "kubernetes:helm.sh/v3:Release", "ticketing-dr-services-chart").inputs["values"][
            "replicaCount"
        ]
        == 3
    )
    assert len(run.of_type("aws:rds/clusterInstance:ClusterInstance")) == 2


def test_dr_with_recovery_control_exports_the_switch_of_each_target(prod):
    config = yaml.safe_load((REPO_ROOT / "Pulumi.dr.yaml").read_text())["config"]
    config["ticketing:routing"]["recoveryControl"] = True
    run = run_program(REPO_ROOT, "dr", config=config, stack_outputs={"prod": prod.outputs})
    controls = run.outputs["routing"]["routingControls"]
    assert set(controls) == {"prod", "dr"}
    assert {
        control.inputs["name"]
        for control in run.of_type("aws:route53recoverycontrol/routingControl:RoutingControl")
    } == {"ticketing-dr-routing-prod", "ticketing-dr-routing-dr"}
    checks = [
        check
        for check in run.of_type("aws:route53/healthCheck:HealthCheck")
        if check.inputs["type"] == "RECOVERY_CONTROL"
    ]
    assert sorted(check.inputs["routingControlArn"] for check in checks) == sorted(
        controls.values()
    )


def test_every_component_registers_its_outputs(prod, monkeypatch):
    registered: list[str] = []
    original = pulumi.ComponentResource.register_outputs

    def recording(component, outputs):
        if component._type.startswith("ticketing:"):
            registered.append(component._type)
        return original(component, outputs)

    monkeypatch.setattr(pulumi.ComponentResource, "register_outputs", recording)
    run = run_program(REPO_ROOT, "dr", stack_outputs={"prod": prod.outputs})
    components = sorted(
        resource.type for resource in run.resources if resource.type.startswith("ticketing:")
    )
    assert sorted(registered) == components
    assert set(components) == COMPONENT_TYPES | {"ticketing:routing:Routing"}


def test_project_runs_python_from_the_repo_virtualenv():
    project = yaml.safe_load((REPO_ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == "ticketing"
    assert project["runtime"] == {
        "name": "python",
        "options": {"toolchain": "pip", "virtualenv": ".venv"},
    }


@pytest.mark.parametrize("stack", ["dev", "prod", "dr"])
def test_stack_files_hold_secrets_only_as_ciphertext(stack):
    config = yaml.safe_load((REPO_ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    for key in ("redisAuthToken", "databasePassword", "adminToken", "tokenSigningSecret"):
        if stack == "dr" and key == "databasePassword":
            assert f"ticketing:{key}" not in config, "dr uses prod's database credentials"
            continue
        assert set(config[f"ticketing:{key}"]) == {"secure"}, key
