"""Checks between a stack and the stack it follows (`<project>:dr.primaryStack`), run whenever the
gate runs the follower: what the two must agree on, which neither stack's own config can see.

- the follower's routed name (`routing.recordName`) is the primary's public hostname;
- both run the same Aurora engine version (members of one global database);
- the follower sets no database password of its own: a global secondary has none, and the
  primary's credentials reach it through a secret stack output.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from policies.program_runner import ProgramRun, load_stack_config


class CrossStackError(Exception):
    """The stack disagrees with the stack it follows; the message names both keys."""


def _decoded(config: dict[str, str], key: str) -> Any:
    value = config.get(key)
    try:
        return json.loads(value) if value is not None else None
    except ValueError:
        return value


def _field(config: dict[str, str], key: str, field: str) -> Any:
    section = _decoded(config, key)
    return section.get(field) if isinstance(section, dict) else None


def primary_stack_name(run: ProgramRun) -> str | None:
    primary = _field(run.config, f"{run.project}:dr", "primaryStack")
    return str(primary).rsplit("/", 1)[-1] if primary else None


def cross_stack_problems(run: ProgramRun, program_dir: Path) -> list[str]:
    """What the stack and its primary disagree on (nothing to check without a primary)."""
    primary = primary_stack_name(run)
    if primary is None:
        return []
    stack_file = program_dir / f"Pulumi.{primary}.yaml"
    if not stack_file.is_file():
        return [f"the primary stack {primary} has no {stack_file.name} to compare with"]
    theirs, _ = load_stack_config(stack_file, run.project)
    ours = run.config
    ns = run.project
    problems = []
    record = _field(ours, f"{ns}:routing", "recordName")
    public = _field(theirs, f"{ns}:edge", "publicHostname")
    if record is not None and record != public:
        problems.append(
            f"{ns}:routing.recordName is {record!r}, but {primary}'s {ns}:edge.publicHostname is"
            f" {public!r}: the weighted records must serve the primary's public name"
        )
    our_engine = _field(ours, f"{ns}:database", "engineVersion")
    their_engine = _field(theirs, f"{ns}:database", "engineVersion")
    if our_engine != their_engine:
        problems.append(
            f"{ns}:database.engineVersion is {our_engine!r}, but {primary}'s is {their_engine!r}:"
            " members of one global database run one version (upgrade through the global cluster)"
        )
    if f"{ns}:databasePassword" in ours:
        problems.append(
            f"{ns}:databasePassword is set: a global secondary has no credentials of its own; the"
            f" pods use {primary}'s, read from its secret stack output"
        )
    return [f"stack {run.stack} against {primary}: {problem}" for problem in problems]


def check_cross_stack(run: ProgramRun, program_dir: Path) -> None:
    problems = cross_stack_problems(run, program_dir)
    if problems:
        raise CrossStackError("; ".join(problems))
