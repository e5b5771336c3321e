"""Which of Trivy's AWS checks the pack covers, from the shared reference table."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from policies.gate.analyze import RuleInfo

TRIVY_TABLE = Path("..") / "shared" / "reference" / "trivy-aws-checks.tsv"
"""Relative to the repository root."""
DECIDABLE_FROM_CONFIG = "resource-config"


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
