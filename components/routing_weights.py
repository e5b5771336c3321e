"""Route53 weight tables for DR routing: which phase gives which weights, what is valid, and
the safe order of changes between two tables.

Pure (no Pulumi, no AWS): the Routing component validates its config with it, and
`python -m ops.dr plan` builds its step-by-step runbook from the very same functions.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeGuard

from components.errors import ConfigError

PRIMARY = "prod"
STANDBY = "dr"
TARGETS = (PRIMARY, STANDBY)
PHASES = ("normal", "failover", "failback")
DESTINATIONS = ("failover", "failback", "normal")
MIN_WEIGHT = 0
MAX_WEIGHT = 255
DEFAULT_FAILBACK_STEPS = (10, 50, 100)
FULL_TRAFFIC = 100

# The config object's keys, shared by the parser and by the `pulumi config` commands ops prints.
PHASE_KEY = "phase"
FAILBACK_STEPS_KEY = "failbackSteps"
FAILBACK_STEP_KEY = "failbackStep"
WEIGHTS_KEY = "weights"
SELECTION_KEYS = (PHASE_KEY, FAILBACK_STEPS_KEY, FAILBACK_STEP_KEY, WEIGHTS_KEY)

Weights = dict[str, int]


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_phase(value: object, key: str) -> str:
    if value not in PHASES:
        raise ConfigError(key, value, f"one of {', '.join(PHASES)}")
    return str(value)


def _parse_failback_steps(value: object, key: str) -> tuple[int, ...]:
    allowed = (
        f"a non-empty list of increasing integer percentages 1-{FULL_TRAFFIC} sent back to"
        f" {PRIMARY}, e.g. [10, 50, 100]"
    )
    if value is None:
        return DEFAULT_FAILBACK_STEPS
    if not isinstance(value, list) or not value or not all(_is_int(step) for step in value):
        raise ConfigError(key, value, allowed)
    steps = tuple(value)
    if (
        steps[0] < 1
        or steps[-1] > FULL_TRAFFIC
        or any(later <= earlier for earlier, later in itertools.pairwise(steps))
    ):
        raise ConfigError(key, value, allowed)
    return steps


def _parse_failback_step(value: object, key: str, steps: Sequence[int]) -> int | None:
    if value is None:
        return None
    if not _is_int(value) or not 0 <= value < len(steps):
        raise ConfigError(
            key, value, f"an integer index 0-{len(steps) - 1} into failbackSteps {list(steps)}"
        )
    return int(value)


def _parse_overrides(value: object, key: str) -> Weights | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or not value:
        raise ConfigError(
            key, value, f"a non-empty map of target ({', '.join(TARGETS)}) to integer weight"
        )
    for target, weight in value.items():
        if target not in TARGETS:
            raise ConfigError(f"{key}.{target}", weight, f"a known target: {', '.join(TARGETS)}")
        if not _is_int(weight) or not MIN_WEIGHT <= weight <= MAX_WEIGHT:
            raise ConfigError(
                f"{key}.{target}", weight, f"an integer {MIN_WEIGHT}-{MAX_WEIGHT} (Route53 weight)"
            )
    return {target: int(weight) for target, weight in value.items()}


@dataclass(frozen=True)
class WeightSelection:
    """What the stack config says about weights: a phase, where failback stands, and overrides.

    `overrides` replaces the phase's weight per target it names; targets it does not name keep
    the phase's weight. `failback_step` is read only in the `failback` phase (index 0 if absent).
    """

    phase: str
    failback_steps: tuple[int, ...] = DEFAULT_FAILBACK_STEPS
    failback_step: int | None = None
    overrides: Mapping[str, int] | None = field(default=None, hash=False)

    @classmethod
    def from_config(cls, raw: Mapping[str, Any], key: str = "routing") -> WeightSelection:
        steps = _parse_failback_steps(raw.get(FAILBACK_STEPS_KEY), f"{key}.{FAILBACK_STEPS_KEY}")
        selection = cls(
            phase=_parse_phase(raw.get(PHASE_KEY), f"{key}.{PHASE_KEY}"),
            failback_steps=steps,
            failback_step=_parse_failback_step(
                raw.get(FAILBACK_STEP_KEY), f"{key}.{FAILBACK_STEP_KEY}", steps
            ),
            overrides=_parse_overrides(raw.get(WEIGHTS_KEY), f"{key}.{WEIGHTS_KEY}"),
        )
        check_not_all_zero(selection.effective_weights(), f"{key}.{WEIGHTS_KEY}")
        return selection

    def phase_weights(self) -> Weights:
        if self.phase == "normal":
            return {PRIMARY: FULL_TRAFFIC, STANDBY: 0}
        if self.phase == "failover":
            return {PRIMARY: 0, STANDBY: FULL_TRAFFIC}
        to_primary = self.failback_steps[self.failback_step or 0]
        return {PRIMARY: to_primary, STANDBY: FULL_TRAFFIC - to_primary}

    def effective_weights(self) -> Weights:
        return {**self.phase_weights(), **(self.overrides or {})}

    def with_weights(self, weights: Mapping[str, int]) -> WeightSelection:
        """The same phase with overrides for exactly the targets whose weight must differ from
        it.
        """
        phase_weights = self.phase_weights()
        changed = {
            target: weight for target, weight in weights.items() if weight != phase_weights[target]
        }
        return replace(self, overrides=changed or None)


def check_not_all_zero(weights: Mapping[str, int], key: str) -> None:
    if not any(weights.values()):
        raise ConfigError(
            key,
            dict(weights),
            "at least one weight above 0 (all-zero makes Route53 split traffic evenly, it does not"
            " drain)",
        )


def check_endpoints(weights: Mapping[str, int], endpoint_targets: Iterable[str], key: str) -> None:
    """Every endpoint is a known target, and no traffic goes to a target without an endpoint."""
    endpoints = set(endpoint_targets)
    unknown = sorted(endpoints - set(TARGETS))
    if unknown:
        raise ConfigError(f"{key} endpoints", unknown, f"known targets only: {', '.join(TARGETS)}")
    for target, weight in weights.items():
        if weight > 0 and target not in endpoints:
            raise ConfigError(
                key,
                {target: weight},
                "weight 0 for a target without an endpoint (endpoints given:"
                f" {', '.join(sorted(endpoints)) or 'none'})",
            )


def is_safe_change(before: Mapping[str, int], after: Mapping[str, int]) -> bool:
    """Each record is updated by its own API call, so mid-change any mix of old and new weights
    can be live; the worst mix keeps the lower weight of every target. It must not be all-zero."""
    return any(min(before.get(target, 0), after.get(target, 0)) > 0 for target in TARGETS)


def raised_first(before: Mapping[str, int], after: Mapping[str, int]) -> Weights:
    """The table in between: every target that gains weight has gained it, none has lost any yet."""
    return {target: max(before.get(target, 0), after.get(target, 0)) for target in TARGETS}


def goals_for(current: WeightSelection, destination: str) -> list[WeightSelection]:
    """The config states `destination` passes through, in order, starting after `current`."""
    clean = replace(current, overrides=None, failback_step=None)
    if destination == "failover":
        return [replace(clean, phase="failover")]
    if destination == "normal":
        return [replace(clean, phase="normal")]
    if destination != "failback":
        raise ValueError(
            f"destination must be one of {', '.join(DESTINATIONS)}, got {destination!r}"
        )
    if current.phase == "normal":
        raise ValueError(
            f"traffic is already on {PRIMARY} (phase normal): there is nothing to fail back"
        )
    first = 0
    if current.phase == "failback":
        # An override on a failback step means that step is not finished: redo it cleanly.
        first = (current.failback_step or 0) + (0 if current.overrides else 1)
    # A last step of 100 % is the normal table already; the plan ends on phase normal instead.
    steps = [
        replace(clean, phase="failback", failback_step=index)
        for index in range(first, len(current.failback_steps))
        if current.failback_steps[index] < FULL_TRAFFIC
    ]
    return steps + [replace(clean, phase="normal")]


def safe_path(current: WeightSelection, goals: Sequence[WeightSelection]) -> list[WeightSelection]:
    """`goals` in order, with a raise-first step inserted before any change that could pass
    through all-zero; a goal equal to where the path already stands is dropped."""
    path: list[WeightSelection] = []
    previous = current
    for goal in goals:
        if goal == previous:
            continue
        before, after = previous.effective_weights(), goal.effective_weights()
        if not is_safe_change(before, after):
            path.append(previous.with_weights(raised_first(before, after)))
        path.append(goal)
        previous = goal
    return path


def format_weights(weights: Mapping[str, int]) -> str:
    return " ".join(f"{target}={weights.get(target, 0)}" for target in TARGETS)
