"""The pack as the Pulumi CLI starts it: `python -u -m pulumi.policy <engine> .` in policies/
(what `pulumi-analyzer-policy-python` runs), answering the engine over gRPC."""

import subprocess
import sys
import tomllib
from pathlib import Path

import grpc
import pytest
import yaml
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from policies.rules import ALL_POLICIES

PACK_DIR = Path(__file__).resolve().parents[2] / "policies"


@pytest.fixture(scope="module")
def analyzer():
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:0", "."],
        cwd=PACK_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        port = process.stdout.readline().strip()
        assert port.isdigit(), (
            f"pack did not start: {process.stderr.read() if process.poll() is not None else port}"
        )
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        process.kill()
        process.wait(timeout=10)


def test_pack_serves_every_rule_under_its_name(analyzer):
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)
    assert info.name == "ticketing-guardrails"
    assert {policy.name for policy in info.policies} == {policy.name for policy in ALL_POLICIES}
    assert all(policy.remediation_steps for policy in info.policies)


def test_pack_reports_a_violation_over_grpc(analyzer):
    request = analyzer_pb2.AnalyzeRequest(
        type="aws:rds/cluster:Cluster",
        name="orders",
        urn="urn:pulumi:dev::ticketing::aws:rds/cluster:Cluster::orders",
    )
    request.properties.update({"engine": "aurora-postgresql", "storageEncrypted": False})
    response = analyzer.Analyze(request, timeout=30)
    mandatory = {
        diagnostic.policyName
        for diagnostic in response.diagnostics
        if diagnostic.enforcementLevel == analyzer_pb2.MANDATORY
    }
    assert "aws-rds-encrypt-cluster-storage-data" in mandatory


def test_policy_project_file_runs_python_from_the_repo_venv():
    project = yaml.safe_load((PACK_DIR / "PulumiPolicy.yaml").read_text())
    assert project["runtime"]["name"] == "python"
    assert (
        PACK_DIR / project["runtime"]["options"]["virtualenv"]
    ).resolve() == PACK_DIR.parent / ".venv"
    assert project["version"]


def test_pulumi_policy_is_pinned():
    requirements = (PACK_DIR / "requirements.txt").read_text().split()
    assert "pulumi-policy==1.21.0" in requirements and "rich==15.0.0" in requirements


def test_distribution_and_pack_have_one_version():
    distribution = tomllib.loads((PACK_DIR / "pyproject.toml").read_text())["project"]
    assert (
        distribution["version"]
        == yaml.safe_load((PACK_DIR / "PulumiPolicy.yaml").read_text())["version"]
    )
    assert distribution["scripts"]["ticketing-policy-gate"] == "policies.gate.__main__:main"
