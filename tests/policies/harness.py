"""Runs one rule against hand-written inputs, the way the analyzer would, and returns the messages.

Every run is tallied per rule name in `OUTCOMES` ("violation" or "compliant"), so that
`test_every_rule_is_tested` can require both for every rule of the pack. Robustness checks
(malformed and random inputs) use `run_resource_rule`, which is not tallied.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import unknown_checking_proxy

STACK_URN_PREFIX = "urn:pulumi:test::ticketing::"
OUTCOMES: dict[str, set[str]] = defaultdict(set)
"""Rule name -> the outcomes its tests saw: "violation" (some message) and "compliant" (none)."""


def _tally(rule_name: str, found: list) -> None:
    OUTCOMES[rule_name].add("violation" if found else "compliant")


def _options(delete_before_replace: bool | None = None) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        False, [], delete_before_replace, [], PolicyCustomTimeouts(0, 0, 0), []
    )


def urn_of(resource_type: str, name: str) -> str:
    return f"{STACK_URN_PREFIX}{resource_type}::{name}"


def as_cli_delivers(props: dict) -> Any:
    """Props the way the real CLI hands them to a policy: through protobuf (numbers become floats),
    proxied.
    """
    message = struct_pb2.Struct()
    message.update(props)
    return unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(message)))


def run_resource_rule(
    policy: ResourceValidationPolicy,
    resource_type: str,
    props: Any,
    name: str = "subject",
    config: Mapping[str, Any] | None = None,
    options: PolicyResourceOptions | None = None,
) -> list[str]:
    messages: list[str] = []
    args = ResourceValidationArgs(
        resource_type,
        props,
        urn_of(resource_type, name),
        name,
        options or _options(),
        None,
        config or {},
    )

    def report(message: str, urn: str | None = None) -> None:
        messages.append(message)

    policy.validate(args, report)
    return messages


def resource_violations(
    policy: ResourceValidationPolicy,
    resource_type: str,
    props: Any,
    name: str = "subject",
    config: Mapping[str, Any] | None = None,
    options: PolicyResourceOptions | None = None,
) -> list[str]:
    messages = run_resource_rule(policy, resource_type, props, name, config, options)
    _tally(policy.name, messages)
    return messages


def stack_resource(resource_type: str, name: str, props: Mapping[str, Any]) -> PolicyResource:
    return PolicyResource(
        resource_type, props, urn_of(resource_type, name), name, _options(), None, None, [], {}
    )


def run_stack_rule(
    policy: StackValidationPolicy,
    resources: list[PolicyResource],
    config: Mapping[str, Any] | None = None,
) -> list[tuple[str, str]]:
    """(resource name, message) per violation."""
    names = {resource.urn: resource.name for resource in resources}
    found: list[tuple[str, str]] = []

    def report(message: str, urn: str | None = None) -> None:
        found.append((names.get(urn or "", ""), message))

    policy.validate(StackValidationArgs(resources, config or {}), report)
    return found


def stack_violations(
    policy: StackValidationPolicy,
    resources: list[PolicyResource],
    config: Mapping[str, Any] | None = None,
) -> list[tuple[str, str]]:
    found = run_stack_rule(policy, resources, config)
    _tally(policy.name, found)
    return found
