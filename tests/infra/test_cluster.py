"""Cluster: private endpoint, envelope encryption with a rotated CMK, IMDSv2 nodes, scoped IRSA."""

import pytest

from tests.infra.recorded import iam_policies, one, statements, wildcard_problems

CLUSTER = "eks:index:Cluster"
NODE_GROUP = "eks:index:ManagedNodeGroup"


def test_api_endpoint_is_public_only_to_the_deployers_and_secrets_are_encrypted(prod):
    cluster = one(prod, CLUSTER, "ticketing-prod-eks")
    assert cluster.inputs["endpointPrivateAccess"] is True
    assert cluster.inputs["publicAccessCidrs"] == ["203.0.113.0/24"]
    key = one(prod, "aws:kms/key:Key", "ticketing-prod-eks-key")
    assert key.inputs["enableKeyRotation"] is True
    assert cluster.inputs["encryptionConfigKeyArn"].endswith("key/ticketing-prod-eks-key")


def test_all_control_plane_logs_oidc_and_api_authentication(prod):
    cluster = one(prod, CLUSTER, "ticketing-prod-eks")
    assert set(cluster.inputs["enabledClusterLogTypes"]) == {
        "api",
        "audit",
        "authenticator",
        "controllerManager",
        "scheduler",
    }
    assert cluster.inputs["createOidcProvider"] is True
    assert cluster.inputs["skipDefaultNodeGroup"] is True
    assert cluster.inputs["authenticationMode"] == "API"
    entries = cluster.inputs["accessEntries"]
    assert entries["nodes"]["type"] == "EC2_LINUX"
    assert {
        entry["principalArn"] for key, entry in entries.items() if key.startswith("admin-")
    } == {
        "arn:aws:iam::123456789012:role/platform-admin",
        "arn:aws:iam::123456789012:role/oncall-breakglass",
    }


@pytest.mark.parametrize("pool", ["system", "app"])
def test_node_launch_templates_enforce_imdsv2_and_encrypted_gp3(prod, pool):
    template = one(
        prod, "aws:ec2/launchTemplate:LaunchTemplate", f"ticketing-prod-eks-{pool}-nodes-lt"
    )
    metadata = template.inputs["metadataOptions"]
    assert metadata["httpTokens"] == "required"
    assert metadata["httpPutResponseHopLimit"] == 1
    (volume,) = template.inputs["blockDeviceMappings"]
    assert volume["ebs"]["encrypted"] == "true"
    assert volume["ebs"]["volumeType"] == "gp3"
    assert volume["ebs"]["kmsKeyId"].endswith("key/ticketing-prod-eks-key")
    group = one(prod, NODE_GROUP, f"ticketing-prod-eks-{pool}-nodes")
    assert group.inputs["launchTemplate"]["id"] == f"ticketing-prod-eks-{pool}-nodes-lt-id"


def _scaling(run, stack, pool):
    return one(run, NODE_GROUP, f"ticketing-{stack}-eks-{pool}-nodes").inputs["scalingConfig"]


def test_dev_is_small_prod_is_sized_for_the_opening_and_dr_stands_by(dev, prod, dr):
    assert _scaling(dev, "dev", "app") == {"minSize": 1, "desiredSize": 1, "maxSize": 2}
    assert _scaling(prod, "prod", "app") == {"minSize": 2, "desiredSize": 2, "maxSize": 70}
    assert _scaling(dr, "dr", "app") == {"minSize": 2, "desiredSize": 2, "maxSize": 70}
    assert one(dev, NODE_GROUP, "ticketing-dev-eks-app-nodes").inputs["instanceTypes"] == [
        "t3.large",
        "t3a.large",
    ]


def test_add_ons_come_from_their_helm_charts(prod):
    releases = {
        release.inputs["chart"]: release
        for release in prod.of_type("kubernetes:helm.sh/v3:Release")
    }
    assert {"aws-load-balancer-controller", "metrics-server", "cluster-autoscaler"} <= set(releases)
    assert (
        releases["cluster-autoscaler"].inputs["values"]["autoDiscovery"]["clusterName"]
        == "ticketing-prod-eks"
    )
    assert releases["cluster-autoscaler"].inputs["values"]["image"]["tag"] == "v1.33.0"
    assert (
        releases["aws-load-balancer-controller"].inputs["values"]["vpcId"]
        == "ticketing-prod-network-vpc-id"
    )


