import pytest
from pulumi.output import Unknown
from pulumi_policy import ResourceValidationPolicy
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UNKNOWN_NUMBER_VALUE, unknown_checking_proxy

from policies.rules import database
from policies.rules.database import (
    ELASTICACHE_CLUSTER,
    ELASTICACHE_REPLICATION_GROUP,
    ELASTICACHE_SERVERLESS_CACHE,
    RDS_CLUSTER,
    RDS_CLUSTER_INSTANCE,
    RDS_GLOBAL_CLUSTER,
    RDS_INSTANCE,
)
from tests.policies.harness import resource_violations, stack_resource, stack_violations
from tests.policies.malformed import messages_for_malformed

RULES = {policy.name: policy for policy in database.POLICIES}


def violations(rule: str, resource_type: str, props) -> list[str]:
    policy = RULES[rule]
    assert isinstance(policy, ResourceValidationPolicy)
    return resource_violations(policy, resource_type, props)


def test_cluster_storage_encryption():
    rule = "aws-rds-encrypt-cluster-storage-data"
    assert violations(rule, RDS_CLUSTER, {"engine": "aurora-postgresql"}) == [
        "storageEncrypted is not set"
    ]
    assert (
        violations(rule, RDS_CLUSTER, {"storageEncrypted": True, "kmsKeyId": "arn:aws:kms:k"}) == []
    )
    assert violations(rule, RDS_GLOBAL_CLUSTER, {"storageEncrypted": False}) == [
        "storageEncrypted is False"
    ]
    assert (
        violations(rule, RDS_GLOBAL_CLUSTER, {"sourceDbClusterIdentifier": "arn:aws:rds:c"}) == []
    )
    assert violations(rule, RDS_GLOBAL_CLUSTER, {"storageEncrypted": True}) == []


def test_encrypted_cluster_needs_a_customer_managed_key_as_trivy_0079_does():
    rule = "aws-rds-encrypt-cluster-storage-data"
    aws_managed = (
        "kmsKeyId is not set, so the storage is encrypted with the AWS managed aws/rds key, not a"
        " customer managed key"
    )
    assert violations(rule, RDS_CLUSTER, {"storageEncrypted": True}) == [aws_managed]
    assert violations(
        rule, RDS_CLUSTER, {"storageEncrypted": True, "kmsKeyId": "alias/aws/rds"}
    ) == [aws_managed.replace("is not set", "is 'alias/aws/rds'")]
    assert violations(rule, RDS_CLUSTER, {"storageEncrypted": True, "kmsKeyId": Unknown()}) == []


def test_instance_storage_encryption():
    rule = "aws-rds-encrypt-instance-storage-data"
    assert violations(rule, RDS_INSTANCE, {"storageEncrypted": False}) == [
        "storageEncrypted is False"
    ]
    assert violations(rule, RDS_INSTANCE, {"storageEncrypted": True}) == []
    assert violations(rule, RDS_INSTANCE, {"replicateSourceDb": "primary"}) == []


@pytest.mark.parametrize("resource_type", [RDS_CLUSTER, RDS_INSTANCE])
def test_backup_retention(resource_type):
    rule = "aws-rds-specify-backup-retention"
    assert violations(rule, resource_type, {}) == [
        "backupRetentionPeriod is not set (AWS default 1); keep at least 2 days"
    ]
    assert violations(rule, resource_type, {"backupRetentionPeriod": 1}) != []
    assert violations(rule, resource_type, {"backupRetentionPeriod": 7}) == []


