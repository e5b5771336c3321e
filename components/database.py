"""Aurora PostgreSQL: CMK-encrypted, TLS forced, backed up; in prod the primary of a global
database whose secondary lives in the dr stack.

Global failover and switchover are API operations (ops/), not declarative state: after one, the
clusters' global membership fields differ from what this program declared, hence `ignore_changes`.
The pods of both regions connect through the global writer endpoint, which follows the writer
across a switchover; the secondary has no credentials of its own (dr reads prod's database URL).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import quote

import pulumi
import pulumi_aws as aws

from components.config import DatabaseConfig
from components.kms import encryption_key

ENGINE = aws.rds.EngineType.AURORA_POSTGRESQL
PORT = 5432
DATABASE_NAME = "ticketing"
MASTER_USERNAME = "ticketing_admin"
GLOBAL_MEMBERSHIP_FIELDS = ["globalClusterIdentifier", "replicationSourceIdentifier"]
# AWS upgrades the minor version of global members by itself; upgrades go through the global
# cluster, so the members' declared version must not fight it.
GLOBAL_MEMBER_DRIFT_FIELDS = ["engineVersion"]
ENHANCED_MONITORING_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"


class Database(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        config: DatabaseConfig,
        region: str,
        vpc_id: pulumi.Input[str],
        subnet_ids: Sequence[pulumi.Input[str]],
        client_security_group_id: pulumi.Input[str],
        master_password: pulumi.Output[str] | None,
        tags: Mapping[str, str],
        primary_global_cluster_identifier: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("ticketing:database:Database", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(tags)
        self.cluster_identifier = name
        major_version = config.engine_version.split(".")[0]
        self.key = encryption_key(
            name,
            "Aurora storage, Performance Insights and logs",
            self,
            tags,
            service_principals=[f"logs.{region}.amazonaws.com"],
        )
        # Created before the cluster, or RDS creates it unencrypted and without retention.
        postgresql_log = aws.cloudwatch.LogGroup(
            f"{name}-postgresql-log",
            name=f"/aws/rds/cluster/{name}/postgresql",
            retention_in_days=90,
            kms_key_id=self.key.arn,
            tags=tags,
            opts=child,
        )
        subnet_group = aws.rds.SubnetGroup(
            f"{name}-subnets",
            subnet_ids=list(subnet_ids),
            description="ticketing aurora, private subnets",
            tags=tags,
            opts=child,
        )
        security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=vpc_id,
            description="Aurora: PostgreSQL from the EKS pods only",
            tags=tags,
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-from-pods",
            security_group_id=security_group.id,
            referenced_security_group_id=client_security_group_id,
            ip_protocol="tcp",
            from_port=PORT,
            to_port=PORT,
            description="postgresql from pods",
            tags=tags,
            opts=child,
        )
        parameters = aws.rds.ClusterParameterGroup(
            f"{name}-params",
            family=f"aurora-postgresql{major_version}",
            description="ticketing: TLS only",
            parameters=[
                {"name": "rds.force_ssl", "value": "1"},
                {"name": "log_min_duration_statement", "value": "500"},
                # Every schema change in the exported postgresql log: a cheap audit trail.
                {"name": "log_statement", "value": "ddl"},
            ],
            tags=tags,
            opts=child,
        )
        self.writer_endpoint: pulumi.Output[str] | None = None
        """The global writer endpoint (primary only): it always names the current writer."""
        self.global_cluster_identifier = self._global_cluster(
            name, config, primary_global_cluster_identifier, tags
        )
        is_secondary = config.global_role == "secondary"
        if (master_password is None) != is_secondary:
            raise ValueError("exactly the secondary of a global database has no master password")
        drift = GLOBAL_MEMBER_DRIFT_FIELDS if config.global_role != "standalone" else []
        self.cluster = aws.rds.Cluster(
            name,
            cluster_identifier=name,
            engine=ENGINE,
            engine_version=config.engine_version,
            global_cluster_identifier=self.global_cluster_identifier,
            database_name=None if is_secondary else DATABASE_NAME,
            master_username=None if is_secondary else MASTER_USERNAME,
            master_password=None if is_secondary else master_password,
            storage_encrypted=True,
            kms_key_id=self.key.arn,
            db_subnet_group_name=subnet_group.name,
            vpc_security_group_ids=[security_group.id],
            db_cluster_parameter_group_name=parameters.name,
            port=PORT,
            backup_retention_period=config.backup_retention_days,
            preferred_backup_window="18:00-19:00",
            copy_tags_to_snapshot=True,
            deletion_protection=config.deletion_protection,
            skip_final_snapshot=not config.deletion_protection,
            final_snapshot_identifier=f"{name}-final" if config.deletion_protection else None,
            iam_database_authentication_enabled=True,
            enabled_cloudwatch_logs_exports=["postgresql"],
            tags=tags,
            opts=pulumi.ResourceOptions(
                parent=self,
                ignore_changes=GLOBAL_MEMBERSHIP_FIELDS + drift,
                protect=config.deletion_protection,
                depends_on=[postgresql_log],
            ),
        )
        monitoring_role = aws.iam.Role(
            f"{name}-monitoring-role",
            assume_role_policy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"monitoring.rds.amazonaws.com"},"Action":"sts:AssumeRole"}]}',
            tags=tags,
            opts=child,
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-monitoring",
            role=monitoring_role.name,
            policy_arn=ENHANCED_MONITORING_POLICY,
            opts=child,
        )
        self.instances = [
            aws.rds.ClusterInstance(
                f"{name}-{index}",
                identifier=f"{name}-{index}",
                cluster_identifier=self.cluster.id,
                engine=ENGINE,
                engine_version=config.engine_version,
                instance_class=config.instance_class,
                db_subnet_group_name=subnet_group.name,
                publicly_accessible=False,
                auto_minor_version_upgrade=True,
                performance_insights_enabled=True,
                performance_insights_kms_key_id=self.key.arn,
                performance_insights_retention_period=7,
                monitoring_interval=30,
                monitoring_role_arn=monitoring_role.arn,
                promotion_tier=index,
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self, ignore_changes=drift),
            )
            for index in range(config.instances)
        ]
        self.arn = self.cluster.arn
        self.endpoint = self.cluster.endpoint
        self.url: pulumi.Output[str] | None = None
        """What the pods connect with; None in the secondary, which uses the primary's."""
        if master_password is not None:
            self.url = pulumi.Output.secret(
                pulumi.Output.format(
                    "postgresql://{0}:{1}@{2}:{3}/{4}?sslmode=require",
                    MASTER_USERNAME,
                    master_password.apply(lambda password: quote(password, safe="")),
                    self.writer_endpoint or self.endpoint,
                    PORT,
                    DATABASE_NAME,
                )
            )
        self.register_outputs(
            {
                "clusterIdentifier": self.cluster_identifier,
                "clusterArn": self.arn,
                "endpoint": self.endpoint,
                "globalClusterIdentifier": self.global_cluster_identifier,
            }
        )

    def _global_cluster(
        self,
        name: str,
        config: DatabaseConfig,
        primary_identifier: pulumi.Input[str] | None,
        tags: dict[str, str],
    ) -> pulumi.Input[str] | None:
        if config.global_role == "secondary":
            if primary_identifier is None:
                raise ValueError(
                    "a secondary Aurora cluster needs the primary stack's global cluster identifier"
                )
            return primary_identifier
        if config.global_role != "primary":
            return None
        global_cluster = aws.rds.GlobalCluster(
            f"{name}-global",
            global_cluster_identifier=f"{name}-global",
            engine=ENGINE,
            engine_version=config.engine_version,
            database_name=DATABASE_NAME,
            storage_encrypted=True,
            deletion_protection=config.deletion_protection,
            tags=tags,
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=config.deletion_protection,
            ),
        )
        self.writer_endpoint = global_cluster.endpoint
        return global_cluster.global_cluster_identifier
