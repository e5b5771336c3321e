"""What a first real `pulumi up` trips over that the mocks accept: create order, dr's database
credentials, engine version drift, the shared ACM validation record, node CPU alarms."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from policies.gate.ordering import dependency_closure
from tests.infra.recorded import one
from tests.infra.test_config import config_error

RELEASE = "kubernetes:helm.sh/v3:Release"
APP_SECRET = "kubernetes:core/v1:Secret"
DB_CLUSTER = "aws:rds/cluster:Cluster"
DB_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
RECORD = "aws:route53/record:Record"
VALIDATION = "aws:acm/certificateValidation:CertificateValidation"


def closure_names(run, resource) -> set[str]:
    return {item.name for item in dependency_closure(run, resource)}


@pytest.mark.parametrize("stack", ["dev", "prod", "dr"])
def test_the_app_release_waits_for_its_crds_secret_and_database(stack_runs, stack):
    run = stack_runs[stack]
    waits_for = closure_names(run, one(run, RELEASE, f"ticketing-{stack}-services-chart"))
    instances = {instance.name for instance in run.of_type(DB_INSTANCE)}
    assert {
        f"ticketing-{stack}-eks-aws-load-balancer-controller",
        f"ticketing-{stack}-services-app-secret",
        f"ticketing-{stack}-services-namespace",
    } | instances <= waits_for


def test_the_alb_waits_for_the_policy_that_lets_elb_write_its_logs(prod):
    alb = one(prod, "aws:lb/loadBalancer:LoadBalancer", "ticketing-prod-edge-alb")
    assert "ticketing-prod-edge-alb-logs-policy" in closure_names(prod, alb)


def _database_url(run) -> str:
    secret = one(run, APP_SECRET, f"ticketing-{run.stack}-services-app-secret")
    return secret.inputs["stringData"]["TICKETING_DATABASE_URL"]


def test_dr_pods_use_prods_credentials_through_the_global_writer_endpoint(prod, dr):
    (global_cluster,) = prod.of_type("aws:rds/globalCluster:GlobalCluster")
    writer = (
        f"{global_cluster.inputs['globalClusterIdentifier']}.global-abc123.global.rds.amazonaws.com"
    )
    assert prod.outputs["auroraWriterEndpoint"] == writer
    assert urlsplit(_database_url(prod)).hostname == writer
    assert _database_url(dr) == _database_url(prod) == prod.outputs["databaseUrl"]
    assert "databaseUrl" in prod.secret_outputs
    assert "databaseUrl" not in dr.outputs, "dr has no credentials of its own to hand on"
    secret = one(dr, APP_SECRET, "ticketing-dr-services-app-secret")
    assert "stringData" in secret.secret_paths or "stringData.TICKETING_DATABASE_URL" in (
        secret.secret_paths
    )


def test_a_standalone_database_connects_to_its_own_cluster(dev):
    assert urlsplit(_database_url(dev)).hostname.startswith("ticketing-dev-aurora.cluster-")


def test_global_members_leave_minor_upgrades_to_aws(dev, prod, dr):
    for run in (prod, dr):
        members = [*run.of_type(DB_CLUSTER), *run.of_type(DB_INSTANCE)]
        assert members and all("engineVersion" in member.ignore_changes for member in members)
    assert all(
        "engineVersion" not in member.ignore_changes
        for member in [*dev.of_type(DB_CLUSTER), *dev.of_type(DB_INSTANCE)]
    )


def test_only_prod_owns_the_public_names_validation_record(prod, dr):
    assert one(prod, RECORD, "ticketing-prod-edge-cert-validation-public")
    assert [r.name for r in dr.of_type(RECORD) if r.name.endswith("cert-validation-public")] == []
    validation = one(dr, VALIDATION, "ticketing-dr-edge-cert-validation")
    assert "_x1.tickets.example.com" in validation.inputs["validationRecordFqdns"]
    assert len(validation.inputs["validationRecordFqdns"]) == 2


@pytest.mark.parametrize("stack", ["dev", "prod", "dr"])
def test_node_launch_templates_turn_on_detailed_monitoring(stack_runs, stack):
    templates = stack_runs[stack].of_type("aws:ec2/launchTemplate:LaunchTemplate")
    assert len(templates) == 2
    assert all(template.inputs["monitoring"] == {"enabled": True} for template in templates)


def test_dr_may_not_set_a_database_password_of_its_own():
    def add_password(config):
        config["ticketing:databasePassword"] = {"secure": "v1:ZHJzYWx0:cGFzc3dvcmQ="}

    error = config_error(add_password, stack="dr")
    assert error.key == "databasePassword"
    assert "databaseUrl output" in error.allowed and error.value == "<not shown>"