def test_performance_insights_and_its_key():
    assert violations("aws-rds-enable-performance-insights", RDS_CLUSTER_INSTANCE, {}) == [
        "performanceInsightsEnabled is not set"
    ]
    assert (
        violations(
            "aws-rds-enable-performance-insights",
            RDS_INSTANCE,
            {"performanceInsightsEnabled": True},
        )
        == []
    )
    assert (
        violations(
            "aws-rds-enable-performance-insights", RDS_CLUSTER, {"engine": "aurora-postgresql"}
        )
        == []
    )
    assert (
        violations(
            "aws-rds-enable-performance-insights",
            RDS_CLUSTER,
            {"dbClusterInstanceClass": "db.r6gd.large"},
        )
        != []
    )
    key_rule = "aws-rds-performance-insights-encryption-customer-key"
    assert violations(key_rule, RDS_CLUSTER_INSTANCE, {"performanceInsightsEnabled": True}) != []
    assert (
        violations(
            key_rule,
            RDS_INSTANCE,
            {"performanceInsightsEnabled": True, "performanceInsightsKmsKeyId": "alias/aws/rds"},
        )
        != []
    )
    assert (
        violations(
            key_rule,
            RDS_CLUSTER_INSTANCE,
            {"performanceInsightsEnabled": True, "performanceInsightsKmsKeyId": "k"},
        )
        == []
    )
    assert violations(key_rule, RDS_CLUSTER_INSTANCE, {"performanceInsightsEnabled": False}) == []


@pytest.mark.parametrize("resource_type", [RDS_INSTANCE, RDS_CLUSTER_INSTANCE, RDS_CLUSTER])
def test_public_access(resource_type):
    rule = "aws-rds-no-public-access"
    assert violations(rule, resource_type, {"publiclyAccessible": True}) == [
        "publiclyAccessible is True: the database gets a public DNS name and IP"
    ]
    assert violations(rule, resource_type, {"publiclyAccessible": False}) == []
    assert violations(rule, resource_type, {}) == []


def test_iam_auth_and_deletion_protection():
    assert violations("aws-rds-enable-iam-auth", RDS_CLUSTER, {}) == [
        "iamDatabaseAuthenticationEnabled is not set"
    ]
    assert (
        violations(
            "aws-rds-enable-iam-auth", RDS_INSTANCE, {"iamDatabaseAuthenticationEnabled": True}
        )
        == []
    )
    assert violations(
        "aws-rds-enable-deletion-protection", RDS_INSTANCE, {"deletionProtection": False}
    ) == ["deletionProtection is False"]
    assert (
        violations("aws-rds-enable-deletion-protection", RDS_INSTANCE, {"deletionProtection": True})
        == []
    )
    assert violations("aws-rds-enable-cluster-deletion-protection", RDS_CLUSTER, {}) == [
        "deletionProtection is not set"
    ]
    assert (
        violations(
            "aws-rds-enable-cluster-deletion-protection", RDS_CLUSTER, {"deletionProtection": True}
        )
        == []
    )


def test_elasticache_at_rest_encryption():
    rule = "aws-elasticache-enable-at-rest-encryption"
    assert violations(rule, ELASTICACHE_REPLICATION_GROUP, {"atRestEncryptionEnabled": False}) == [
        "atRestEncryptionEnabled is False"
    ]
    assert (
        violations(
            rule, ELASTICACHE_REPLICATION_GROUP, {"atRestEncryptionEnabled": True, "kmsKeyId": "k"}
        )
        == []
    )


def test_elasticache_in_transit_encryption():
    rule = "aws-elasticache-enable-in-transit-encryption"
    assert violations(rule, ELASTICACHE_REPLICATION_GROUP, {}) == [
        "transitEncryptionEnabled is not set"
    ]
    assert violations(
        rule,
        ELASTICACHE_REPLICATION_GROUP,
        {"transitEncryptionEnabled": True, "transitEncryptionMode": "preferred"},
    ) == [
        "transitEncryptionMode is 'preferred', so plaintext connections are still accepted; use"
        " 'required'"
    ]
    assert (
        violations(
            rule,
            ELASTICACHE_REPLICATION_GROUP,
            {"transitEncryptionEnabled": True, "transitEncryptionMode": "required"},
        )
        == []
    )
    assert violations(rule, ELASTICACHE_CLUSTER, {"engine": "redis"}) != []
    assert violations(rule, ELASTICACHE_CLUSTER, {"replicationGroupId": "rg-1"}) == []


