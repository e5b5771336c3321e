"""Database rules: RDS/Aurora clusters, instances and global clusters; ElastiCache Redis."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import EnforcementLevel, Policy, Severity, StackValidationArgs

from policies.rule import resource_rule, stack_rule
from policies.rules.values import (
    as_list,
    identities,
    is_aws_managed_key,
    is_true,
    is_unknown,
    lookup,
    must_be_true,
    refers_to,
    shown,
    with_plain_props,
)

RDS_CLUSTER = "aws:rds/cluster:Cluster"
RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
RDS_GLOBAL_CLUSTER = "aws:rds/globalCluster:GlobalCluster"
ELASTICACHE_REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
ELASTICACHE_CLUSTER = "aws:elasticache/cluster:Cluster"
ELASTICACHE_SERVERLESS_CACHE = "aws:elasticache/serverlessCache:ServerlessCache"
RDS_CLUSTER_PARAMETER_GROUP = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
MYSQL_ENGINES = frozenset({"mysql", "aurora-mysql", "aurora"})
"""Engines whose `audit` log (the MariaDB audit plugin) is what an export must include."""
POSTGRES_QUERY_LOG_PARAMETERS = ("log_statement", "log_min_duration_statement")
"""Aurora PostgreSQL logs no statement unless these are set in the cluster parameter group."""

MIN_BACKUP_RETENTION_DAYS = 2
"""Trivy's bar: AWS's default of 1 day leaves no margin to notice a bad change before its backup
ages out.
"""


def _is_replica(props: dict[str, Any]) -> bool:
    """Read replicas and global secondaries inherit encryption and backups from their source."""
    return any(
        lookup(props, field) is not None
        for field in (
            "replicateSourceDb",
            "replicationSourceIdentifier",
            "sourceDbClusterIdentifier",
        )
    )


def _storage_encryption_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    if not _is_replica(props):
        yield from must_be_true(props, "storageEncrypted")


def _cluster_storage_encryption_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    """Trivy's AVD-AWS-0079 asks an encrypted cluster for a customer managed key as well."""
    yield from _storage_encryption_findings(props, args)
    key = lookup(props, "kmsKeyId")
    if (
        args.resource_type == RDS_CLUSTER
        and is_true(lookup(props, "storageEncrypted"))
        and is_aws_managed_key(key, "rds")
    ):
        yield (
            f"kmsKeyId is {shown(key)}, so the storage is encrypted with the AWS managed aws/rds"
            " key, not a customer managed key"
        )


def _backup_retention_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    if _is_replica(props):
        return
    days = lookup(props, "backupRetentionPeriod")
    if is_unknown(days):
        return
    if (
        not isinstance(days, (int, float))
        or isinstance(days, bool)
        or days < MIN_BACKUP_RETENTION_DAYS
    ):
        yield (
            f"backupRetentionPeriod is {shown(days)} (AWS default 1); keep at least"
            f" {MIN_BACKUP_RETENTION_DAYS} days"
        )


def _performance_insights_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    if args.resource_type == RDS_CLUSTER and lookup(props, "dbClusterInstanceClass") is None:
        return  # an Aurora cluster: Performance Insights is set on its cluster instances
    yield from must_be_true(props, "performanceInsightsEnabled")


def _performance_insights_key_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    key = lookup(props, "performanceInsightsKmsKeyId")
    if is_true(lookup(props, "performanceInsightsEnabled")) and is_aws_managed_key(key, "rds"):
        yield (
            f"performanceInsightsKmsKeyId is {shown(key)}, so Performance Insights data uses the"
            " AWS-managed aws/rds key"
        )


def _public_access_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    if is_true(lookup(props, "publiclyAccessible")):
        yield (
            f"publiclyAccessible is {lookup(props, 'publiclyAccessible')!r}: the database gets a"
            " public DNS name and IP"
        )


def _deletion_protection_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    yield from must_be_true(props, "deletionProtection")


def _iam_auth_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    yield from must_be_true(props, "iamDatabaseAuthenticationEnabled")


