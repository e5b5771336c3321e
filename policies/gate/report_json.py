"""The gate's result as one JSON object (the DESIGN.md "Offline policy gate" contract)."""

from __future__ import annotations

import dataclasses
from typing import Any

from policies.gate.analyze import Analysis
from policies.gate.inputs import display_inputs
from policies.program_runner import ProgramRun


def json_report(run: ProgramRun, analysis: Analysis) -> dict[str, Any]:
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
    }
