"""The gate's human report, tfsec-style: findings by severity, each with its rule, resource,
message, enforcement and the argument to change; then the counts and the verdict.

Everything printed goes through `Text` objects, never markup strings: messages quote the
program's own values, which may contain square brackets.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any, TextIO

from rich.console import Console
from rich.table import Column, Table
from rich.text import Text

from policies.gate.analyze import SEVERITIES, Analysis, RuleInfo, Undecided, Violation
from policies.gate.coverage import CheckovCoverage, Coverage
from policies.gate.plan import ComponentGroup, PlannedResource, compact
from policies.gate.policy_config import RuleSettings
from policies.program_runner import ProgramRun

SEVERITY_STYLE = {
    "critical": "bold white on red",
    "high": "bold red",
    "medium": "yellow",
    "low": "cyan",
    "unspecified": "dim",
}
ENFORCEMENT_STYLE = {
    "mandatory": "bold red",
    "advisory": "yellow",
    "disabled": "dim",
    "remediate": "magenta",
}
REPORTED_SEVERITIES = SEVERITIES[:4]
"""Always listed in the closing counts; "unspecified" only when a finding has it."""


PIPE_WIDTH = 160
"""Width when writing to a file or CI log (rich would assume 80 and cut rule names in tables)."""
OUTPUT_WIDTH = 140


def console_for(stream: TextIO) -> Console:
    """Colour only on a terminal; long lines left to the terminal instead of hard-wrapped."""
    return Console(
        file=stream, highlight=False, soft_wrap=True, width=None if stream.isatty() else PIPE_WIDTH
    )


def _heading(console: Console, title: str) -> None:
    console.print()
    console.print(Text(title, style="bold underline"))


def _resource_line(planned: PlannedResource, indent: str) -> Text:
    line = (
        Text(indent)
        .append(planned.resource.type, style="dim")
        .append(" ")
        .append(planned.resource.name, style="bold")
    )
    for path, value in planned.settings:
        line.append(f"  {path}=").append(value, style="green")
    return line


def print_plan(
    console: Console,
    run: ProgramRun,
    groups: list[ComponentGroup],
    outputs: Mapping[str, Any],
    weights: Mapping[str, Any] | None,
) -> None:
    _heading(
        console,
        f"Plan: stack {run.stack} of {run.project}, {len(run.resources)} resources (offline, no"
        " cloud calls)",
    )
    for group in groups:
        if group.component is None:
            console.print(Text("(no component)", style="bold"))
        else:
            console.print(_resource_line(group.component, ""))
        for planned in group.resources:
            console.print(_resource_line(planned, "    "))
    _heading(console, "Outputs")
    for key, value in outputs.items():
        console.print(Text(f"{key} = ").append(compact(value, OUTPUT_WIDTH), style="green"))
    if weights:
        table = Table(
            "target", "weight", "share", title="Effective routing weights", title_justify="left"
        )
        total = sum(weights.values())
        for target, weight in weights.items():
            table.add_row(
                target, str(weight), f"{weight / total:.0%}" if total else "equal (all zero)"
            )
        console.print(table)


def print_deployment_checks(console: Console, lines: list[str]) -> None:
    """What a real deploy would trip over, checked offline (policies/gate/deployment.py)."""
    _heading(console, "Deployment checks")
    for line in lines:
        console.print(Text(line))


def _finding(console: Console, violation: Violation, rule: RuleInfo | None) -> None:
    subject = f"{violation.resource_type} {violation.resource_name}".strip() or "(stack)"
    console.print(
        Text("  ")
        .append(
            f"{violation.severity.upper():<9}", style=SEVERITY_STYLE.get(violation.severity, "")
        )
        .append(violation.policy, style="bold")
        .append("  ")
        .append(
            f"[{violation.enforcement}]", style=ENFORCEMENT_STYLE.get(violation.enforcement, "")
        )
    )
    for label, value in (
        ("resource", subject),
        ("message", violation.message),
        ("fix", rule.remediation if rule else ""),
    ):
        if value:
            console.print(Text(f"    {label:<9}").append(value))


def _undecided(console: Console, undecided: list[Undecided], names: Mapping[str, str]) -> None:
    _heading(
        console,
        f"Decided at deploy ({len(undecided)}): rules that read a value unknown during preview",
    )
    for entry in undecided:
        console.print(
            Text(
                f"  {entry.policy} on {names.get(entry.resource_urn, entry.resource_urn)}: "
            ).append(entry.reason, style="dim")
        )


def _summary(console: Console, analysis: Analysis, resource_count: int) -> None:
    by_severity = Counter(violation.severity for violation in analysis.violations)
    by_enforcement = Counter(violation.enforcement for violation in analysis.violations)
    severities = [
        severity
        for severity in SEVERITIES
        if severity in REPORTED_SEVERITIES or by_severity[severity]
    ]
    _heading(console, "Summary")
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_row("resources", str(resource_count))
    table.add_row(
        "checks", f"{analysis.checks} ({analysis.passed} passed, {analysis.pass_rate:.1%})"
    )
    table.add_row(
        "findings",
        "  ".join(f"{severity.upper()} {by_severity[severity]}" for severity in severities),
    )
    table.add_row(
        "enforcement",
        f"mandatory {by_enforcement['mandatory']}  advisory {by_enforcement['advisory']}",
    )
    console.print(table)
    verdict = (
        Text(f"BLOCKED: {len(analysis.mandatory)} mandatory violation(s)", style="bold red")
        if analysis.mandatory
        else Text("PASSED: no mandatory violations", style="bold green")
    )
    console.print(verdict)


def print_report(console: Console, run: ProgramRun, analysis: Analysis) -> None:
    enabled = sum(
        1 for settings in analysis.settings.values() if settings.enforcement != "disabled"
    )
    _heading(
        console,
        f"Policy report: {len(analysis.violations)} finding(s) from {enabled} enabled rules",
    )
    for severity in SEVERITIES:
        findings = [
            violation for violation in analysis.violations if violation.severity == severity
        ]
        if findings:
            console.print(
                Text(f"{severity.upper()} ({len(findings)})", style=SEVERITY_STYLE[severity])
            )
            for violation in findings:
                _finding(console, violation, analysis.rule(violation.policy))
    if not analysis.violations:
        console.print(Text("No findings.", style="green"))
    if analysis.undecided:
        _undecided(
            console,
            analysis.undecided,
            {resource.urn: f"{resource.type} {resource.name}" for resource in run.resources},
        )
    _summary(console, analysis, len(run.resources))


def print_rules(
    console: Console,
    rules: list[RuleInfo],
    settings: Mapping[str, RuleSettings],
    coverage: Coverage | None,
    checkov: CheckovCoverage | None = None,
) -> None:
    """Every rule with its effective enforcement (defaults, then the policy config), then Trivy
    and checkov coverage."""
    table = Table(
        # Rule names are what people grep for: never cut; the ID columns wrap instead.
        Column("rule", no_wrap=True, min_width=max((len(rule.name) for rule in rules), default=4)),
        "severity",
        "enforcement",
        "kind",
        "trivy",
        "checkov",
        title=f"{len(rules)} rules",
        title_justify="left",
    )
    for rule in sorted(rules, key=lambda rule: (SEVERITIES.index(rule.severity), rule.name)):
        enforcement = settings[rule.name].enforcement
        table.add_row(
            Text(rule.name),
            Text(rule.severity.upper(), style=SEVERITY_STYLE[rule.severity]),
            Text(enforcement, style=ENFORCEMENT_STYLE.get(enforcement, "")),
            rule.kind,
            Text(", ".join(rule.trivy_ids) or "-"),
            Text(", ".join(rule.checkov_ids) or "-"),
        )
    console.print(table)
    _print_trivy_coverage(console, coverage)
    _print_checkov_coverage(console, checkov)


def _print_trivy_coverage(console: Console, coverage: Coverage | None) -> None:
    if coverage is None:
        console.print(Text("Trivy coverage: unknown (reference table not found)", style="yellow"))
        return
    console.print(
        Text(f"Trivy coverage: {len(coverage.covered)}/{coverage.total} resource-config checks")
    )
    for check in coverage.missing:
        console.print(
            Text(
                f"  not covered: {check.id} {check.name} ({check.service}, {check.severity})",
                style="yellow",
            )
        )


def _print_checkov_coverage(console: Console, checkov: CheckovCoverage | None) -> None:
    if checkov is None:
        console.print(Text("checkov coverage: unknown (policies/coverage/checkov.tsv not found)"))
        return
    percent = 100 * len(checkov.covered) / checkov.total if checkov.total else 100.0
    console.print(
        Text(
            f"checkov coverage: {len(checkov.covered)}/{checkov.total} checks covered"
            f" ({percent:.0f}%), {len(checkov.rejected)} rejected with a reason,"
            f" {len(checkov.undecided)} undecided"
        )
    )
    for row in checkov.rejected:
        console.print(Text(f"  rejected: {row.id} {row.name}: {row.reason}", style="dim"))
    for row in checkov.undecided:
        console.print(Text(f"  undecided: {row.id} {row.name}", style="yellow"))