def _log_export_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    exports = lookup(props, "enabledCloudwatchLogsExports")
    if is_unknown(exports):
        return
    if not as_list(exports):
        yield (
            f"enabledCloudwatchLogsExports is {shown(exports)}: the database's logs stay on the"
            " instances and age out"
        )
    elif str(lookup(props, "engine")) in MYSQL_ENGINES and "audit" not in as_list(exports):
        yield f"enabledCloudwatchLogsExports is {exports!r}: a MySQL engine's audit log is missing"


def _minor_upgrade_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    upgrade = lookup(props, "autoMinorVersionUpgrade")
    if upgrade is not None and not is_true(upgrade) and not is_unknown(upgrade):
        yield f"autoMinorVersionUpgrade is {upgrade!r}: security patches wait for someone"


def _copy_tags_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    yield from must_be_true(props, "copyTagsToSnapshot")


def _unlogged_postgres_clusters(args: StackValidationArgs) -> Iterator[tuple[Any, str]]:
    groups = [r for r in args.resources if r.resource_type == RDS_CLUSTER_PARAMETER_GROUP]
    for cluster in args.resources:
        if cluster.resource_type != RDS_CLUSTER:
            continue
        if lookup(cluster.props, "engine") != "aurora-postgresql":
            continue
        field = "dbClusterParameterGroupName"
        chosen = [g for g in groups if refers_to(cluster, field, g, identities(g, "name"))]
        name = lookup(cluster.props, field)
        if is_unknown(name) and not chosen:
            continue  # a group only the deploy knows
        parameters = [
            lookup(parameter, "name")
            for group in chosen
            for parameter in as_list(lookup(group.props, "parameters"))
        ]
        missing = [p for p in POSTGRES_QUERY_LOG_PARAMETERS if p not in parameters]
        if missing:
            yield (
                cluster,
                f"the cluster parameter group {shown(name)} does not set {missing}: no statement"
                " reaches the postgresql log",
            )


def _enhanced_monitoring_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    interval = lookup(props, "monitoringInterval")
    if is_unknown(interval):
        return
    if not isinstance(interval, (int, float)) or isinstance(interval, bool) or interval <= 0:
        yield f"monitoringInterval is {shown(interval)}: no OS-level metrics (enhanced monitoring)"


def _cache_multi_az_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    yield from must_be_true(props, "multiAzEnabled")
    yield from must_be_true(props, "automaticFailoverEnabled")


def _inherits_from_replication_group(props: dict[str, Any]) -> bool:
    """A cache cluster that joins a replication group takes its settings from the group."""
    return lookup(props, "replicationGroupId") is not None


def _cache_at_rest_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    yield from must_be_true(props, "atRestEncryptionEnabled")


def _cache_auth_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    """AUTH token (Redis AUTH) or RBAC user groups: either way a client must authenticate."""
    token, user_groups = lookup(props, "authToken"), lookup(props, "userGroupIds")
    if is_unknown(token) or is_unknown(user_groups) or token or as_list(user_groups):
        return
    yield "authToken is not set and userGroupIds is empty: any client on the network can connect"


def _cache_customer_key_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    key = lookup(props, "kmsKeyId")
    if not is_true(lookup(props, "atRestEncryptionEnabled")) or is_unknown(key):
        return
    if is_aws_managed_key(key, "elasticache"):
        yield (
            f"kmsKeyId is {shown(key)}, so data at rest is encrypted with the AWS managed"
            " ElastiCache key, not a customer managed key"
        )


def _cache_in_transit_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    if _inherits_from_replication_group(props):
        return
    yield from must_be_true(props, "transitEncryptionEnabled")
    mode = lookup(props, "transitEncryptionMode")
    if mode == "preferred":
        yield (
            "transitEncryptionMode is 'preferred', so plaintext connections are still accepted; use"
            " 'required'"
        )


def _cache_backup_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    if _inherits_from_replication_group(props) or lookup(props, "engine") == "memcached":
        return
    days = lookup(props, "snapshotRetentionLimit")
    if is_unknown(days):
        return
    if not isinstance(days, (int, float)) or isinstance(days, bool) or days < 1:
        yield f"snapshotRetentionLimit is {shown(days)}; no automatic snapshots are kept"


