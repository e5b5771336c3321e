"""Aurora PostgreSQL: CMK encryption, TLS forced, backups, prod protected, global
primary/secondary.
"""

from tests.infra.recorded import one

CLUSTER = "aws:rds/cluster:Cluster"
GLOBAL_MEMBERSHIP = ("globalClusterIdentifier", "replicationSourceIdentifier")


def test_storage_is_encrypted_with_a_rotated_cmk(dev, prod, dr):
    for run, stack in ((dev, "dev"), (prod, "prod"), (dr, "dr")):
        cluster = one(run, CLUSTER, f"ticketing-{stack}-aurora")
        assert cluster.inputs["storageEncrypted"] is True
        assert cluster.inputs["kmsKeyId"].endswith(f"key/ticketing-{stack}-aurora-key")
        assert (
            one(run, "aws:kms/key:Key", f"ticketing-{stack}-aurora-key").inputs["enableKeyRotation"]
            is True
        )


def test_connections_must_use_tls(prod):
    parameters = one(
        prod, "aws:rds/clusterParameterGroup:ClusterParameterGroup", "ticketing-prod-aurora-params"
    )
    assert {"name": "rds.force_ssl", "value": "1"} in parameters.inputs["parameters"]
    assert parameters.inputs["family"] == "aurora-postgresql16"


def test_schema_changes_are_logged(prod):
    parameters = one(
        prod, "aws:rds/clusterParameterGroup:ClusterParameterGroup", "ticketing-prod-aurora-params"
    )
    assert {"name": "log_statement", "value": "ddl"} in parameters.inputs["parameters"]
    cluster = one(prod, CLUSTER, "ticketing-prod-aurora")
    assert cluster.inputs["enabledCloudwatchLogsExports"] == ["postgresql"], (
        "the DDL lines reach CloudWatch only through the exported postgresql log"
    )


def test_prod_is_protected_and_backed_up_dev_is_disposable(dev, prod):
    prod_cluster = one(prod, CLUSTER, "ticketing-prod-aurora")
    assert prod_cluster.inputs["deletionProtection"] is True and prod_cluster.protect
    assert prod_cluster.inputs["skipFinalSnapshot"] is False
    assert prod_cluster.inputs["backupRetentionPeriod"] == 14
    dev_cluster = one(dev, CLUSTER, "ticketing-dev-aurora")
    assert dev_cluster.inputs["deletionProtection"] is False and not dev_cluster.protect


def test_master_password_is_a_secret_and_instances_are_private(prod):
    cluster = one(prod, CLUSTER, "ticketing-prod-aurora")
    assert "masterPassword" in cluster.secret_paths
    instances = prod.of_type("aws:rds/clusterInstance:ClusterInstance")
    assert len(instances) == 2
    assert all(instance.inputs["publiclyAccessible"] is False for instance in instances)
    assert all(
        instance.inputs["performanceInsightsKmsKeyId"].endswith("key/ticketing-prod-aurora-key")
        for instance in instances
    )


def test_prod_is_the_primary_of_an_encrypted_global_database(prod, dev):
    (global_cluster,) = prod.of_type("aws:rds/globalCluster:GlobalCluster")
    assert global_cluster.inputs["storageEncrypted"] is True
    cluster = one(prod, CLUSTER, "ticketing-prod-aurora")
    assert (
        cluster.inputs["globalClusterIdentifier"]
        == global_cluster.inputs["globalClusterIdentifier"]
    )
    assert set(GLOBAL_MEMBERSHIP) <= set(cluster.ignore_changes)
    assert dev.of_type("aws:rds/globalCluster:GlobalCluster") == []


def test_dr_is_the_secondary_of_prods_global_database(prod, dr):
    cluster = one(dr, CLUSTER, "ticketing-dr-aurora")
    assert (
        cluster.inputs["globalClusterIdentifier"]
        == prod.outputs["auroraGlobalClusterIdentifier"]
        == "ticketing-prod-aurora-global"
    )
    assert set(GLOBAL_MEMBERSHIP) <= set(cluster.ignore_changes)
    assert "masterUsername" not in cluster.inputs and "masterPassword" not in cluster.inputs
    assert dr.of_type("aws:rds/globalCluster:GlobalCluster") == []


def test_dr_standby_keeps_one_reader(dr):
    assert len(dr.of_type("aws:rds/clusterInstance:ClusterInstance")) == 1
