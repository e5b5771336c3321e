"""EKS: private API endpoint, envelope-encrypted secrets, control-plane logs, managed node groups
with IMDSv2, IRSA, and the add-ons the platform needs (load balancer controller, metrics-server,
cluster-autoscaler) from their Helm charts."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, cast

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks
import pulumi_kubernetes as k8s

from components.config import ClusterConfig, NodeGroupConfig
from components.edge import APP_PORT
from components.irsa import irsa_role
from components.kms import encryption_key

CLUSTER_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
NODE_MANAGED_POLICIES = (
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
    "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
)
CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
ADDON_NAMESPACE = "kube-system"
KUBERNETES_API_PORT = 443
LOAD_BALANCER_CONTROLLER_CHART = (
    "aws-load-balancer-controller",
    "1.13.4",
    "https://aws.github.io/eks-charts",
)
METRICS_SERVER_CHART = (
    "metrics-server",
    "3.12.2",
    "https://kubernetes-sigs.github.io/metrics-server/",
)
CLUSTER_AUTOSCALER_CHART = (
    "cluster-autoscaler",
    "9.50.1",
    "https://kubernetes.github.io/autoscaler",
)
# Read-only calls that AWS does not scope to a resource: the only statements with Resource "*".
LOAD_BALANCER_CONTROLLER_READS = (
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeInstances",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcs",
    "ec2:DescribeTags",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetGroupAttributes",
    "elasticloadbalancing:DescribeTargetHealth",
    "elasticloadbalancing:DescribeLoadBalancerAttributes",
    "elasticloadbalancing:DescribeListenerAttributes",
)
CLUSTER_AUTOSCALER_READS = (
    "autoscaling:DescribeAutoScalingGroups",
    "autoscaling:DescribeAutoScalingInstances",
    "autoscaling:DescribeLaunchConfigurations",
    "autoscaling:DescribeScalingActivities",
    "autoscaling:DescribeTags",
    "ec2:DescribeImages",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeLaunchTemplateVersions",
    "ec2:GetInstanceTypesFromInstanceRequirements",
)
# Scoped to our node groups' ARNs: the one autoscaler read that takes a resource.
CLUSTER_AUTOSCALER_SCOPED_READS = ("eks:DescribeNodegroup",)


def _policy(statements: list[dict[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def load_balancer_controller_policy(target_group_arns: Sequence[str]) -> str:
    """Enough for TargetGroupBinding (the ALB itself is a Pulumi resource): register pods in our
    target groups.
    """
    return _policy(
        [
            {"Effect": "Allow", "Action": list(LOAD_BALANCER_CONTROLLER_READS), "Resource": "*"},
            {
                "Effect": "Allow",
                "Action": [
                    "elasticloadbalancing:RegisterTargets",
                    "elasticloadbalancing:DeregisterTargets",
                ],
                "Resource": list(target_group_arns),
            },
        ]
    )


def cluster_autoscaler_policy(
    region: str, account_id: str, cluster_name: str, node_group_names: Sequence[str]
) -> str:
    groups = [
        f"arn:aws:autoscaling:{region}:{account_id}:autoScalingGroup:*:autoScalingGroupName/eks-{name}-*"
        for name in node_group_names
    ]
    node_groups = [
        f"arn:aws:eks:{region}:{account_id}:nodegroup/{cluster_name}/{name}/*"
        for name in node_group_names
    ]
    return _policy(
        [
            {"Effect": "Allow", "Action": list(CLUSTER_AUTOSCALER_READS), "Resource": "*"},
            {
                "Effect": "Allow",
                "Action": list(CLUSTER_AUTOSCALER_SCOPED_READS),
                "Resource": node_groups,
            },
            {
                "Effect": "Allow",
                "Action": [
                    "autoscaling:SetDesiredCapacity",
                    "autoscaling:TerminateInstanceInAutoScalingGroup",
                ],
                "Resource": groups,
                "Condition": {
                    "StringEquals": {
                        f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster_name}": "owned"
                    }
                },
            },
        ]
    )


class Cluster(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        config: ClusterConfig,
        region: str,
        vpc_id: pulumi.Input[str],
        private_subnet_ids: Sequence[pulumi.Input[str]],
        target_group_arns: Sequence[pulumi.Input[str]],
        alb_security_group_id: pulumi.Input[str],
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("ticketing:cluster:Cluster", name, None, opts)
        self._name = name
        self._tags = dict(tags)
        self.cluster_name = name
        account_id = aws.get_caller_identity_output().account_id
        autoscaling_role = account_id.apply(
            lambda account: (
                f"arn:aws:iam::{account}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
            )
        )
        self.key = encryption_key(
            name,
            "EKS secrets envelope encryption and node volumes",
            self,
            self._tags,
            service_principals=[f"logs.{region}.amazonaws.com"],
            role_arns=[autoscaling_role],
        )
        # Created before the cluster, or EKS creates it unencrypted and without retention.
        control_plane_logs = aws.cloudwatch.LogGroup(
            f"{name}-control-plane-logs",
            name=f"/aws/eks/{self.cluster_name}/cluster",
            retention_in_days=config.log_retention_days,
            kms_key_id=self.key.arn,
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.node_role = self._node_role()
        self.eks = eks.Cluster(
            name,
            name=self.cluster_name,
            version=config.version,
            vpc_id=vpc_id,
            private_subnet_ids=list(private_subnet_ids),
            node_associate_public_ip_address=False,
            endpoint_private_access=True,
            endpoint_public_access=config.deploy_access.public_endpoint,
            public_access_cidrs=list(config.deploy_access.cidrs) or None,
            encryption_config_key_arn=self.key.arn,
            enabled_cluster_log_types=list(CLUSTER_LOG_TYPES),
            create_oidc_provider=True,
            # The VPC CNI's network policy agent enforces the chart's NetworkPolicy.
            vpc_cni_options=eks.VpcCniOptionsArgs(enable_network_policy=True),
            skip_default_node_group=True,
            skip_default_security_groups=True,
            authentication_mode=eks.AuthenticationMode.API,
            access_entries={
                "nodes": eks.AccessEntryArgs(
                    principal_arn=self.node_role.arn,
                    type=eks.AccessEntryType.EC2_LINUX,
                ),
                **{
                    f"admin-{index}": eks.AccessEntryArgs(
                        principal_arn=arn,
                        access_policies={
                            "cluster-admin": eks.AccessPolicyAssociationArgs(
                                policy_arn=CLUSTER_ADMIN_POLICY,
                                access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(
                                    type="cluster"
                                ),
                            )
                        },
                    )
                    for index, arn in enumerate(config.admin_role_arns)
                },
            },
            tags=self._tags,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[control_plane_logs],
            ),
        )
        self.node_groups = {
            "system": self._node_group("system", config.system_nodes, private_subnet_ids),
            "app": self._node_group("app", config.app_nodes, private_subnet_ids),
        }
        # pulumi-eks types the node group output loosely; the name is a string once resolved
        self.asg_names: dict[str, pulumi.Output[str]] = {
            pool: cast(
                pulumi.Output[str],
                group.node_group.apply(
                    lambda node_group: node_group.resources[0].autoscaling_groups[0].name
                ),
            )
            for pool, group in self.node_groups.items()
        }
        # With skip_default_security_groups the EKS-created group is on every managed node
        # and pod ENI.
        self.security_group_id = self.eks.cluster_security_group_id
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-pods-from-alb",
            security_group_id=self.security_group_id,
            referenced_security_group_id=alb_security_group_id,
            ip_protocol="tcp",
            from_port=APP_PORT,
            to_port=APP_PORT,
            description="ALB to the ticketing pods",
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        for index, group_id in enumerate(config.deploy_access.security_group_ids):
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-api-from-deployer-{index}",
                security_group_id=self.security_group_id,
                referenced_security_group_id=group_id,
                ip_protocol="tcp",
                from_port=KUBERNETES_API_PORT,
                to_port=KUBERNETES_API_PORT,
                description="pulumi up runner to the cluster API",
                tags=self._tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.oidc_provider_arn = self.eks.oidc_provider_arn
        self.oidc_provider_url = self.eks.oidc_provider_url
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.eks.kubeconfig_json,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._addons(region, vpc_id, account_id, target_group_arns, config.version)
        self.register_outputs(
            {
                "clusterName": self.cluster_name,
                "oidcProviderArn": self.oidc_provider_arn,
                "securityGroupId": self.security_group_id,
                "kubeconfig": pulumi.Output.secret(self.eks.kubeconfig_json),
            }
        )

    def _node_role(self) -> aws.iam.Role:
        role = aws.iam.Role(
            f"{self._name}-node-role",
            assume_role_policy=_policy(
                [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "ec2.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ]
            ),
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        for policy_arn in NODE_MANAGED_POLICIES:
            short = policy_arn.rsplit("/", 1)[-1].lower().replace("_", "-")
            aws.iam.RolePolicyAttachment(
                f"{self._name}-node-{short}",
                role=role.name,
                policy_arn=policy_arn,
                opts=pulumi.ResourceOptions(parent=self),
            )
        return role

    def _launch_template(self, disk_size_gb: int, pool: str) -> aws.ec2.LaunchTemplate:
        # Hop limit 1 keeps pods off the node's instance credentials: they get AWS access
        # through IRSA only.
        return aws.ec2.LaunchTemplate(
            f"{self._name}-{pool}-nodes-lt",
            # One-minute instance metrics: the node CPU alarms evaluate 60 s periods.
            monitoring=aws.ec2.LaunchTemplateMonitoringArgs(enabled=True),
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",
                http_put_response_hop_limit=1,
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name="/dev/xvda",
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=disk_size_gb,
                        volume_type="gp3",
                        encrypted="true",
                        kms_key_id=self.key.arn,
                        delete_on_termination="true",
                    ),
                )
            ],
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(
                    resource_type=kind,
                    tags=self._tags,
                )
                for kind in ("instance", "volume")
            ],
            update_default_version=True,
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _node_group(
        self, pool: str, config: NodeGroupConfig, subnet_ids: Sequence[pulumi.Input[str]]
    ) -> eks.ManagedNodeGroup:
        launch_template = self._launch_template(config.disk_size_gb, pool)
        return eks.ManagedNodeGroup(
            f"{self._name}-{pool}-nodes",
            cluster=self.eks,
            node_group_name=f"{self._name}-{pool}",
            node_role_arn=self.node_role.arn,
            subnet_ids=list(subnet_ids),
            instance_types=list(config.instance_types),
            capacity_type=config.capacity_type,
            scaling_config={
                "min_size": config.min_size,
                "desired_size": config.desired_size,
                "max_size": config.max_size,
            },
            launch_template={
                "id": launch_template.id,
                "version": launch_template.latest_version.apply(str),
            },
            ignore_scaling_changes=True,
            labels={"ticketing/pool": pool},
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _addons(
        self,
        region: str,
        vpc_id: pulumi.Input[str],
        account_id: pulumi.Output[str],
        target_group_arns: Sequence[pulumi.Input[str]],
        kubernetes_version: str,
    ) -> None:
        controller_role = irsa_role(
            f"{self._name}-lb-controller",
            self.oidc_provider_arn,
            self.oidc_provider_url,
            ADDON_NAMESPACE,
            "aws-load-balancer-controller",
            pulumi.Output.all(*target_group_arns).apply(load_balancer_controller_policy),
            self,
            self._tags,
        )
        # Installs the TargetGroupBinding CRD and its webhook, which the app's release uses.
        self.load_balancer_controller = self._chart(
            LOAD_BALANCER_CONTROLLER_CHART,
            {
                "clusterName": self.cluster_name,
                "region": region,
                "vpcId": vpc_id,
                "replicaCount": 2,
                "enableServiceMutatorWebhook": False,
                "serviceAccount": {
                    "create": True,
                    "name": "aws-load-balancer-controller",
                    "annotations": {"eks.amazonaws.com/role-arn": controller_role.arn},
                },
            },
        )
        self._chart(
            METRICS_SERVER_CHART,
            {"replicas": 2, "args": ["--kubelet-preferred-address-types=InternalIP"]},
        )
        node_group_names = [f"{self._name}-{pool}" for pool in self.node_groups]
        autoscaler_role = irsa_role(
            f"{self._name}-cluster-autoscaler",
            self.oidc_provider_arn,
            self.oidc_provider_url,
            ADDON_NAMESPACE,
            "cluster-autoscaler",
            account_id.apply(
                lambda account: cluster_autoscaler_policy(
                    region, account, self.cluster_name, node_group_names
                )
            ),
            self,
            self._tags,
        )
        self._chart(
            CLUSTER_AUTOSCALER_CHART,
            {
                "autoDiscovery": {"clusterName": self.cluster_name},
                # The autoscaler's minor version must match the cluster's.
                "image": {"tag": f"v{kubernetes_version}.0"},
                "awsRegion": region,
                "extraArgs": {
                    "balance-similar-node-groups": True,
                    "skip-nodes-with-system-pods": False,
                    "expander": "least-waste",
                },
                "rbac": {
                    "serviceAccount": {
                        "create": True,
                        "name": "cluster-autoscaler",
                        "annotations": {"eks.amazonaws.com/role-arn": autoscaler_role.arn},
                    }
                },
            },
        )

    def _chart(
        self, chart: tuple[str, str, str], values: Mapping[str, object]
    ) -> k8s.helm.v3.Release:
        chart_name, version, repository = chart
        return k8s.helm.v3.Release(
            f"{self._name}-{chart_name}",
            name=chart_name,
            chart=chart_name,
            version=version,
            namespace=ADDON_NAMESPACE,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=repository),
            values=dict(values),
            atomic=True,
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=self.provider,
                depends_on=list(self.node_groups.values()),
            ),
        )
