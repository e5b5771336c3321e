"""`ops.dr plan --to <destination>`: the runbook for one move, as the exact commands to type.

The weight steps come from `components.routing_weights` (the component validates with the same
code), so a plan can only contain tables the preview accepts and never passes through all-zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from components.routing_weights import (
    FAILBACK_STEP_KEY,
    PHASE_KEY,
    STANDBY,
    TARGETS,
    WEIGHTS_KEY,
    WeightSelection,
    format_weights,
    goals_for,
    safe_path,
)
from ops.dr.stack_file import DR_KEY, ROUTING_KEY, StackFile

# The prod stack exports the global cluster's identifier (the dr stack reads it the same way).
GLOBAL_CLUSTER_OUTPUT = "auroraGlobalClusterIdentifier"


@dataclass(frozen=True)
class Step:
    title: str
    commands: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PlanContext:
    stack_file: StackFile
    primary_stack: str
    primary_region: str | None
    global_cluster: str | None

    @property
    def stack(self) -> str:
        return self.stack_file.stack

    @property
    def cluster_argument(self) -> str:
        return (
            self.global_cluster
            or f'"$(pulumi stack output --stack {self.primary_stack} {GLOBAL_CLUSTER_OUTPUT})"'
        )


def _set(stack: str, path: str, value: object) -> str:
    return f"pulumi config set --path --stack {stack} {path} {value}"


def _remove(stack: str, path: str) -> str:
    return f"pulumi config rm --path --stack {stack} {path}"


def config_commands(stack: str, before: WeightSelection, after: WeightSelection) -> list[str]:
    """The `pulumi config` edits that turn `before` into `after` in the stack file."""
    routing = ROUTING_KEY
    commands = []
    if after.phase != before.phase:
        commands.append(_set(stack, f"{routing}.{PHASE_KEY}", after.phase))
    if after.failback_step != before.failback_step:
        path = f"{routing}.{FAILBACK_STEP_KEY}"
        commands.append(
            _remove(stack, path)
            if after.failback_step is None
            else _set(stack, path, after.failback_step)
        )
    old, new = dict(before.overrides or {}), dict(after.overrides or {})
    if old != new and not new:
        commands.append(_remove(stack, f"{routing}.{WEIGHTS_KEY}"))
    elif old != new:
        for target in TARGETS:
            path = f"{routing}.{WEIGHTS_KEY}.{target}"
            if target in new and old.get(target) != new[target]:
                commands.append(_set(stack, path, new[target]))
            elif target in old and target not in new:
                commands.append(_remove(stack, path))
    return commands


def selections_to(current: WeightSelection, destination: str) -> list[WeightSelection]:
    """The routing config states a move walks through, in order (the drill applies the same)."""
    return safe_path(current, goals_for(current, destination))


def routing_steps(stack: str, current: WeightSelection, destination: str) -> list[Step]:
    steps = []
    previous = current
    for selection in selections_to(current, destination):
        weights, before = selection.effective_weights(), previous.effective_weights()
        raising = weights != before and all(weights[target] >= before[target] for target in TARGETS)
        title = f"Weights {format_weights(weights)}" + (
            " (raise before lowering: never all-zero)" if raising else ""
        )
        steps.append(
            Step(
                title=title,
                commands=[
                    *config_commands(stack, previous, selection),
                    f"pulumi up --stack {stack}",
                    f"python -m ops.dr status --stack {stack}",
                ],
                notes=[
                    f"expect live weights {format_weights(weights)} and no problems; wait 60 s"
                    " (record TTL) before the next step"
                ],
            )
        )
        previous = selection
    return steps


def _dr_mode_step(context: PlanContext, mode: str) -> list[Step]:
    if context.stack_file.dr_mode == mode:
        return []
    verb = "Scale the warm standby up" if mode == "active" else "Scale the standby back down"
    return [
        Step(
            verb,
            [_set(context.stack, f"{DR_KEY}.mode", mode), f"pulumi up --stack {context.stack}"],
        )
    ]


def _database_step(context: PlanContext, region: str, disaster_alternative: bool) -> Step:
    command = (
        f"python -m ops.dr switchover --stack {context.stack} --global-cluster"
        f" {context.cluster_argument} --to-region {region}"
    )
    notes = ["planned, no data loss: waits for replication to catch up before promoting"]
    if disaster_alternative:
        notes.append(
            f"primary region down: python -m ops.dr failover --stack {context.stack}"
            f" --global-cluster {context.cluster_argument} --to-region {region} --allow-data-loss  "
            " # loses writes not yet replicated (typ. < 1 s)"
        )
        notes.append(
            "in a disaster, start this while the scale-up is still running: bookings fail in dr"
            " until it is done"
        )
    return Step(f"Move the Aurora writer to {region}", [command], notes)


def _preflight(context: PlanContext, check: str) -> Step:
    command = (
        f"python -m ops.dr status --stack {context.stack} --global-cluster"
        f" {context.cluster_argument}"
    )
    return Step("Pre-flight", [command], [check])


def _routing_controls_step(context: PlanContext) -> list[Step]:
    """With ARC, a record is healthy only while its target's routing control is On, and new controls
    start Off.
    """
    if not context.stack_file.routing.recovery_control:
        return []
    return [
        Step(
            "Routing controls (ARC) On for every target that is to take traffic",
            [f"pulumi stack output --stack {context.stack} routing --json"],
            [
                (
                    "routingControls lists one ARN per target; read each with aws"
                    " route53-recovery-cluster get-routing-control-state --routing-control-arn ARN"
                    " against a cluster endpoint, set with update-routing-control-state"
                ),
                (
                    "an Off control fails its record's health check: Route53 then moves that"
                    " target's traffic away without any weight change"
                ),
            ],
        )
    ]


def build_plan(context: PlanContext, destination: str) -> list[Step]:
    weights = routing_steps(context.stack, context.stack_file.routing.selection, destination)
    if not weights:
        return []
    traffic = [*_routing_controls_step(context), *weights]
    if destination == "failover":
        return [
            _preflight(
                context,
                f"{STANDBY} health check healthy; replication lag under 1 s (in a disaster prod"
                " shows UNHEALTHY and lag unknown)",
            ),
            *_dr_mode_step(context, "active"),
            _database_step(context, context.stack_file.region, disaster_alternative=True),
            *traffic,
        ]
    if destination == "failback":
        return [
            _preflight(
                context,
                "prod health check healthy; the old prod cluster is a secondary again, lag"
                " under 1 s",
            ),
            _database_step(
                context, context.primary_region or "<prod region>", disaster_alternative=False
            ),
            *traffic,
            *_dr_mode_step(context, "standby"),
        ]
    return [
        _preflight(
            context, "if the Aurora writer moved, switch it back first (plan --to failback does)"
        ),
        *traffic,
    ]


def render(context: PlanContext, destination: str, steps: list[Step]) -> str:
    routing = context.stack_file.routing
    current = routing.selection
    header = (
        f"{routing.record_name}, stack {context.stack}: phase {current.phase}"
        f" ({format_weights(current.effective_weights())}) -> {destination}"
    )
    if not steps:
        return f"{header}\nNothing to do: the stack file already says {destination}.\n"
    lines = [header, ""]
    for number, step in enumerate(steps, start=1):
        lines.append(f"{number}. {step.title}")
        lines.extend(f"   {command}" for command in step.commands)
        lines.extend(f"   # {note}" for note in step.notes)
    return "\n".join(lines) + "\n"
