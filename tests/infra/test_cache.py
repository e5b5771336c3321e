"""Redis: encrypted at rest with its CMK, TLS required, AUTH from a secret, multi-AZ, private."""

from tests.infra.recorded import one

REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"


def test_redis_is_encrypted_at_rest_with_a_rotated_cmk_and_requires_tls(prod):
    group = one(prod, REPLICATION_GROUP, "ticketing-prod-redis")
    assert group.inputs["atRestEncryptionEnabled"] is True
    assert group.inputs["kmsKeyId"].endswith("key/ticketing-prod-redis-key")
    assert (
        one(prod, "aws:kms/key:Key", "ticketing-prod-redis-key").inputs["enableKeyRotation"] is True
    )
    assert group.inputs["transitEncryptionEnabled"] is True
    assert group.inputs["transitEncryptionMode"] == "required"


def test_auth_token_comes_from_a_config_secret(prod):
    group = one(prod, REPLICATION_GROUP, "ticketing-prod-redis")
    assert "authToken" in group.secret_paths


def test_redis_survives_an_az_loss(dev, prod):
    for run, stack in ((dev, "dev"), (prod, "prod")):
        group = one(run, REPLICATION_GROUP, f"ticketing-{stack}-redis")
        assert group.inputs["multiAzEnabled"] is True
        assert group.inputs["automaticFailoverEnabled"] is True
        assert group.inputs["replicasPerNodeGroup"] >= 1


def test_prod_is_sized_for_the_opening_and_dev_stays_small(dev, prod):
    """One event's keys share one slot, so one shard; the node type is the smallest that holds the
    peak's queue (components/sizing.py)."""
    prod_group = one(prod, REPLICATION_GROUP, "ticketing-prod-redis")
    dev_group = one(dev, REPLICATION_GROUP, "ticketing-dev-redis")
    assert (
        prod_group.inputs["nodeType"],
        prod_group.inputs["numNodeGroups"],
        prod_group.inputs["replicasPerNodeGroup"],
    ) == ("cache.m7g.large", 1, 1)
    assert (dev_group.inputs["nodeType"], dev_group.inputs["numNodeGroups"]) == (
        "cache.t4g.small",
        1,
    )


def test_only_pods_reach_redis(prod):
    rules = [
        rule
        for rule in prod.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if rule.inputs["securityGroupId"] == "ticketing-prod-redis-sg-id"
    ]
    assert len(rules) == 1
    assert rules[0].inputs["referencedSecurityGroupId"] == "sg-ticketing-prod-eks-cluster"
    assert rules[0].inputs["fromPort"] == rules[0].inputs["toPort"] == 6379


def test_dr_runs_a_redis_of_its_own(dr):
    group = one(dr, REPLICATION_GROUP, "ticketing-dr-redis")
    assert "globalReplicationGroupId" not in group.inputs
