"""`python -m policies.gate` end to end on sample programs: exit codes, the JSON and SARIF
documents, secret masking, policy config and `--list-rules`, with the real rule pack."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from policies.gate.__main__ import main
from policies.gate.coverage import trivy_table
from policies.rules import ALL_POLICIES

PROGRAMS = Path(__file__).parent / "programs"
INSECURE = PROGRAMS / "insecure"
REPO_ROOT = Path(__file__).resolve().parents[2]
RULE_NAMES = {policy.name for policy in ALL_POLICIES}

COMPLIANT_PROGRAM = """
import pulumi
import pulumi_aws as aws

tags = {"Environment": "test", "Owner": "platform", "Project": "ticketing", "ManagedBy": "pulumi"}
key = aws.kms.Key(
    "alarms",
    description="alarm topic key",
    enable_key_rotation=True,
    deletion_window_in_days=30,
    tags=tags,
)
topic = aws.sns.Topic("alarms", kms_master_key_id=key.arn, tags=tags)
pulumi.export("topicArn", topic.arn)
"""

CONFIG_CHECKING_PROGRAM = """
import pulumi
from components.errors import ConfigError

count = pulumi.Config().require_int("nodeCount")
if not 1 <= count <= 10:
    raise ConfigError("nodeCount", count, "an integer from 1 to 10")
"""


def _program(directory: Path, source: str, config: str) -> Path:
    directory.mkdir()
    (directory / "Pulumi.yaml").write_text(f"name: {directory.name}\nruntime: python\n")
    (directory / "__main__.py").write_text(source)
    (directory / "Pulumi.test.yaml").write_text(config)
    return directory


def _gate(capsys, *arguments: str) -> tuple[int, str, str]:
    code = main(list(arguments))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _json(capsys, *arguments: str) -> tuple[int, dict]:
    code, out, _ = _gate(capsys, *arguments, "--format", "json")
    return code, json.loads(out)


@pytest.fixture(scope="module")
def insecure_report() -> tuple[int, dict]:
    """One JSON run of the insecure sample, shared by the tests that only read it."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "policies.gate",
            "--program",
            str(INSECURE),
            "--stack",
            "test",
            "--format",
            "json",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.returncode, json.loads(result.stdout)


def test_insecure_program_is_blocked_with_the_expected_findings(insecure_report):
    code, report = insecure_report
    assert code == 1
    found = {
        (violation["policy"], violation["resource_name"])
        for violation in report["violations"]
        if violation["enforcement"] == "mandatory"
    }
    expected = {
        ("aws-rds-encrypt-cluster-storage-data", "orders"),
        ("aws-s3-no-public-access-with-acl", "uploads"),
        ("aws-iam-no-policy-wildcards", "everything"),
        ("aws-eks-no-public-cluster-access", "apps"),
        ("aws-eks-encrypt-secrets", "apps"),
        ("aws-s3-block-public-acls", "uploads"),
        ("aws-ec2-no-public-ingress-sgr", "admin"),
        ("aws-iam-no-admin-managed-policy", "workers"),
        ("aws-ec2-enforce-http-token-imds", "workers"),
    }
    assert {rule for rule, _ in expected} <= RULE_NAMES, "a rule the sample relies on was renamed"
    assert expected <= found


def test_json_document_has_the_contract_shape(insecure_report):
    _, report = insecure_report
    assert set(report) == {"stack", "resources", "violations", "summary", "deployment_checks"}
    assert report["stack"] == "test"
    # The sample's EKS cluster "apps" has a public endpoint and no chart release.
    assert report["deployment_checks"] == [
        "kubernetes provider reaches apps: public endpoint limited to 0.0.0.0/0"
    ]
    assert all(
        set(resource) == {"urn", "type", "name", "inputs"} for resource in report["resources"]
    )
    fields = {
        "policy",
        "enforcement",
        "severity",
        "resource_type",
        "resource_name",
        "resource_urn",
        "message",
    }
    assert report["violations"] and all(
        set(violation) == fields for violation in report["violations"]
    )
    urns = {resource["urn"] for resource in report["resources"]}
    assert all(violation["resource_urn"] in urns for violation in report["violations"])
    summary = report["summary"]
    assert summary["resources"] == len(report["resources"]) == 10
    assert 0 < summary["passed"] < summary["checks"]
    assert summary["pass_rate"] == pytest.approx(summary["passed"] / summary["checks"], abs=1e-4)


def test_secret_inputs_are_masked(insecure_report):
    _, report = insecure_report
    database = next(resource for resource in report["resources"] if resource["name"] == "orders")
    assert database["inputs"]["masterPassword"] == "[secret]"
    assert "not-a-real-secret" not in json.dumps(report)


def test_compliant_program_passes(tmp_path, capsys):
    program = _program(
        tmp_path / "compliant", COMPLIANT_PROGRAM, "config:\n  aws:region: ap-northeast-2\n"
    )
    code, report = _json(capsys, "--program", str(program), "--stack", "test")
    assert code == 0
    assert [
        violation for violation in report["violations"] if violation["enforcement"] == "mandatory"
    ] == []
    assert report["summary"]["checks"] > 0


def test_policy_config_can_turn_the_verdict(tmp_path, capsys):
    policy_config = tmp_path / "advisory.json"
    policy_config.write_text(json.dumps({"all": "advisory"}))
    code, report = _json(
        capsys, "--program", str(INSECURE), "--stack", "test", "--config", str(policy_config)
    )
    assert code == 0
    assert report["violations"] and {
        violation["enforcement"] for violation in report["violations"]
    } == {"advisory"}