def test_elasticache_backups():
    rule = "aws-elasticache-enable-backup-retention"
    assert violations(rule, ELASTICACHE_REPLICATION_GROUP, {}) == [
        "snapshotRetentionLimit is not set; no automatic snapshots are kept"
    ]
    assert violations(rule, ELASTICACHE_SERVERLESS_CACHE, {"snapshotRetentionLimit": 0}) != []
    assert violations(rule, ELASTICACHE_REPLICATION_GROUP, {"snapshotRetentionLimit": 5}) == []
    assert violations(rule, ELASTICACHE_CLUSTER, {"engine": "memcached"}) == []


MALFORMED = [
    None,
    "odd",
    [1],
    {},
    {
        "storageEncrypted": Unknown(),
        "backupRetentionPeriod": Unknown(),
        "performanceInsightsEnabled": UNKNOWN_BOOLEAN_VALUE,
        "publiclyAccessible": Unknown(),
        "atRestEncryptionEnabled": Unknown(),
        "transitEncryptionEnabled": Unknown(),
        "snapshotRetentionLimit": UNKNOWN_NUMBER_VALUE,
        "deletionProtection": Unknown(),
        "iamDatabaseAuthenticationEnabled": Unknown(),
    },
    {
        "storageEncrypted": "yes",
        "backupRetentionPeriod": "seven",
        "snapshotRetentionLimit": True,
        "publiclyAccessible": [1],
        "transitEncryptionMode": 3,
        "replicationGroupId": Unknown(),
    },
]


@pytest.mark.parametrize("props", MALFORMED)
def test_malformed_inputs_never_raise(props):
    messages_for_malformed(database.POLICIES, props)


def test_unknown_values_are_not_violations():
    proxied = unknown_checking_proxy(
        {
            "storageEncrypted": UNKNOWN_BOOLEAN_VALUE,
            "backupRetentionPeriod": UNKNOWN_NUMBER_VALUE,
            "transitEncryptionEnabled": UNKNOWN_BOOLEAN_VALUE,
        }
    )
    assert violations("aws-rds-encrypt-cluster-storage-data", RDS_CLUSTER, proxied) == []
    assert violations("aws-rds-specify-backup-retention", RDS_CLUSTER, proxied) == []
    assert (
        violations(
            "aws-elasticache-enable-in-transit-encryption", ELASTICACHE_REPLICATION_GROUP, proxied
        )
        == []
    )


def test_cache_needs_a_customer_managed_key_at_rest():
    rule = "aws-elasticache-at-rest-customer-key"
    group = ELASTICACHE_REPLICATION_GROUP
    assert violations(rule, group, {"atRestEncryptionEnabled": True}) == [
        "kmsKeyId is not set, so data at rest is encrypted with the AWS managed ElastiCache key,"
        " not a customer managed key"
    ]
    assert (
        violations(
            rule, group, {"atRestEncryptionEnabled": True, "kmsKeyId": "alias/aws/elasticache"}
        )
        != []
    )
    assert (
        violations(rule, group, {"atRestEncryptionEnabled": True, "kmsKeyId": "arn:aws:kms:k"})
        == []
    )
    assert violations(rule, group, {"atRestEncryptionEnabled": True, "kmsKeyId": Unknown()}) == []


def test_cache_clients_must_authenticate():
    rule = "aws-elasticache-require-auth"
    group = ELASTICACHE_REPLICATION_GROUP
    assert violations(rule, group, {"transitEncryptionEnabled": True}) == [
        "authToken is not set and userGroupIds is empty: any client on the network can connect"
    ]
    assert violations(rule, group, {"authToken": "", "userGroupIds": []}) != []
    assert violations(rule, group, {"authToken": "s3cret-token-of-32-characters!!"}) == []
    assert violations(rule, group, {"userGroupIds": ["ticketing-users"]}) == []
    assert violations(rule, group, {"authToken": Unknown()}) == []


