"""The gate's findings as SARIF 2.1.0, for code-scanning uploads: one rule per policy, one result
per violation, located at the program's entry point and named by the resource's URN. The
deployment checks that passed (policies/gate/deployment.py) are the invocation's notifications:
they are no policy's finding, and a failed one stops the gate before any report."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from policies.gate.analyze import Analysis, RuleInfo, Violation
from policies.gate.pack import PACK_NAME, pack_version

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
SECURITY_SEVERITY = {
    "critical": "9.5",
    "high": "8.0",
    "medium": "5.5",
    "low": "3.0",
    "unspecified": "0.0",
}
"""GitHub's scale: 9.0+ critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low."""


def _level(enforcement: str) -> str:
    return {"mandatory": "error", "advisory": "warning", "remediate": "error"}.get(
        enforcement, "none"
    )


def _rule(rule: RuleInfo, enforcement: str) -> dict[str, Any]:
    return {
        "id": rule.name,
        "name": rule.name,
        "shortDescription": {"text": rule.description},
        "help": {"text": rule.remediation or rule.description},
        "defaultConfiguration": {
            "level": _level(enforcement),
            "enabled": enforcement != "disabled",
        },
        "properties": {
            "security-severity": SECURITY_SEVERITY[rule.severity],
            "tags": ["security", *rule.trivy_ids],
        },
    }


def _result(violation: Violation, rule_index: dict[str, int], artifact_uri: str) -> dict[str, Any]:
    subject = f"{violation.resource_type} {violation.resource_name}".strip() or "stack"
    return {
        "ruleId": violation.policy,
        "ruleIndex": rule_index[violation.policy],
        "level": _level(violation.enforcement),
        "message": {"text": f"{subject}: {violation.message}"},
        "locations": [
            {
                "physicalLocation": {"artifactLocation": {"uri": artifact_uri}},
                "logicalLocations": [
                    {
                        "name": violation.resource_name,
                        "fullyQualifiedName": violation.resource_urn,
                        "kind": "resource",
                    }
                ],
            }
        ],
        "properties": {"enforcement": violation.enforcement, "severity": violation.severity},
    }


def _invocation(deployment_checks: Sequence[str]) -> dict[str, Any]:
    return {
        "executionSuccessful": True,
        "toolExecutionNotifications": [
            {"descriptor": {"id": "deployment-check"}, "level": "note", "message": {"text": line}}
            for line in deployment_checks
        ],
    }


def sarif_report(
    analysis: Analysis, artifact_uri: str, deployment_checks: Sequence[str]
) -> dict[str, Any]:
    """`artifact_uri`: the program's entry point, relative to the repository root."""
    rule_index = {rule.name: index for index, rule in enumerate(analysis.rules)}
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": PACK_NAME,
                        "version": pack_version(),
                        "rules": [
                            _rule(rule, analysis.settings[rule.name].enforcement)
                            for rule in analysis.rules
                        ],
                    }
                },
                "results": [
                    _result(violation, rule_index, artifact_uri)
                    for violation in analysis.violations
                ],
                "invocations": [_invocation(deployment_checks)],
            }
        ],
    }
