"""Each stack file run once per test session under the offline runner's mocks."""

from __future__ import annotations

from pathlib import Path

import pytest

from policies.program_runner import ProgramRun, run_program

REPO_ROOT = Path(__file__).resolve().parents[2]
STACKS = ("dev", "prod", "dr")


@pytest.fixture(scope="session")
def stack_runs() -> dict[str, ProgramRun]:
    runs: dict[str, ProgramRun] = {}
    for stack in STACKS:
        siblings = {name: run.outputs for name, run in runs.items()}
        runs[stack] = run_program(REPO_ROOT, stack, stack_outputs=siblings)
    return runs


@pytest.fixture(scope="session")
def dev(stack_runs: dict[str, ProgramRun]) -> ProgramRun:
    return stack_runs["dev"]


@pytest.fixture(scope="session")
def prod(stack_runs: dict[str, ProgramRun]) -> ProgramRun:
    return stack_runs["prod"]


@pytest.fixture(scope="session")
def dr(stack_runs: dict[str, ProgramRun]) -> ProgramRun:
    return stack_runs["dr"]