def test_exemptions_live_and_expired(tmp_path, capsys):
    rule = "aws-rds-encrypt-cluster-storage-data"
    exemption = {"resource": "orders", "reason": "legacy cluster, re-created encrypted in Q1"}
    live = tmp_path / "live.json"
    live.write_text(json.dumps({rule: {"exemptions": [{**exemption, "expires": "2099-12-31"}]}}))
    expired = tmp_path / "expired.json"
    expired.write_text(json.dumps({rule: {"exemptions": [{**exemption, "expires": "2020-01-31"}]}}))

    _, live_report = _json(
        capsys, "--program", str(INSECURE), "--stack", "test", "--config", str(live)
    )
    _, expired_report = _json(
        capsys, "--program", str(INSECURE), "--stack", "test", "--config", str(expired)
    )
    assert rule not in {violation["policy"] for violation in live_report["violations"]}
    messages = [
        violation["message"]
        for violation in expired_report["violations"]
        if violation["policy"] == rule
    ]
    assert any("expired" in message for message in messages) and len(messages) >= 2


@pytest.mark.parametrize(
    "policy_config, fragment",
    [
        ({"aws-rds-encrypt-cluster-storage": "advisory"}, "no such rule"),
        ({"all": "warn"}, "'warn' is not an enforcement level"),
    ],
)
def test_bad_policy_config_exits_2_naming_the_problem(tmp_path, capsys, policy_config, fragment):
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(policy_config))
    code, out, err = _gate(
        capsys, "--program", str(INSECURE), "--stack", "test", "--config", str(path)
    )
    assert code == 2 and out == "" and fragment in err


def test_broken_program_exits_2_with_the_reason(tmp_path, capsys):
    program = _program(
        tmp_path / "broken",
        "import pulumi\nraise RuntimeError('the program is broken')\n",
        "config: {}\n",
    )
    code, _, err = _gate(capsys, "--program", str(program), "--stack", "test")
    assert code == 2 and "the program is broken" in err


def test_bad_stack_config_exits_2_naming_the_key(tmp_path, capsys):
    program = _program(
        tmp_path / "checked", CONFIG_CHECKING_PROGRAM, "config:\n  checked:nodeCount: 50\n"
    )
    code, _, err = _gate(capsys, "--program", str(program), "--stack", "test")
    assert code == 2 and "nodeCount" in err and "1 to 10" in err
    code, _, err = _gate(
        capsys,
        "--program",
        str(program),
        "--stack",
        "test",
        "--config-file",
        str(tmp_path / "missing.yaml"),
    )
    assert code == 2 and "missing.yaml does not exist" in err


def test_config_file_replaces_the_stack_file(tmp_path, capsys):
    program = _program(
        tmp_path / "checked", CONFIG_CHECKING_PROGRAM, "config:\n  checked:nodeCount: 50\n"
    )
    good = tmp_path / "good.yaml"
    good.write_text("config:\n  checked:nodeCount: 3\n")
    code, _, _ = _gate(
        capsys, "--program", str(program), "--stack", "test", "--config-file", str(good)
    )
    assert code == 0


def test_sarif_has_2_1_0_shape(capsys):
    code, out, _ = _gate(capsys, "--program", str(INSECURE), "--stack", "test", "--format", "sarif")
    document = json.loads(out)
    assert code == 1
    assert document["version"] == "2.1.0" and "sarif" in document["$schema"]
    run = document["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert run["tool"]["driver"]["name"] == "ticketing-guardrails"
    assert {rule["id"] for rule in rules} == RULE_NAMES
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in {"error", "warning"}
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith(
            "__main__.py"
        )
        assert result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].startswith(
            "urn:pulumi:test::insecure-sample::"
        )
    assert any(
        result["level"] == "error" and result["ruleId"] == "aws-rds-encrypt-cluster-storage-data"
        for result in run["results"]
    )


def test_text_report_plan_then_findings_by_severity(capsys):
    code, out, _ = _gate(capsys, "--program", str(INSECURE), "--stack", "test")
    assert code == 1
    assert "\x1b[" not in out  # no colour codes when not a terminal
    plan_at, report_at = out.index("Plan: stack test"), out.index("Policy report:")
    assert plan_at < report_at
    assert "databasePassword = [secret]" in out
    assert "storageEncrypted=false" in out[plan_at:report_at]
    severities = [
        out.index(f"\n{severity} (")
        for severity in ("CRITICAL", "HIGH", "MEDIUM")
        if f"\n{severity} (" in out
    ]
    assert severities == sorted(severities) and len(severities) >= 2
    assert "set `storage_encrypted=True`" in out
    assert "BLOCKED:" in out and "mandatory" in out[out.index("Summary") :]


def test_list_rules_shows_every_rule_and_trivy_coverage(capsys):
    code, out, _ = _gate(capsys, "--list-rules")
    assert code == 0
    assert all(name in out for name in RULE_NAMES)
    assert "AVD-AWS-0079" in out
    # the reference table lives in ../shared (CI lays it beside the clone); without it the
    # gate says so
    expected = (
        "resource-config checks"
        if trivy_table(REPO_ROOT)
        else "unknown (reference table not found)"
    )
    assert "Trivy coverage: " in out and expected in out


def test_list_rules_applies_the_policy_config(tmp_path, capsys):
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"all": "disabled"}))
    _, out, _ = _gate(capsys, "--list-rules", "--config", str(path))
    assert "mandatory" not in out and "disabled" in out


def test_this_repository_needs_a_stack_choice(capsys, monkeypatch):
    monkeypatch.chdir(REPO_ROOT)
    assert main([]) == 2
    assert "3 stacks (dev, dr, prod): choose one with --stack" in capsys.readouterr().err
