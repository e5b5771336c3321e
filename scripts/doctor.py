"""`make doctor`: whether this machine can run a real `pulumi up` of the ticketing stacks.

It checks every tool the deploy needs and says what is missing and how to get it: the Pulumi CLI
and a logged-in backend, the AWS CLI (the kubeconfig runs `aws eks get-token`) with credentials,
the account's Auto Scaling service-linked role (named in the EKS key policy), Python and the
program's virtualenv. It only reports: the exit status is 0 unless `--strict` is given, so an
offline machine (this workplace, CI) can run it.

Standard library only: it has to run before anything is installed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
MINIMUM_PYTHON = (3, 11)
COMMAND_TIMEOUT_SECONDS = 20
AUTOSCALING_ROLE = "AWSServiceRoleForAutoScaling"


@dataclass(frozen=True)
class Finding:
    check: str
    ready: bool
    detail: str


def _run(*command: str) -> tuple[bool, str]:
    """(succeeded, first line of its output or error)."""
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_SECONDS, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return False, str(error)
    text = (done.stdout.strip() or done.stderr.strip()).splitlines()
    return done.returncode == 0, text[0] if text else f"exit {done.returncode}"


def python_version() -> Finding:
    found = sys.version_info[:2]
    wanted = ".".join(map(str, MINIMUM_PYTHON))
    return Finding(
        "python",
        found >= MINIMUM_PYTHON,
        f"{sys.version.split()[0]}"
        + ("" if found >= MINIMUM_PYTHON else f": the program needs Python {wanted} or newer"),
    )


def virtualenv() -> Finding:
    ready = (REPO_ROOT / ".venv" / "bin" / "python").is_file()
    return Finding(
        "program virtualenv",
        ready,
        ".venv (Pulumi.yaml runs the program with it)"
        if ready
        else "no .venv: run `make install` (Pulumi.yaml runs the program from .venv)",
    )


def _tool(name: str, version_args: tuple[str, ...], install: str) -> Finding:
    if shutil.which(name) is None:
        return Finding(name, False, f"not on PATH: {install}")
    ok, text = _run(name, *version_args)
    return Finding(name, ok, text if ok else f"`{name} {' '.join(version_args)}` failed: {text}")


def pulumi_cli() -> Finding:
    return _tool("pulumi", ("version",), "install it from https://www.pulumi.com/docs/install/")


def aws_cli() -> Finding:
    return _tool(
        "aws",
        ("--version",),
        "install AWS CLI v2; the kubeconfig runs `aws eks get-token` for every Kubernetes call",
    )


def pulumi_backend() -> Finding:
    if shutil.which("pulumi") is None:
        return Finding("pulumi backend", False, "needs the pulumi CLI first")
    ok, text = _run("pulumi", "whoami", "--verbose")
    return Finding(
        "pulumi backend",
        ok,
        text if ok else f"not logged in ({text}): `pulumi login` or `pulumi login s3://<bucket>`",
    )


def aws_identity() -> Finding:
    if shutil.which("aws") is None:
        return Finding("aws credentials", False, "needs the aws CLI first")
    ok, text = _run("aws", "sts", "get-caller-identity", "--query", "Arn", "--output", "text")
    return Finding(
        "aws credentials",
        ok,
        f"deploying as {text}" if ok else f"no working credentials ({text}): `aws configure sso`",
    )


def autoscaling_role() -> Finding:
    if shutil.which("aws") is None:
        return Finding("autoscaling service-linked role", False, "needs the aws CLI first")
    ok, text = _run("aws", "iam", "get-role", "--role-name", AUTOSCALING_ROLE)
    return Finding(
        "autoscaling service-linked role",
        ok,
        f"{AUTOSCALING_ROLE} exists"
        if ok
        else f"{AUTOSCALING_ROLE} not found ({text}): the EKS key policy names it; create it once"
        " per account with `aws iam create-service-linked-role --aws-service-name"
        " autoscaling.amazonaws.com`",
    )


CHECKS: tuple[Callable[[], Finding], ...] = (
    python_version,
    virtualenv,
    pulumi_cli,
    pulumi_backend,
    aws_cli,
    aws_identity,
    autoscaling_role,
)


def main(argv: list[str]) -> int:
    findings = [check() for check in CHECKS]
    width = max(len(finding.check) for finding in findings)
    for finding in findings:
        mark = "ok     " if finding.ready else "MISSING"
        print(f"{mark}  {finding.check:<{width}}  {finding.detail}")
    missing = [finding.check for finding in findings if not finding.ready]
    if missing:
        print(f"\n{len(missing)} of {len(findings)} not ready for pulumi up: {', '.join(missing)}")
    else:
        print(f"\nall {len(findings)} checks ready for pulumi up")
    return 1 if missing and "--strict" in argv else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
