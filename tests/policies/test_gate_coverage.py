"""Trivy coverage: every check the reference table marks `resource-config` has a rule."""

from pathlib import Path

import pytest

from policies.gate.analyze import RuleInfo
from policies.gate.coverage import coverage, resource_config_checks, trivy_table
from policies.rule import trivy_ids_of
from policies.rules import ALL_POLICIES

REPO_ROOT = Path(__file__).resolve().parents[2]
TABLE = """# comment lines are skipped
service\tid\tname\tseverity\tstatus\tapplies
rds\tAVD-AWS-0079\taws-rds-encrypt-cluster-storage-data\tHIGH\t\tresource-config
s3\tAVD-AWS-0088\taws-s3-enable-bucket-encryption\tHIGH\t\tresource-config
iam\tAVD-AWS-0123\taws-iam-enforce-group-mfa\tMEDIUM\t\taccount-state
"""


def _rule(*trivy_ids: str) -> RuleInfo:
    return RuleInfo(
        "r",
        "d",
        "resource",
        "mandatory",
        "high",
        "fix",
        ("aws:rds/cluster:Cluster",),
        trivy_ids,
        {},
    )


def test_only_resource_config_rows_count(tmp_path):
    table = tmp_path / "checks.tsv"
    table.write_text(TABLE)
    checks = resource_config_checks(table)
    assert [check.id for check in checks] == ["AVD-AWS-0079", "AVD-AWS-0088"]
    found = coverage([_rule("AVD-AWS-0079")], checks)
    assert [check.id for check in found.covered] == ["AVD-AWS-0079"]
    assert [check.name for check in found.missing] == ["aws-s3-enable-bucket-encryption"]
    assert found.total == 2


def test_table_is_found_next_to_the_repository_or_reported_missing(tmp_path):
    assert trivy_table(tmp_path / "repo") is None


@pytest.mark.skipif(
    trivy_table(REPO_ROOT) is None,
    reason="shared Trivy reference table not present next to the repository",
)
def test_every_resource_config_check_has_a_rule():
    checks = resource_config_checks(trivy_table(REPO_ROOT))
    rule_ids = {trivy_id for policy in ALL_POLICIES for trivy_id in trivy_ids_of(policy)}
    missing = sorted(f"{check.id} {check.name}" for check in checks if check.id not in rule_ids)
    assert missing == []
    assert len(checks) == 85
    assert rule_ids <= {check.id for check in checks}, (
        "a rule cites a Trivy ID that is not a resource-config check"
    )
