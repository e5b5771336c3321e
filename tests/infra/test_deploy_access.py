"""`cluster.deployAccess`: how `pulumi up` reaches the cluster API on a first deploy, which creates
the VPC, so a runner inside it cannot be the only way."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from policies.gate.analyze import PackAnalyzer
from policies.gate.deployment import DeploymentError, api_access
from policies.gate.policy_config import load_policy_config
from policies.program_runner import run_program
from policies.rules import ALL_POLICIES
from tests.infra.conftest import REPO_ROOT
from tests.infra.recorded import one
from tests.infra.test_config import config_error, set_path, stack_file_config

CLUSTER = "eks:index:Cluster"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
DEPLOYER = "arn:aws:iam::123456789012:role/platform-deployer"
RUNNER_GROUP = "sg-0123456789abcdef0"


def with_access(access: dict[str, Any]) -> dict[str, Any]:
    config = stack_file_config("dev")
    config["ticketing:cluster"]["deployAccess"] = access
    return config


def mandatory_violations(run, policy_config: dict[str, Any]) -> set[str]:
    analysis = PackAnalyzer(ALL_POLICIES, policy_config).analyze(run.resources, run.config)
    return {violation.policy for violation in analysis.mandatory}


def test_a_stack_without_deploy_access_fails_naming_the_key_and_why():
    error = config_error(lambda config: config["ticketing:cluster"].pop("deployAccess"))
    assert error.key == "cluster.deployAccess"
    assert "cidrs" in error.allowed and "securityGroupIds" in error.allowed
    assert "creates the VPC" in error.allowed


def test_cidrs_turn_on_the_public_endpoint_limited_to_them(dev):
    cluster = one(dev, CLUSTER, "ticketing-dev-eks")
    assert cluster.inputs["endpointPublicAccess"] is True
    assert cluster.inputs["endpointPrivateAccess"] is True
    assert cluster.inputs["publicAccessCidrs"] == ["203.0.113.0/24"]
    assert api_access(dev) == [
        "kubernetes provider reaches ticketing-dev-eks: public endpoint limited to 203.0.113.0/24"
    ]


def test_security_groups_keep_the_endpoint_private_and_open_443_to_the_cluster_group():
    run = run_program(REPO_ROOT, "dev", config=with_access({"securityGroupIds": [RUNNER_GROUP]}))
    cluster = one(run, CLUSTER, "ticketing-dev-eks")
    assert cluster.inputs["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in cluster.inputs
    rule = one(run, INGRESS_RULE, "ticketing-dev-eks-api-from-deployer-0")
    assert rule.inputs["referencedSecurityGroupId"] == RUNNER_GROUP
    assert (rule.inputs["fromPort"], rule.inputs["toPort"]) == (443, 443)
    assert cluster.urn in rule.property_dependencies["securityGroupId"]
    assert api_access(run) == [
        f"kubernetes provider reaches ticketing-dev-eks: private endpoint, 443 from {RUNNER_GROUP}"
    ]
    assert mandatory_violations(run, {}) == set()


def test_a_bad_cidr_or_group_is_named():
    error = config_error(set_path("ticketing:cluster.deployAccess", {"cidrs": ["10.0.0.1/16"]}))
    assert error.key == "cluster.deployAccess.cidrs[0]"
    error = config_error(set_path("ticketing:cluster.deployAccess", {"securityGroupIds": ["g-1"]}))
    assert error.key == "cluster.deployAccess.securityGroupIds[0]"


def test_the_deploying_role_may_not_also_be_an_admin_entry():
    def deployer_is_admin(config: dict[str, Any]) -> None:
        config["ticketing:cluster"]["adminRoleArns"].append(DEPLOYER)

    error = config_error(deployer_is_admin)
    assert error.key == "cluster.adminRoleArns[1]"
    assert "409 ResourceInUseException" in error.allowed


def test_a_public_endpoint_needs_the_stacks_dated_exemption(dev):
    exempted = load_policy_config(REPO_ROOT / "policies" / "stacks" / "dev.json")
    assert mandatory_violations(dev, exempted) == set()
    assert mandatory_violations(dev, {}) == {"aws-eks-no-public-cluster-access"}
    (exemption,) = exempted["aws-eks-no-public-cluster-access"]["exemptions"]
    assert exemption["expires"] and exemption["resource"] == "ticketing-dev-eks"


def test_an_endpoint_open_to_the_internet_stays_a_mandatory_violation():
    run = run_program(REPO_ROOT, "dev", config=with_access({"cidrs": ["0.0.0.0/0"]}))
    exempted = load_policy_config(REPO_ROOT / "policies" / "stacks" / "dev.json")
    assert mandatory_violations(run, exempted) == {"aws-eks-no-public-cluster-access-to-cidr"}


def test_the_preview_stops_when_nothing_can_reach_a_private_api(dev):
    """The cluster as it was: private endpoint only, while the program applies Helm releases."""
    private = [
        dataclasses.replace(
            resource,
            inputs={**resource.inputs, "endpointPublicAccess": False, "publicAccessCidrs": None},
        )
        if resource.type == CLUSTER
        else resource
        for resource in dev.resources
    ]
    with pytest.raises(DeploymentError, match="ticketing-dev-eks: the API endpoint is private"):
        api_access(dataclasses.replace(dev, resources=private))
    without_kubernetes = [r for r in private if not r.type.startswith("kubernetes:")]
    assert api_access(dataclasses.replace(dev, resources=without_kubernetes)) == [
        "kubernetes provider reaches ticketing-dev-eks: private endpoint only (the program"
        " applies nothing through it)"
    ]