POLICIES: list[Policy] = [
    resource_rule(
        name="aws-rds-encrypt-cluster-storage-data",
        description="RDS/Aurora clusters and global clusters encrypt storage at rest.",
        severity=Severity.HIGH,
        enforcement=EnforcementLevel.MANDATORY,
        resource_types=[RDS_CLUSTER, RDS_GLOBAL_CLUSTER],
        remediation=(
            "set `storage_encrypted=True` and `kms_key_id` (a customer-managed key) on"
            " aws.rds.Cluster; `storage_encrypted=True` on aws.rds.GlobalCluster."
        ),
        trivy_ids=["AVD-AWS-0079"],
        checkov_ids=["CKV_AWS_96", "CKV_AWS_140", "CKV_AWS_327"],
        check=with_plain_props(_cluster_storage_encryption_findings),
    ),
    resource_rule(
        name="aws-rds-encrypt-instance-storage-data",
        description="RDS instances encrypt storage at rest.",
        severity=Severity.HIGH,
        enforcement=EnforcementLevel.MANDATORY,
        resource_types=[RDS_INSTANCE],
        remediation="set `storage_encrypted=True` and `kms_key_id` on aws.rds.Instance.",
        trivy_ids=["AVD-AWS-0080"],
        check=with_plain_props(_storage_encryption_findings),
    ),
    resource_rule(
        name="aws-rds-specify-backup-retention",
        description=(
            "RDS clusters and instances keep automated backups for at least"
            f" {MIN_BACKUP_RETENTION_DAYS} days."
        ),
        severity=Severity.MEDIUM,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[RDS_CLUSTER, RDS_INSTANCE],
        remediation=(
            f"set `backup_retention_period` to {MIN_BACKUP_RETENTION_DAYS} or more (7+ in prod) on "
            "aws.rds.Cluster / aws.rds.Instance."
        ),
        trivy_ids=["AVD-AWS-0077"],
        checkov_ids=["CKV_AWS_133"],
        check=with_plain_props(_backup_retention_findings),
    ),
    resource_rule(
        name="aws-rds-enable-performance-insights",
        description=(
            "RDS instances, cluster instances and Multi-AZ DB clusters enable Performance Insights."
        ),
        severity=Severity.LOW,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[RDS_INSTANCE, RDS_CLUSTER_INSTANCE, RDS_CLUSTER],
        remediation=(
            "set `performance_insights_enabled=True` on aws.rds.Instance / aws.rds.ClusterInstance "
            "(or aws.rds.Cluster with `db_cluster_instance_class`)."
        ),
        trivy_ids=["AVD-AWS-0133"],
        checkov_ids=["CKV_AWS_353"],
        check=with_plain_props(_performance_insights_findings),
    ),
    resource_rule(
        name="aws-rds-performance-insights-encryption-customer-key",
        description="Performance Insights data is encrypted with a customer-managed KMS key.",
        severity=Severity.LOW,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[RDS_INSTANCE, RDS_CLUSTER_INSTANCE, RDS_CLUSTER],
        remediation=(
            "set `performance_insights_kms_key_id` to a customer-managed key ARN wherever "
            "`performance_insights_enabled=True`."
        ),
        trivy_ids=["AVD-AWS-0078"],
        checkov_ids=["CKV_AWS_354"],
        check=with_plain_props(_performance_insights_key_findings),
    ),
    resource_rule(
        name="aws-rds-no-public-access",
        description="RDS instances, cluster instances and clusters are not publicly accessible.",
        severity=Severity.HIGH,
        enforcement=EnforcementLevel.MANDATORY,
        resource_types=[RDS_INSTANCE, RDS_CLUSTER_INSTANCE, RDS_CLUSTER],
        remediation=(
            "set `publicly_accessible=False` (the default) on aws.rds.Instance / ClusterInstance /"
            " Cluster and place them in private subnets."
        ),
        trivy_ids=["AVD-AWS-0180"],
        checkov_ids=["CKV_AWS_17"],
        check=with_plain_props(_public_access_findings),
    ),
    resource_rule(
        name="aws-rds-enable-iam-auth",
        description="RDS clusters and instances accept IAM database authentication.",
        severity=Severity.MEDIUM,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[RDS_CLUSTER, RDS_INSTANCE],
        remediation=(
            "set `iam_database_authentication_enabled=True` on aws.rds.Cluster / aws.rds.Instance."
        ),
        trivy_ids=["AVD-AWS-0176"],
        checkov_ids=["CKV_AWS_162"],
        check=with_plain_props(_iam_auth_findings),
    ),
    resource_rule(
        name="aws-rds-enable-deletion-protection",
        description="RDS instances have deletion protection.",
        severity=Severity.MEDIUM,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[RDS_INSTANCE],
        remediation="set `deletion_protection=True` on aws.rds.Instance (at least in prod).",
        trivy_ids=["AVD-AWS-0177"],
        check=with_plain_props(_deletion_protection_findings),
    ),
    resource_rule(
        name="aws-rds-enable-cluster-deletion-protection",
        description="RDS/Aurora clusters have deletion protection.",
        severity=Severity.MEDIUM,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[RDS_CLUSTER],
        remediation="set `deletion_protection=True` on aws.rds.Cluster (at least in prod).",
        trivy_ids=["AVD-AWS-0343"],
        checkov_ids=["CKV_AWS_139"],
        check=with_plain_props(_deletion_protection_findings),
    ),
    resource_rule(
        name="aws-elasticache-enable-at-rest-encryption",
        description="ElastiCache replication groups encrypt data at rest.",
        severity=Severity.HIGH,
        enforcement=EnforcementLevel.MANDATORY,
        resource_types=[ELASTICACHE_REPLICATION_GROUP],
        remediation=(
            "set `at_rest_encryption_enabled=True` and `kms_key_id` on"
            " aws.elasticache.ReplicationGroup."
        ),
        trivy_ids=["AVD-AWS-0045"],
        checkov_ids=["CKV_AWS_29"],
        check=with_plain_props(_cache_at_rest_findings),
    ),
    resource_rule(
        name="aws-elasticache-at-rest-customer-key",
        description=(
            "ElastiCache replication groups encrypt at rest with a customer managed KMS key, as"
            " RDS, S3, SNS and SQS do."
        ),
        severity=Severity.HIGH,
        enforcement=EnforcementLevel.MANDATORY,
        resource_types=[ELASTICACHE_REPLICATION_GROUP],
        remediation=(
            "set `kms_key_id` to a customer managed aws.kms.Key ARN on"
            " aws.elasticache.ReplicationGroup (with `at_rest_encryption_enabled=True`)."
        ),
        checkov_ids=["CKV_AWS_191"],
        check=with_plain_props(_cache_customer_key_findings),
    ),
    resource_rule(
        name="aws-elasticache-require-auth",
        description="ElastiCache replication groups make clients authenticate (AUTH or RBAC).",
        severity=Severity.HIGH,
        enforcement=EnforcementLevel.MANDATORY,
        resource_types=[ELASTICACHE_REPLICATION_GROUP],
        remediation=(
            "set `auth_token` (a generated secret, with `transit_encryption_enabled=True`) or"
            " `user_group_ids` on aws.elasticache.ReplicationGroup."
        ),
        checkov_ids=["CKV_AWS_31"],
        check=with_plain_props(_cache_auth_findings),
    ),
    resource_rule(
        name="aws-elasticache-enable-in-transit-encryption",
        description="ElastiCache requires TLS for every connection.",
        severity=Severity.HIGH,
        enforcement=EnforcementLevel.MANDATORY,
        resource_types=[ELASTICACHE_REPLICATION_GROUP, ELASTICACHE_CLUSTER],
        remediation=(
            "set `transit_encryption_enabled=True` and leave `transit_encryption_mode` unset or"
            " 'required' on aws.elasticache.ReplicationGroup (or a standalone"
            " aws.elasticache.Cluster)."
        ),
        trivy_ids=["AVD-AWS-0051"],
        checkov_ids=["CKV_AWS_30"],
        check=with_plain_props(_cache_in_transit_findings),
    ),
    resource_rule(
        name="aws-elasticache-enable-backup-retention",
        description="ElastiCache Redis keeps automatic snapshots.",
        severity=Severity.MEDIUM,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[
            ELASTICACHE_REPLICATION_GROUP,
            ELASTICACHE_CLUSTER,
            ELASTICACHE_SERVERLESS_CACHE,
        ],
        remediation=(
            "set `snapshot_retention_limit` to 1 or more (days) on aws.elasticache.ReplicationGroup"
            " / Cluster / ServerlessCache."
        ),
        trivy_ids=["AVD-AWS-0050"],
        check=with_plain_props(_cache_backup_findings),
    ),
    resource_rule(
        name="aws-rds-cluster-export-logs",
        description=(
            "RDS/Aurora clusters export their logs to CloudWatch Logs (MySQL: the audit log too)."
        ),
        severity=Severity.LOW,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[RDS_CLUSTER],
        remediation=(
            "set `enabled_cloudwatch_logs_exports=['postgresql']` (MySQL engines: include 'audit')"
            " on aws.rds.Cluster."
        ),
        checkov_ids=["CKV_AWS_324", "CKV_AWS_325"],
        check=with_plain_props(_log_export_findings),
    ),
    resource_rule(
        name="aws-rds-enhanced-monitoring",
        description="RDS instances and cluster instances publish enhanced monitoring metrics.",
        severity=Severity.LOW,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[RDS_INSTANCE, RDS_CLUSTER_INSTANCE],
        remediation=(
            "set `monitoring_interval` (1-60 s) and `monitoring_role_arn` on aws.rds.Instance /"
            " aws.rds.ClusterInstance."
        ),
        checkov_ids=["CKV_AWS_118"],
        check=with_plain_props(_enhanced_monitoring_findings),
    ),
    resource_rule(
        name="aws-elasticache-multi-az",
        description="ElastiCache replication groups fail over automatically to another zone.",
        severity=Severity.MEDIUM,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[ELASTICACHE_REPLICATION_GROUP],
        remediation=(
            "set `multi_az_enabled=True` and `automatic_failover_enabled=True` (with a replica per"
            " shard) on aws.elasticache.ReplicationGroup."
        ),
        checkov_ids=["CKV2_AWS_50"],
        check=with_plain_props(_cache_multi_az_findings),
    ),
    resource_rule(
        name="aws-rds-auto-minor-version-upgrade",
        description="RDS instances and cluster instances take minor engine upgrades automatically.",
        severity=Severity.LOW,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[RDS_INSTANCE, RDS_CLUSTER_INSTANCE],
        remediation=(
            "leave `auto_minor_version_upgrade` unset or True on aws.rds.Instance /"
            " aws.rds.ClusterInstance."
        ),
        checkov_ids=["CKV_AWS_226"],
        check=with_plain_props(_minor_upgrade_findings),
    ),
    resource_rule(
        name="aws-rds-copy-tags-to-snapshot",
        description="RDS clusters copy their tags to snapshots.",
        severity=Severity.LOW,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[RDS_CLUSTER],
        remediation="set `copy_tags_to_snapshot=True` on aws.rds.Cluster.",
        checkov_ids=["CKV_AWS_313"],
        check=with_plain_props(_copy_tags_findings),
    ),
    stack_rule(
        name="aws-rds-postgres-query-logging",
        description=(
            "Aurora PostgreSQL clusters log statements: their parameter group sets log_statement"
            " and log_min_duration_statement."
        ),
        severity=Severity.LOW,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[RDS_CLUSTER, RDS_CLUSTER_PARAMETER_GROUP],
        remediation=(
            "give aws.rds.Cluster a `db_cluster_parameter_group_name` whose aws.rds."
            "ClusterParameterGroup sets `log_statement` (e.g. 'ddl') and"
            " `log_min_duration_statement` (ms)."
        ),
        checkov_ids=["CKV2_AWS_27"],
        check=_unlogged_postgres_clusters,
    ),
]
