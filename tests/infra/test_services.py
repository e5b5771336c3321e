"""Services: the app chart with the agreed values, secrets only through a Secret, a least-privilege
IRSA role.
"""

import re

from components.config import APP_SECRET_ENV_NAMES
from components.services import CHART_PATH
from tests.infra.recorded import one, statements

RELEASE = "kubernetes:helm.sh/v3:Release"
CONTRACT_KEYS = {
    "image",
    "prescale",
    "replicaCount",
    "resources",
    "autoscaling",
    "podDisruptionBudget",
    "serviceAccount",
    "existingSecret",
    "env",
    "tls",
    "targetGroupBinding",
    "ingress",
    "networkPolicy",
}


def test_chart_values_follow_the_contract(prod):
    release = one(prod, RELEASE, "ticketing-prod-services-chart")
    assert release.inputs["chart"].endswith("app/chart")
    values = release.inputs["values"]
    assert set(values) == CONTRACT_KEYS
    assert values["image"] == {
        "repository": "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/ticketing",
        "tag": "0.1.0",
    }
    assert values["autoscaling"] == {
        "enabled": True,
        "minReplicas": 3,
        "maxReplicas": 240,
        "targetCPUUtilizationPercentage": 55,
    }
    assert values["resources"] == {
        "requests": {"cpu": "1", "memory": "512Mi"},
        "limits": {"cpu": "2", "memory": "1Gi"},
    }
    assert values["existingSecret"] == "ticketing-app"
    assert values["env"]["TICKETING_REDIS_CLUSTER"] == "true", (
        "the cache runs in cluster mode, so the app must use its cluster client"
    )
    assert values["env"]["TICKETING_TRUSTED_PROXIES"] == (
        "10.20.192.0/21,10.20.200.0/21,10.20.208.0/21"
    ), "the app reads X-Forwarded-For only from the ALB's public subnets"
    assert values["tls"] == {"enabled": True}, (
        "HTTPS to the pods with the chart-generated certificate, as the target group expects"
    )
    assert values["targetGroupBinding"] == {
        "enabled": True,
        "targetGroupArn": (
            "arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:"
            "targetgroup/ticketing-prod-edge-app-tg/73e2d6bc24d8a067"
        ),
    }
    assert values["ingress"]["enabled"] is False
    assert values["serviceAccount"]["annotations"] == {
        "eks.amazonaws.com/role-arn": (
            "arn:aws:iam::123456789012:role/ticketing-prod-services-app-role"
        )
    }


def test_chart_network_policy_admits_only_the_vpc(prod):
    values = one(prod, RELEASE, "ticketing-prod-services-chart").inputs["values"]
    assert values["networkPolicy"] == {"enabled": True, "vpcCidrs": ["10.20.0.0/16"]}, (
        "the ALB, Redis and PostgreSQL are in the VPC: the pods' NetworkPolicy admits only it"
    )


def test_dr_standby_runs_fewer_replicas(dr, dev):
    assert one(dr, RELEASE, "ticketing-dr-services-chart").inputs["values"]["replicaCount"] == 3
    assert (
        one(dr, RELEASE, "ticketing-dr-services-chart").inputs["values"]["autoscaling"][
            "minReplicas"
        ]
        == 3
    )
    assert one(dev, RELEASE, "ticketing-dev-services-chart").inputs["values"]["replicaCount"] == 2


def test_connection_strings_reach_the_pods_only_as_secrets(prod):
    secret = one(prod, "kubernetes:core/v1:Secret", "ticketing-prod-services-app-secret")
    assert secret.inputs["metadata"]["name"] == "ticketing-app"
    assert "stringData" in secret.secret_paths
    data = secret.inputs["stringData"]
    assert set(data) == {
        "TICKETING_REDIS_URL",
        "TICKETING_DATABASE_URL",
        "TICKETING_ADMIN_TOKEN",
        "TICKETING_SECRET",
    }
    assert data["TICKETING_REDIS_URL"].startswith("rediss://")
    assert data["TICKETING_DATABASE_URL"].endswith("sslmode=require")
    version = one(
        prod, "aws:secretsmanager/secretVersion:SecretVersion", "ticketing-prod-services-app"
    )
    assert "secretString" in version.secret_paths


def test_app_role_reads_only_its_own_secret_and_decrypts_only_with_its_key(prod):
    policy = one(prod, "aws:iam/rolePolicy:RolePolicy", "ticketing-prod-services-app-policy")
    granted = {
        (tuple(s["Action"]), tuple(s["Resource"])) for s in statements(policy.inputs["policy"])
    }
    key_arn = one(prod, "aws:secretsmanager/secret:Secret", "ticketing-prod-services-app").inputs[
        "kmsKeyId"
    ]
    assert granted == {
        (("secretsmanager:GetSecretValue",), (prod.outputs["appSecretArn"],)),
        (("kms:Decrypt",), (key_arn,)),
    }


def test_app_namespace_enforces_the_restricted_pod_security_standard(prod):
    namespace = one(prod, "kubernetes:core/v1:Namespace", "ticketing-prod-services-namespace")
    assert (
        namespace.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    )


def test_the_secret_holds_exactly_the_variables_the_chart_reads_from_it():
    helpers = (CHART_PATH / "templates" / "_helpers.tpl").read_text()
    (names,) = re.findall(r'define "ticketing.secretEnvNames".*?list ((?:"\w+" ?)+)', helpers, re.S)
    assert tuple(re.findall(r'"(\w+)"', names)) == APP_SECRET_ENV_NAMES


def test_each_region_names_its_own_redis_deployment(prod, dr):
    """dr's pods share prod's database: their Redis copies of events must not fence prod's."""
    deployments = [
        one(stack, RELEASE, f"ticketing-{name}-services-chart").inputs["values"]["env"][
            "TICKETING_DEPLOYMENT"
        ]
        for stack, name in ((prod, "prod"), (dr, "dr"))
    ]
    assert deployments == ["ap-northeast-2", "ap-northeast-1"]