def test_cluster_exports_its_logs():
    rule = "aws-rds-cluster-export-logs"
    assert violations(rule, RDS_CLUSTER, {}) == [
        "enabledCloudwatchLogsExports is not set: the database's logs stay on the instances and"
        " age out"
    ]
    assert violations(rule, RDS_CLUSTER, {"enabledCloudwatchLogsExports": []}) != []
    assert violations(rule, RDS_CLUSTER, {"enabledCloudwatchLogsExports": ["postgresql"]}) == []


@pytest.mark.parametrize("resource_type", [RDS_INSTANCE, RDS_CLUSTER_INSTANCE])
def test_enhanced_monitoring(resource_type):
    rule = "aws-rds-enhanced-monitoring"
    assert violations(rule, resource_type, {"monitoringInterval": 0}) == [
        "monitoringInterval is 0: no OS-level metrics (enhanced monitoring)"
    ]
    assert violations(rule, resource_type, {}) != []
    assert violations(rule, resource_type, {"monitoringInterval": 30}) == []
    assert violations(rule, resource_type, {"monitoringInterval": UNKNOWN_NUMBER_VALUE}) == []


def test_cache_fails_over_across_zones():
    rule = "aws-elasticache-multi-az"
    group = ELASTICACHE_REPLICATION_GROUP
    assert violations(rule, group, {"automaticFailoverEnabled": True}) == [
        "multiAzEnabled is not set"
    ]
    assert violations(rule, group, {"multiAzEnabled": True}) == [
        "automaticFailoverEnabled is not set"
    ]
    assert violations(rule, group, {"multiAzEnabled": True, "automaticFailoverEnabled": True}) == []


def test_mysql_clusters_export_their_audit_log():
    rule = "aws-rds-cluster-export-logs"
    mysql = {"engine": "aurora-mysql", "enabledCloudwatchLogsExports": ["error"]}
    assert violations(rule, RDS_CLUSTER, mysql) == [
        "enabledCloudwatchLogsExports is ['error']: a MySQL engine's audit log is missing"
    ]
    assert violations(rule, RDS_CLUSTER, {**mysql, "enabledCloudwatchLogsExports": ["audit"]}) == []


@pytest.mark.parametrize("resource_type", [RDS_INSTANCE, RDS_CLUSTER_INSTANCE])
def test_minor_upgrades_are_automatic(resource_type):
    rule = "aws-rds-auto-minor-version-upgrade"
    assert violations(rule, resource_type, {"autoMinorVersionUpgrade": False}) == [
        "autoMinorVersionUpgrade is False: security patches wait for someone"
    ]
    assert violations(rule, resource_type, {}) == []  # AWS's default is True


def test_cluster_copies_tags_to_snapshots():
    rule = "aws-rds-copy-tags-to-snapshot"
    assert violations(rule, RDS_CLUSTER, {}) == ["copyTagsToSnapshot is not set"]
    assert violations(rule, RDS_CLUSTER, {"copyTagsToSnapshot": True}) == []


def test_postgres_clusters_log_statements():
    rule = RULES["aws-rds-postgres-query-logging"]
    params = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
    cluster = stack_resource(
        RDS_CLUSTER,
        "aurora",
        {"engine": "aurora-postgresql", "dbClusterParameterGroupName": "aurora-params-id"},
    )
    tls_only = stack_resource(
        params, "aurora-params", {"parameters": [{"name": "rds.force_ssl", "value": "1"}]}
    )
    assert stack_violations(rule, [cluster, tls_only]) == [
        (
            "aurora",
            "the cluster parameter group 'aurora-params-id' does not set ['log_statement',"
            " 'log_min_duration_statement']: no statement reaches the postgresql log",
        )
    ]
    logged = stack_resource(
        params,
        "aurora-params",
        {
            "parameters": [
                {"name": "log_statement", "value": "ddl"},
                {"name": "log_min_duration_statement", "value": "500"},
            ]
        },
    )
    assert stack_violations(rule, [cluster, logged]) == []
    mysql = stack_resource(RDS_CLUSTER, "m", {"engine": "aurora-mysql"})
    assert stack_violations(rule, [mysql]) == []
