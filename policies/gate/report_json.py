"""The gate's result as one JSON object (the DESIGN.md "Offline policy gate" contract), plus
`deployment_checks`: the lines of the deployment checks that passed (policies/gate/deployment.py),
as the text report prints them."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from policies.gate.analyze import Analysis
from policies.gate.inputs import display_inputs
from policies.program_runner import ProgramRun


def json_report(
    run: ProgramRun, analysis: Analysis, deployment_checks: Sequence[str]
) -> dict[str, Any]:
    return {
        "stack": run.stack,
        "resources": [
            {
                "urn": resource.urn,
                "type": resource.type,
                "name": resource.name,
                "inputs": display_inputs(resource.inputs, resource.secret_paths),
            }
            for resource in run.resources
        ],
        "violations": [dataclasses.asdict(violation) for violation in analysis.violations],
        "summary": {
            "resources": len(run.resources),
            "checks": analysis.checks,
            "passed": analysis.passed,
            "pass_rate": analysis.pass_rate,
        },
        "deployment_checks": list(deployment_checks),
    }
