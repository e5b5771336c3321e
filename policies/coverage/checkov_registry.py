"""Prints every checkov check of the Terraform and Kubernetes frameworks as JSON lines.

Runs inside checkov's own virtualenv (`make coverage-checkov`), never the project's: checkov is a
development tool. One line per check: framework, id, name and the resource types (Terraform) or
kinds (Kubernetes) it reports on, from checkov's resource registries and its graph-check
registries.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from collections.abc import Iterable
from importlib.metadata import version
from typing import Any

from checkov.common.checks_infra.registry import get_graph_checks_registry
from checkov.common.graph.checks_infra.enums import SolverType
from checkov.kubernetes.checks.resource.registry import registry as kubernetes_registry
from checkov.terraform.checks.resource.registry import resource_registry as terraform_registry

FRAMEWORKS = {"terraform": terraform_registry, "kubernetes": kubernetes_registry}


def _resource_checks(registry: Any) -> Iterable[tuple[str, str, set[str]]]:
    found: dict[str, tuple[str, set[str]]] = {}
    for resource_type, checks in registry.checks.items():
        for check in checks:
            found.setdefault(check.id, (check.name, set()))[1].add(resource_type)
    for check_id, (name, types) in found.items():
        yield check_id, name, types


def _filtered_types(check: Any) -> set[str]:
    """The types a graph check reports on: its `resource_type within [...]` filters. Without
    one, every type its conditions read (checkov expands "all" to every known type)."""
    if check.type == SolverType.FILTER and check.attribute == "resource_type":
        return set(check.attribute_value or ())
    return set().union(*(_filtered_types(sub) for sub in check.sub_checks or ()))


def _graph_checks(framework: str) -> Iterable[tuple[str, str, set[str]]]:
    registry = get_graph_checks_registry(framework)
    registry.load_checks()
    merged: dict[str, tuple[str, set[str]]] = defaultdict(lambda: ("", set()))
    for check in registry.checks:
        name, types = merged[check.id]
        reported = _filtered_types(check) or set(check.resource_types or ())
        merged[check.id] = (check.name, types | reported)
    for check_id, (name, types) in merged.items():
        yield check_id, name, types


def main() -> None:
    print(json.dumps({"checkov_version": version("checkov")}))
    for framework, registry in FRAMEWORKS.items():
        for source in (_resource_checks(registry), _graph_checks(framework)):
            for check_id, name, types in source:
                record = {
                    "framework": framework,
                    "id": check_id,
                    "name": name,
                    "resource_types": sorted(types),
                }
                print(json.dumps(record))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
