"""ElastiCache Redis OSS in cluster mode: multi-AZ, KMS at rest, TLS required in transit, AUTH
token.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import quote

import pulumi
import pulumi_aws as aws

from components.config import CacheConfig
from components.kms import encryption_key

REDIS_PORT = 6379
PARAMETER_GROUP = "default.redis7.cluster.on"


def member_ids(replication_group_id: str, shards: int, replicas_per_shard: int) -> list[list[str]]:
    """Node ids ElastiCache gives a cluster-mode group, per shard: `<group>-0001-001`..."""
    return [
        [
            f"{replication_group_id}-{shard:04d}-{node:03d}"
            for node in range(1, replicas_per_shard + 2)
        ]
        for shard in range(1, shards + 1)
    ]


class Cache(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        config: CacheConfig,
        region: str,
        vpc_id: pulumi.Input[str],
        subnet_ids: Sequence[pulumi.Input[str]],
        client_security_group_id: pulumi.Input[str],
        auth_token: pulumi.Output[str],
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("ticketing:cache:Cache", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(tags)
        self.replication_group_id = name
        self.key = encryption_key(
            name,
            "Redis at rest and slow logs",
            self,
            tags,
            service_principals=[f"logs.{region}.amazonaws.com"],
        )
        subnet_group = aws.elasticache.SubnetGroup(
            f"{name}-subnets",
            subnet_ids=list(subnet_ids),
            description="ticketing redis, private subnets",
            tags=tags,
            opts=child,
        )
        security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=vpc_id,
            description="Redis: TLS port from the EKS pods only",
            tags=tags,
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-from-pods",
            security_group_id=security_group.id,
            referenced_security_group_id=client_security_group_id,
            ip_protocol="tcp",
            from_port=REDIS_PORT,
            to_port=REDIS_PORT,
            description="redis from pods",
            tags=tags,
            opts=child,
        )
        slow_log = aws.cloudwatch.LogGroup(
            f"{name}-slow-log",
            name=f"/ticketing/{name}/slow-log",
            retention_in_days=30,
            kms_key_id=self.key.arn,
            tags=tags,
            opts=child,
        )
        self.replication_group = aws.elasticache.ReplicationGroup(
            name,
            replication_group_id=self.replication_group_id,
            description="ticketing waiting room and seat counters",
            engine="redis",
            engine_version=config.engine_version,
            node_type=config.node_type,
            port=REDIS_PORT,
            cluster_mode="enabled",
            parameter_group_name=PARAMETER_GROUP,
            num_node_groups=config.shards,
            replicas_per_node_group=config.replicas_per_shard,
            automatic_failover_enabled=True,
            multi_az_enabled=True,
            at_rest_encryption_enabled=True,
            kms_key_id=self.key.arn,
            transit_encryption_enabled=True,
            transit_encryption_mode="required",
            auth_token=auth_token,
            auth_token_update_strategy="ROTATE",  # noqa: S106 -- a strategy name, not a token
            subnet_group_name=subnet_group.name,
            security_group_ids=[security_group.id],
            snapshot_retention_limit=config.snapshot_retention_days,
            auto_minor_version_upgrade=True,
            log_delivery_configurations=[
                {
                    "destination": slow_log.name,
                    "destination_type": "cloudwatch-logs",
                    "log_format": "json",
                    "log_type": "slow-log",
                }
            ],
            tags=tags,
            opts=child,
        )
        self.members_by_shard = member_ids(
            self.replication_group_id, config.shards, config.replicas_per_shard
        )
        self.endpoint = self.replication_group.configuration_endpoint_address
        # Cluster mode: the app must route by hash slot with its cluster client.
        self.client_env = {"TICKETING_REDIS_CLUSTER": "true"}
        self.url: pulumi.Output[str] = pulumi.Output.secret(
            pulumi.Output.format(
                "rediss://:{0}@{1}:{2}/0",
                auth_token.apply(lambda token: quote(token, safe="")),
                self.endpoint,
                REDIS_PORT,
            )
        )
        self.register_outputs(
            {"replicationGroupId": self.replication_group_id, "endpoint": self.endpoint}
        )
