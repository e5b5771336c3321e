"""The repository's own stacks pass the gate with their policy config (policies/stacks/): no
mandatory violation in dev, prod or dr."""

from pathlib import Path

import pytest

from policies.gate.analyze import PackAnalyzer
from policies.gate.deployment import deployment_checks
from policies.gate.policy_config import load_policy_config
from policies.program_runner import run_program
from policies.rules import ALL_POLICIES

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not (REPO_ROOT / "Pulumi.yaml").is_file(),
    reason="the Pulumi program (Pulumi.yaml at the repository root) is not there yet",
)


@pytest.mark.parametrize("stack", ["dev", "prod", "dr"])
def test_stack_has_no_mandatory_violation(stack):
    run = run_program(REPO_ROOT, stack)
    policy_config = load_policy_config(REPO_ROOT / "policies" / "stacks" / f"{stack}.json")
    rendered = deployment_checks(run, REPO_ROOT).rendered
    assert rendered, "the stack's chart release is rendered and judged"
    analysis = PackAnalyzer(ALL_POLICIES, policy_config).analyze(
        [*run.resources, *rendered], run.config
    )
    blocking = [
        f"{violation.policy} on {violation.resource_type} {violation.resource_name}:"
        f" {violation.message}"
        for violation in analysis.mandatory
    ]
    assert blocking == []
    assert analysis.checks > 0
