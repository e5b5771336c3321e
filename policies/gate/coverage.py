"""Which of Trivy's AWS checks the pack covers, from the shared reference table; which of
checkov's checks it covers, from the committed table `policies/coverage/checkov.tsv`."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from policies.gate.analyze import RuleInfo

TRIVY_TABLE = Path("..") / "shared" / "reference" / "trivy-aws-checks.tsv"
"""Relative to the repository root."""
DECIDABLE_FROM_CONFIG = "resource-config"
CHECKOV_TABLE = Path("policies") / "coverage" / "checkov.tsv"
"""Relative to the repository root."""
CHECKOV_COLUMNS = ("framework", "id", "name", "resource_types", "decision", "reason")
REJECTED = "rejected"
UNDECIDED = "undecided"


@dataclass(frozen=True)
class TrivyCheck:
    service: str
    id: str
    name: str
    severity: str


@dataclass(frozen=True)
class Coverage:
    covered: list[TrivyCheck]
    missing: list[TrivyCheck]

    @property
    def total(self) -> int:
        return len(self.covered) + len(self.missing)


def trivy_table(repo_root: Path) -> Path | None:
    table = (repo_root / TRIVY_TABLE).resolve()
    return table if table.is_file() else None


def resource_config_checks(table: Path) -> list[TrivyCheck]:
    """The table's checks a program's resource inputs can decide (its `applies` column)."""
    lines = [
        line for line in table.read_text().splitlines() if line.strip() and not line.startswith("#")
    ]
    return [
        TrivyCheck(row["service"], row["id"], row["name"], row["severity"])
        for row in csv.DictReader(lines, delimiter="\t")
        if row.get("applies") == DECIDABLE_FROM_CONFIG
    ]


def coverage(rules: Iterable[RuleInfo], checks: Iterable[TrivyCheck]) -> Coverage:
    covered_ids = {trivy_id for rule in rules for trivy_id in rule.trivy_ids}
    checks = list(checks)
    return Coverage(
        covered=[check for check in checks if check.id in covered_ids],
        missing=[check for check in checks if check.id not in covered_ids],
    )


@dataclass(frozen=True)
class CheckovRow:
    """One checkov check that reads a type the stacks create: the rules covering it (names joined
    by ','), or `rejected` with the reason, or `undecided`. A covered row's reason is a note on
    where the rule and the check differ."""

    framework: str
    id: str
    name: str
    resource_types: tuple[str, ...]
    decision: str
    reason: str

    @property
    def covered(self) -> bool:
        return self.decision not in (REJECTED, UNDECIDED)

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(self.decision.split(",")) if self.covered else ()


@dataclass(frozen=True)
class CheckovCoverage:
    covered: list[CheckovRow]
    rejected: list[CheckovRow]
    undecided: list[CheckovRow]

    @property
    def total(self) -> int:
        return len(self.covered) + len(self.rejected) + len(self.undecided)


def read_checkov_table(table: Path) -> list[CheckovRow]:
    lines = [
        line for line in table.read_text().splitlines() if line.strip() and not line.startswith("#")
    ]
    return [
        CheckovRow(
            framework=row["framework"],
            id=row["id"],
            name=row["name"],
            resource_types=tuple(filter(None, row["resource_types"].split(","))),
            decision=row["decision"],
            reason=row["reason"] or "",
        )
        for row in csv.DictReader(lines, delimiter="\t")
    ]


def write_checkov_table(table: Path, rows: Iterable[CheckovRow], checkov_version: str) -> None:
    lines = [
        f"# checkov {checkov_version}: every check whose resource types the stacks create, and"
        " every check a rule claims.",
        "# Written by `make coverage-checkov`; decide `undecided` rows by hand (a rule name, or"
        " `rejected` and a reason).",
        "\t".join(CHECKOV_COLUMNS),
    ]
    for row in rows:
        fields = (
            row.framework,
            row.id,
            row.name,
            ",".join(row.resource_types),
            row.decision,
            row.reason,
        )
        lines.append("\t".join(field.replace("\t", " ") for field in fields))
    table.write_text("\n".join(lines) + "\n")


def checkov_table(repo_root: Path) -> Path | None:
    table = repo_root / CHECKOV_TABLE
    return table if table.is_file() else None


def checkov_coverage(rows: Iterable[CheckovRow]) -> CheckovCoverage:
    rows = list(rows)
    return CheckovCoverage(
        covered=[row for row in rows if row.covered],
        rejected=[row for row in rows if row.decision == REJECTED],
        undecided=[row for row in rows if row.decision == UNDECIDED],
    )
