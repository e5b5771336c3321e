"""Reading recorded resources the way the tests ask about them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from policies.program_runner import ProgramRun, RegisteredResource

READ_ONLY_PREFIXES = ("Describe", "List", "Get")


def one(run: ProgramRun, resource_type: str, name: str) -> RegisteredResource:
    matches = [resource for resource in run.of_type(resource_type) if resource.name == name]
    assert len(matches) == 1, f"expected one {resource_type} named {name}, found {len(matches)}"
    return matches[0]


def document(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else value


def statements(value: Any) -> list[dict[str, Any]]:
    found = document(value)["Statement"]
    return found if isinstance(found, list) else [found]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def iam_policies(run: ProgramRun) -> Iterator[tuple[str, dict[str, Any]]]:
    """(resource name, statement) for every identity policy the program writes."""
    for resource in run.of_type("aws:iam/rolePolicy:RolePolicy"):
        for statement in statements(resource.inputs["policy"]):
            yield resource.name, statement


def wildcard_problems(name: str, statement: dict[str, Any]) -> list[str]:
    """Wildcard actions never; Resource "*" only for read-only calls AWS cannot scope to a
    resource.
    """
    problems = []
    actions = as_list(statement.get("Action", []))
    for action in actions:
        if "*" in action:
            problems.append(f"{name}: wildcard action {action}")
    if "*" in as_list(statement.get("Resource", [])):
        writes = [
            action
            for action in actions
            if not action.split(":", 1)[1].startswith(READ_ONLY_PREFIXES)
        ]
        if writes:
            problems.append(f"{name}: Resource '*' for {writes}")
    return problems


def descendants(run: ProgramRun, component_urn: str) -> list[RegisteredResource]:
    found = []
    for child in run.children_of(component_urn):
        found.append(child)
        found.extend(descendants(run, child.urn))
    return found
