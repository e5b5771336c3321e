"""checkov coverage: every row of policies/coverage/checkov.tsv (the checks whose resource types
the stacks create) is decided, a covering rule exists and carries the check's id, and at least
90% of the rows are covered. None of this needs checkov installed."""

from collections import Counter
from pathlib import Path

from policies.coverage.build_table import deployed_types, table_rows, terraform_type
from policies.gate.__main__ import main
from policies.gate.coverage import (
    CHECKOV_TABLE,
    REJECTED,
    UNDECIDED,
    CheckovRow,
    checkov_coverage,
    read_checkov_table,
    write_checkov_table,
)
from policies.rule import checkov_ids_of
from policies.rules import ALL_POLICIES

REPO_ROOT = Path(__file__).resolve().parents[2]
ROWS = read_checkov_table(REPO_ROOT / CHECKOV_TABLE)
RULES = {policy.name: policy for policy in ALL_POLICIES}
MIN_COVERED_SHARE = 0.9
MIN_REASON_LENGTH = 20


def test_every_row_is_decided_once():
    assert ROWS, "the committed table is empty"
    assert [row.id for row in ROWS if row.decision == UNDECIDED] == []
    assert [
        check_id for check_id, count in Counter(row.id for row in ROWS).items() if count > 1
    ] == []


def test_every_rejection_gives_a_reason():
    assert [
        row.id
        for row in ROWS
        if row.decision == REJECTED and len(row.reason.strip()) < MIN_REASON_LENGTH
    ] == []


def test_each_covering_rule_exists_and_carries_the_id():
    problems = [
        f"{row.id}: {name}" + (" does not exist" if name not in RULES else " does not carry the id")
        for row in ROWS
        for name in row.rules
        if name not in RULES or row.id not in checkov_ids_of(RULES[name])
    ]
    assert problems == []


def test_every_id_a_rule_claims_is_in_the_table_under_that_rule():
    rules_by_id = {row.id: row.rules for row in ROWS}
    problems = [
        f"{name} claims {check_id}, the table says {rules_by_id.get(check_id)!r}"
        for name, policy in RULES.items()
        for check_id in checkov_ids_of(policy)
        if name not in rules_by_id.get(check_id, ())
    ]
    assert problems == []


def test_at_least_ninety_percent_of_the_checks_are_covered():
    found = checkov_coverage(ROWS)
    assert len(found.covered) / found.total >= MIN_COVERED_SHARE, (
        f"{len(found.covered)}/{found.total} covered"
    )


def test_list_rules_prints_checkov_coverage(capsys):
    assert main(["--list-rules"]) == 0
    out = capsys.readouterr().out
    found = checkov_coverage(ROWS)
    assert f"checkov coverage: {len(found.covered)}/{found.total} checks covered" in out
    assert "CKV_AWS_31" in out  # the rule table's checkov column
    assert all(f"rejected: {row.id} " in out for row in found.rejected)


# --- the table builder, on hand-made registry records ----------------------------------------


def test_pulumi_types_map_to_terraform_types():
    assert terraform_type("aws:s3/bucketV2:BucketV2") == "aws_s3_bucket"
    assert terraform_type("aws:s3/bucket:Bucket") == "aws_s3_bucket"
    assert terraform_type("aws:ec2/securityGroup:SecurityGroup") == "aws_security_group"
    assert terraform_type("aws:lb/loadBalancer:LoadBalancer") == "aws_lb"
    assert terraform_type("aws:lb/targetGroup:TargetGroup") == "aws_lb_target_group"
    assert terraform_type("aws:rds/clusterInstance:ClusterInstance") == "aws_rds_cluster_instance"
    assert terraform_type("aws:rds/subnetGroup:SubnetGroup") == "aws_db_subnet_group"
    assert (
        terraform_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        == "aws_vpc_security_group_ingress_rule"
    )
    assert terraform_type("aws:wafv2/webAclAssociation:WebAclAssociation") == (
        "aws_wafv2_web_acl_association"
    )
    assert terraform_type("eks:index:Cluster") == "aws_eks_cluster"
    assert terraform_type("kubernetes:core/v1:Namespace") is None


def test_builder_decides_by_claims_keeps_rejections_and_adds_new_checks_undecided():
    registry = [
        {"framework": "terraform", "id": "A", "name": "a", "resource_types": ["aws_lb", "aws_alb"]},
        {"framework": "terraform", "id": "B", "name": "b", "resource_types": ["aws_kms_key"]},
        {"framework": "terraform", "id": "C", "name": "c", "resource_types": ["aws_glue_job"]},
        {"framework": "terraform", "id": "D", "name": "d", "resource_types": ["aws_kms_key"]},
        {"framework": "kubernetes", "id": "K", "name": "k", "resource_types": ["Deployment"]},
        {"framework": "kubernetes", "id": "N", "name": "n", "resource_types": ["Namespace"]},
        {"framework": "terraform", "id": "N", "name": "n", "resource_types": ["kubernetes_pod"]},
    ]
    deployed = deployed_types(
        ["aws:lb/loadBalancer:LoadBalancer", "aws:kms/key:Key", "kubernetes:core/v1:Namespace"]
    )
    earlier = {
        "A": CheckovRow("terraform", "A", "a", ("aws_lb",), REJECTED, "port 80 redirects"),
        "D": CheckovRow("terraform", "D", "d", ("aws_kms_key",), REJECTED, "was rejected"),
    }
    claimed = {"K": ["k8s-rule"], "D": ["rule-2", "rule-1"]}
    rows = table_rows(registry, deployed, claimed=claimed, decided=earlier)
    assert [(row.id, row.resource_types, row.decision) for row in rows] == [
        ("K", ("Deployment",), "k8s-rule"),
        ("N", ("Namespace",), UNDECIDED),
        ("A", ("aws_lb",), REJECTED),
        ("B", ("aws_kms_key",), UNDECIDED),
        ("D", ("aws_kms_key",), "rule-1,rule-2"),
    ]
    assert rows[2].reason == "port 80 redirects"
    assert rows[4].rules == ("rule-1", "rule-2")


def test_table_round_trips(tmp_path):
    table = tmp_path / "checkov.tsv"
    rows = [CheckovRow("terraform", "A", "a", ("aws_lb", "aws_alb"), REJECTED, "a reason")]
    write_checkov_table(table, rows, "3.3.30")
    assert read_checkov_table(table) == rows
