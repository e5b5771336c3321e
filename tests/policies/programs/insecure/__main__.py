"""Everything a reviewer should refuse: open admin ports, a public unencrypted bucket, an
unencrypted database with a plain-text password, a wildcard IAM policy and a public EKS
endpoint. The policy gate tests run this program and expect it to be blocked."""

import json

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks

config = pulumi.Config()

vpc = aws.ec2.Vpc("sample", cidr_block="10.0.0.0/16")

admin = aws.ec2.SecurityGroup(
    "admin",
    vpc_id=vpc.id,
    description="admin access",
    ingress=[
        aws.ec2.SecurityGroupIngressArgs(
            protocol="tcp", from_port=22, to_port=22, cidr_blocks=[config.require("adminCidr")]
        )
    ],
    egress=[
        aws.ec2.SecurityGroupEgressArgs(
            protocol="-1", from_port=0, to_port=0, cidr_blocks=["0.0.0.0/0"]
        )
    ],
)

bucket = aws.s3.Bucket("uploads")
aws.s3.BucketPublicAccessBlock(
    "uploads",
    bucket=bucket.id,
    block_public_acls=False,
    block_public_policy=False,
    ignore_public_acls=False,
    restrict_public_buckets=False,
)
aws.s3.BucketAclV2("uploads", bucket=bucket.id, acl="public-read")

database = aws.rds.Cluster(
    "orders",
    engine="aurora-postgresql",
    master_username="admin",
    master_password=config.require_secret("dbPassword"),
    storage_encrypted=False,
    skip_final_snapshot=True,
    backup_retention_period=1,
)

aws.iam.Policy(
    "everything",
    policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        }
    ),
)

cluster = eks.Cluster(
    "apps",
    vpc_id=vpc.id,
    endpoint_public_access=True,
    endpoint_private_access=False,
    enabled_cluster_log_types=[],
    skip_default_node_group=True,
)

node_role = aws.iam.Role(
    "workers",
    assume_role_policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    ),
    managed_policy_arns=["arn:aws:iam::aws:policy/AdministratorAccess"],
)
eks.ManagedNodeGroup(
    "workers",
    cluster=cluster,
    node_role=node_role,
    instance_types=["m7g.large"],
    scaling_config={"min_size": 1, "desired_size": 2, "max_size": 3},
)

pulumi.export("databasePassword", database.master_password)
pulumi.export("bucketName", bucket.bucket)
pulumi.export("clusterName", cluster.eks_cluster.name)
pulumi.export(
    "oidcProviderArn",
    cluster.core.oidc_provider.apply(lambda provider: provider.arn if provider else None),
)
