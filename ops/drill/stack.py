"""The drill's copy of the stack files: phase changes edit it as `pulumi config set` edits the
real one, and the routing is read back with `ops.dr`'s reader."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import yaml

from components.routing_weights import (
    FAILBACK_STEP_KEY,
    PHASE_KEY,
    WEIGHTS_KEY,
    WeightSelection,
)
from ops.dr.plan import selections_to
from ops.dr.stack_file import ROUTING_KEY, StackFile, read_stack_file, region_of

ROUTING_STACK = "dr"
PRIMARY_STACK = "prod"


def copy_stack_files(source: Path, project: Path) -> StackFile:
    """The copy starts in phase normal whatever the stack says now, keeping its failbackSteps."""
    project.mkdir(parents=True, exist_ok=True)
    for stack in (ROUTING_STACK, PRIMARY_STACK):
        shutil.copyfile(source / f"Pulumi.{stack}.yaml", project / f"Pulumi.{stack}.yaml")
    configured = read_stack_file(project, ROUTING_STACK).routing.selection
    return write_selection(
        project, replace(configured, phase="normal", failback_step=None, overrides=None)
    )


def write_selection(project: Path, selection: WeightSelection) -> StackFile:
    path = project / f"Pulumi.{ROUTING_STACK}.yaml"
    document = yaml.safe_load(path.read_text())
    routing = document["config"][ROUTING_KEY]
    routing[PHASE_KEY] = selection.phase
    for key, value in (
        (FAILBACK_STEP_KEY, selection.failback_step),
        (WEIGHTS_KEY, dict(selection.overrides) if selection.overrides else None),
    ):
        if value is None:
            routing.pop(key, None)
        else:
            routing[key] = value
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return read_stack_file(project, ROUTING_STACK)


def steps_to(project: Path, destination: str) -> list[WeightSelection]:
    """The stack-file states `ops.dr plan --to destination` walks through, in order."""
    return selections_to(read_stack_file(project, ROUTING_STACK).routing.selection, destination)


def primary_region(project: Path) -> str:
    region = region_of(project, PRIMARY_STACK)
    if region is None:
        raise ValueError(f"Pulumi.{PRIMARY_STACK}.yaml has no aws:region")
    return region