@pytest.mark.parametrize(
    ("role", "service_account"),
    [
        (
            "ticketing-prod-eks-lb-controller-role",
            "system:serviceaccount:kube-system:aws-load-balancer-controller",
        ),
        (
            "ticketing-prod-eks-cluster-autoscaler-role",
            "system:serviceaccount:kube-system:cluster-autoscaler",
        ),
        ("ticketing-prod-services-app-role", "system:serviceaccount:ticketing:ticketing"),
    ],
)
def test_each_irsa_role_trusts_only_its_service_account(prod, role, service_account):
    (trust,) = statements(one(prod, "aws:iam/role:Role", role).inputs["assumeRolePolicy"])
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert trust["Principal"]["Federated"].startswith("arn:aws:iam::123456789012:oidc-provider/")
    conditions = trust["Condition"]["StringEquals"]
    assert [value for key, value in conditions.items() if key.endswith(":sub")] == [service_account]
    assert [value for key, value in conditions.items() if key.endswith(":aud")] == [
        "sts.amazonaws.com"
    ]


def test_no_iam_policy_uses_wildcards(dev, prod, dr):
    problems = [
        problem
        for run in (dev, prod, dr)
        for name, statement in iam_policies(run)
        for problem in wildcard_problems(name, statement)
    ]
    assert problems == []


def test_autoscaler_may_only_resize_this_clusters_node_groups(prod):
    policy = one(
        prod, "aws:iam/rolePolicy:RolePolicy", "ticketing-prod-eks-cluster-autoscaler-policy"
    )
    (writes,) = [
        s
        for s in statements(policy.inputs["policy"])
        if "autoscaling:SetDesiredCapacity" in s["Action"]
    ]
    assert all("autoScalingGroupName/eks-ticketing-prod-eks-" in arn for arn in writes["Resource"])
    assert writes["Condition"]["StringEquals"] == {
        "aws:ResourceTag/k8s.io/cluster-autoscaler/ticketing-prod-eks": "owned"
    }


def test_load_balancer_controller_registers_targets_only_in_the_app_target_group(prod):
    policy = one(prod, "aws:iam/rolePolicy:RolePolicy", "ticketing-prod-eks-lb-controller-policy")
    (writes,) = [
        s
        for s in statements(policy.inputs["policy"])
        if "elasticloadbalancing:RegisterTargets" in s["Action"]
    ]
    assert writes["Resource"] == [
        "arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:"
        "targetgroup/ticketing-prod-edge-app-tg/73e2d6bc24d8a067"
    ]


def test_pods_accept_traffic_only_from_the_alb_security_group(prod):
    rule = one(
        prod,
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "ticketing-prod-eks-pods-from-alb",
    )
    assert rule.inputs["referencedSecurityGroupId"] == "ticketing-prod-edge-alb-sg-id"
    assert rule.inputs["fromPort"] == rule.inputs["toPort"] == 8000
    assert "cidrIpv4" not in rule.inputs


def test_autoscaler_describes_only_this_clusters_node_groups(prod):
    policy = one(
        prod, "aws:iam/rolePolicy:RolePolicy", "ticketing-prod-eks-cluster-autoscaler-policy"
    )
    (describe,) = [
        s for s in statements(policy.inputs["policy"]) if "eks:DescribeNodegroup" in s["Action"]
    ]
    assert describe["Resource"] == [
        f"arn:aws:eks:ap-northeast-2:123456789012:nodegroup/ticketing-prod-eks/ticketing-prod-eks-{pool}/*"
        for pool in ("system", "app")
    ]


def test_vpc_cni_enforces_network_policies(dev, prod, dr):
    for run in (dev, prod, dr):
        (cluster,) = [r for r in run.resources if r.type == "eks:index:Cluster"]
        assert cluster.inputs["vpcCniOptions"]["enableNetworkPolicy"] is True, (
            "without the CNI's network policy agent the chart's NetworkPolicy is not enforced"
        )
