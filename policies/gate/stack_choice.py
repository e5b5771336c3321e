"""Which stack the gate runs when `--stack` is not given, chosen as a user of the program would."""

from __future__ import annotations

from pathlib import Path

from policies.program_runner import ProgramError, load_project, stack_names

DEFAULT_STACK = "dev"
"""The stack name `pulumi new` proposes; used for a program that has no stack settings file."""


def choose_stack(program_dir: Path, stack: str | None) -> str:
    """`stack` itself (a fully qualified `org/project/stack` names its last part, as Pulumi's
    settings file does), else the only stack with a settings file, else DEFAULT_STACK.
    """
    if stack:
        return stack.rsplit("/", 1)[-1]
    names = stack_names(program_dir, load_project(program_dir))
    if len(names) > 1:
        raise ProgramError(
            f"{program_dir} has {len(names)} stacks ({', '.join(names)}): choose one with --stack"
        )
    return names[0] if names else DEFAULT_STACK
