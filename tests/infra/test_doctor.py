"""`make doctor` (scripts/doctor.py): what a real `pulumi up` needs on this machine, reported with
what to do, against stand-in `pulumi` and `aws` commands on PATH."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.infra.conftest import REPO_ROOT

DOCTOR = REPO_ROOT / "scripts" / "doctor.py"


def fake_tool(directory: Path, name: str, exit_code: int, output: str) -> None:
    script = directory / name
    script.write_text(f"#!/bin/sh\necho '{output}'\nexit {exit_code}\n")
    script.chmod(0o755)


def doctor(path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(DOCTOR), *arguments],
        capture_output=True,
        text=True,
        env={"PATH": str(path)},
        timeout=60,
        check=False,
    )


def test_a_machine_without_the_tools_is_told_what_to_install(tmp_path):
    result = doctor(tmp_path)
    assert result.returncode == 0, "offline it only reports"
    missing = [line for line in result.stdout.splitlines() if line.startswith("MISSING")]
    assert any("pulumi.com/docs/install" in line for line in missing)
    assert any("aws eks get-token" in line for line in missing)
    assert "not ready for pulumi up: pulumi, pulumi backend, aws, aws credentials" in result.stdout
    assert doctor(tmp_path, "--strict").returncode == 1


def test_a_logged_in_machine_with_both_clis_is_ready(tmp_path):
    fake_tool(tmp_path, "pulumi", 0, "v3.200.0")
    fake_tool(tmp_path, "aws", 0, "arn:aws:iam::123456789012:role/platform-deployer")
    result = doctor(tmp_path, "--strict")
    assert result.returncode == 0, result.stdout
    assert "all 7 checks ready for pulumi up" in result.stdout
    assert "deploying as arn:aws:iam::123456789012:role/platform-deployer" in result.stdout


def test_a_missing_autoscaling_role_and_login_are_reported_with_the_fix(tmp_path):
    fake_tool(tmp_path, "pulumi", 1, "error: not logged in")
    fake_tool(tmp_path, "aws", 1, "NoSuchEntity")
    result = doctor(tmp_path)
    assert "pulumi login" in result.stdout
    assert (
        "create-service-linked-role --aws-service-name autoscaling.amazonaws.com" in result.stdout
    )
