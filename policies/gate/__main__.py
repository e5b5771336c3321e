"""`python -m policies.gate`, installed as `ticketing-policy-gate`: the offline policy gate (see
DESIGN.md "Offline policy gate"). Runs from any directory against any program path.

Exit status: 0 no mandatory violation, 1 at least one, 2 the program, its config or the
policy config could not be used (the reason is printed).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from pulumi_policy import Policy

from policies.gate import plan as offline_plan
from policies.gate.analyze import Analysis, PackAnalyzer, PackError
from policies.gate.coverage import (
    checkov_coverage,
    checkov_table,
    coverage,
    read_checkov_table,
    resource_config_checks,
    trivy_table,
)
from policies.gate.deployment import Deployment, DeploymentError, deployment_checks
from policies.gate.pack import PACK_DIR
from policies.gate.policy_config import PolicyConfigError, load_policy_config
from policies.gate.report_json import json_report
from policies.gate.report_sarif import sarif_report
from policies.gate.report_text import (
    console_for,
    print_deployment_checks,
    print_plan,
    print_report,
    print_rules,
)
from policies.gate.stack_choice import DEFAULT_STACK, choose_stack
from policies.program_runner import ProgramError, ProgramRun, run_program
from policies.rules import ALL_POLICIES

REPO_ROOT = PACK_DIR.parent
EXIT_PASSED, EXIT_BLOCKED, EXIT_ERROR = 0, 1, 2


class GateError(Exception):
    """Anything that stops the gate before a verdict; the message is the reason shown."""


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=_program_name(),
        description="Run a Pulumi Python program under mocks and check it against the policy pack.",
    )
    parser.add_argument(
        "--stack",
        help="stack name; its config is its Pulumi.<stack>.yaml, empty when there is none"
        f" (default: the only stack that has one, else {DEFAULT_STACK!r})",
    )
    parser.add_argument(
        "--program",
        type=Path,
        default=Path.cwd(),
        help="Pulumi Python program directory (default: the working directory)",
    )
    parser.add_argument(
        "--config-file", type=Path, help="stack config file to use instead of Pulumi.<stack>.yaml"
    )
    parser.add_argument(
        "--config",
        type=Path,
        help="policy config JSON, as for `pulumi preview --policy-pack-config`",
    )
    parser.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    parser.add_argument(
        "--list-rules",
        action="store_true",
        help="list every rule with its severity, enforcement, Trivy and checkov IDs, then exit",
    )
    return parser.parse_args(argv)


def _program_name() -> str:
    """The console script's own name, or how `python -m` was asked."""
    name = Path(sys.argv[0]).name
    return "python -m policies.gate" if name == "__main__.py" else name


def _all_policies() -> list[Policy]:
    if not ALL_POLICIES:
        raise GateError("the policy pack has no rules (policies/rules/*.py export empty POLICIES)")
    return list(ALL_POLICIES)


def _analyzer(config_file: Path | None) -> PackAnalyzer:
    try:
        return PackAnalyzer(_all_policies(), load_policy_config(config_file) if config_file else {})
    except PolicyConfigError as error:
        raise GateError(str(error)) from error


def _run(arguments: argparse.Namespace) -> ProgramRun:
    try:
        stack = choose_stack(arguments.program, arguments.stack)
    except ProgramError as error:
        raise GateError(str(error)) from error
    # The program's own prints must not end up inside a JSON or SARIF document.
    with contextlib.redirect_stdout(sys.stderr):
        try:
            return run_program(arguments.program, stack, config_file=arguments.config_file)
        except ProgramError as error:
            raise GateError(f"stack {stack!r} of {arguments.program}: {error}") from error


def _list_rules(analyzer: PackAnalyzer) -> None:
    table = trivy_table(REPO_ROOT)
    found = coverage(analyzer.rules, resource_config_checks(table)) if table else None
    checkov = checkov_table(REPO_ROOT)
    checkov_found = checkov_coverage(read_checkov_table(checkov)) if checkov else None
    print_rules(console_for(sys.stdout), analyzer.rules, analyzer.settings, found, checkov_found)


def _print(
    arguments: argparse.Namespace, run: ProgramRun, analysis: Analysis, deployment: Deployment
) -> None:
    # The reports list what was judged; the plan stays what the program registers.
    judged = dataclasses.replace(run, resources=[*run.resources, *deployment.rendered])
    if arguments.format == "json":
        print(json.dumps(json_report(judged, analysis, deployment.lines), indent=2))
    elif arguments.format == "sarif":
        sarif = sarif_report(analysis, os.path.relpath(run.entry_point), deployment.lines)
        print(json.dumps(sarif, indent=2))
    else:
        console = console_for(sys.stdout)
        outputs = offline_plan.stack_outputs(run)
        print_plan(
            console, run, offline_plan.plan(run), outputs, offline_plan.routing_weights(outputs)
        )
        print_deployment_checks(console, deployment.lines)
        print_report(console, judged, analysis)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _arguments(argv)
    try:
        analyzer = _analyzer(arguments.config)
        if arguments.list_rules:
            _list_rules(analyzer)
            return EXIT_PASSED
        run = _run(arguments)
        deployment = deployment_checks(run, arguments.program)
    except (GateError, DeploymentError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR
    try:
        # What the program registers, and what its local charts deploy (rendered_resources.py).
        analysis = analyzer.analyze([*run.resources, *deployment.rendered], run.config)
    except PackError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR
    _print(arguments, run, analysis, deployment)
    return EXIT_BLOCKED if analysis.mandatory else EXIT_PASSED


if __name__ == "__main__":
    sys.exit(main())
