"""Real checkov against the pack on what the stacks' local charts render.

`python -m policies.coverage.checkov_agreement build/checkov-venv/bin/checkov` (part of
`make coverage-checkov`): for each stack, the gate renders the chart releases with the stack's
values; checkov scans those manifests and the pack judges them. Every check checkov fails on a
manifest must be `rejected` in checkov.tsv or found on the same manifest by a rule carrying its
id (exit 1 otherwise). A pack finding that checkov does not share is printed as stricter.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import yaml

from policies.gate.analyze import PackAnalyzer
from policies.gate.coverage import CHECKOV_TABLE, REJECTED, read_checkov_table
from policies.gate.deployment import deployment_checks
from policies.program_runner import RegisteredResource, run_program
from policies.rules import ALL_POLICIES

REPO_ROOT = Path(__file__).resolve().parents[2]
STACKS = ("dev", "prod", "dr")
CHECKOV_TIMEOUT_SECONDS = 600

Finding = tuple[str, str]
"""(check id, manifest as checkov names it: `Kind.namespace.name`)."""


def manifest_key(manifest: Mapping[str, object]) -> str:
    metadata = manifest.get("metadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    return f"{manifest.get('kind')}.{metadata.get('namespace', 'default')}.{metadata.get('name')}"


def checkov_failures(checkov: Path, manifests: Sequence[Mapping[str, object]]) -> set[Finding]:
    with tempfile.TemporaryDirectory() as directory:
        for index, manifest in enumerate(manifests):
            (Path(directory) / f"{index:03d}.yaml").write_text(yaml.safe_dump(dict(manifest)))
        scan = subprocess.run(  # noqa: S603 -- the checkov binary the Makefile installed
            [str(checkov), "-d", directory, "--framework", "kubernetes", "-o", "json", "--quiet"],
            capture_output=True,
            text=True,
            timeout=CHECKOV_TIMEOUT_SECONDS,
            # No Prisma Cloud guideline lookups: the scan stays on this machine.
            env={"BC_SKIP_MAPPING": "TRUE", "PATH": str(checkov.parent)},
            check=False,
        )
    reports = json.loads(scan.stdout or "[]")
    reports = reports if isinstance(reports, list) else [reports]
    return {
        (failed["check_id"], failed["resource"])
        for report in reports
        for failed in report.get("results", {}).get("failed_checks", [])
    }


def pack_failures(
    resources: Sequence[RegisteredResource], rendered: Sequence[RegisteredResource]
) -> set[Finding]:
    """Each checkov id of each rule that reports a rendered manifest, on that manifest."""
    analysis = PackAnalyzer(ALL_POLICIES, {}).analyze([*resources, *rendered])
    keys = {resource.urn: manifest_key(resource.inputs) for resource in rendered}
    ids = {rule.name: rule.checkov_ids for rule in analysis.rules}
    return {
        (check_id, keys[violation.resource_urn])
        for violation in analysis.violations
        if violation.resource_urn in keys
        for check_id in ids[violation.policy]
    }


def disagreements(
    checkov_failed: Iterable[Finding], pack_failed: set[Finding], rejected: set[str]
) -> list[str]:
    """A failure checkov reports that the pack neither finds nor has rejected."""
    return sorted(
        f"{check_id} on {manifest}: checkov fails it, no rule finds it"
        for check_id, manifest in checkov_failed
        if check_id not in rejected and (check_id, manifest) not in pack_failed
    )


def stricter(checkov_failed: set[Finding], pack_failed: Iterable[Finding]) -> list[str]:
    return sorted(
        f"{check_id} on {manifest}"
        for check_id, manifest in pack_failed
        if (check_id, manifest) not in checkov_failed
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m policies.coverage.checkov_agreement")
    parser.add_argument("checkov", type=Path, help="the checkov executable")
    arguments = parser.parse_args(argv)
    rejected = {
        row.id for row in read_checkov_table(REPO_ROOT / CHECKOV_TABLE) if row.decision == REJECTED
    }
    missed: list[str] = []
    for stack in STACKS:
        with contextlib.redirect_stdout(sys.stderr):
            run = run_program(REPO_ROOT, stack)
        rendered = deployment_checks(run, REPO_ROOT).rendered
        checkov_failed = checkov_failures(arguments.checkov, [r.inputs for r in rendered])
        pack_failed = pack_failures(run.resources, rendered)
        found = disagreements(checkov_failed, pack_failed, rejected)
        missed += [f"{stack}: {line}" for line in found]
        print(
            f"{stack}: {len(rendered)} manifests, checkov fails {len(checkov_failed)}"
            f" (check, manifest) pairs, {len(found)} neither found by the pack nor rejected"
        )
        for line in stricter(checkov_failed, pack_failed):
            print(f"  pack stricter: {line}")
    for line in missed:
        print(line)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
