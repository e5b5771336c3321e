"""Recorded resource inputs, turned into what the analyzer receives and into what a report shows.

The runner keeps inputs as the SDK deserialized them: plain values plus `pulumi.output.Unknown`,
assets and archives (resource references arrive as IDs or URNs). The engine sends the analyzer
unknowns as the unknown string sentinel (so pulumi-policy raises `UnknownValueError` on access);
a report shows them as `[unknown]` and every secret as `[secret]`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

import pulumi
from pulumi.output import Unknown
from pulumi_policy.deserialize import serialize_properties
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policies.program_runner import SECRET_PLACEHOLDER

UNKNOWN_PLACEHOLDER = "[unknown]"


def _project(
    value: Any, leaf: Callable[[Any], Any], secret_paths: Collection[str], path: str
) -> Any:
    if path in secret_paths:
        return SECRET_PLACEHOLDER
    if isinstance(value, dict):
        return {
            key: _project(item, leaf, secret_paths, f"{path}.{key}" if path else str(key))
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [
            _project(item, leaf, secret_paths, f"{path}[{index}]")
            for index, item in enumerate(value)
        ]
    return leaf(value)


def _wire_leaf(value: Any) -> Any:
    if isinstance(value, Unknown):
        return UNKNOWN_STRING_VALUE
    if isinstance(value, (pulumi.Asset, pulumi.Archive)):
        return serialize_properties({"value": value})["value"]
    return value


def _display_leaf(value: Any) -> Any:
    if isinstance(value, Unknown) or value == UNKNOWN_STRING_VALUE:
        return UNKNOWN_PLACEHOLDER
    if isinstance(value, float) and value.is_integer():
        return int(value)  # every number crosses gRPC as a double; show 3, not 3.0
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return repr(value)


def wire_inputs(inputs: dict[str, Any]) -> dict[str, Any]:
    """Inputs as the engine marshals them for Analyze: unknowns as the sentinel string.

    Secrets go as their plain values: the analyzer unwraps them before any rule reads them.
    """
    wired: dict[str, Any] = _project(inputs, _wire_leaf, (), "")
    return wired


def display_inputs(inputs: Any, secret_paths: Collection[str] = ()) -> Any:
    """JSON-ready inputs for a report: secrets `[secret]`, unknowns `[unknown]`."""
    return _project(inputs, _display_leaf, frozenset(secret_paths), "")
