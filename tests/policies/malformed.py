"""Feeds odd inputs to every resource rule of a module: none may raise, and every message is
text.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pulumi_policy import ResourceValidationPolicy
from pulumi_policy.proxy import unknown_checking_proxy

from tests.policies.harness import run_resource_rule


def resource_types_of(rule: ResourceValidationPolicy) -> list[str]:
    return [tag[len("type:") :] for tag in rule.tags or [] if tag.startswith("type:")]


def messages_for_malformed(rules: Iterable[Any], props: Any) -> list[str]:
    """All messages the module's resource rules give for `props`, plain and as the CLI proxies
    them.
    """
    shapes = [props, unknown_checking_proxy(props)] if isinstance(props, dict) else [props]
    messages = []
    for rule in rules:
        if not isinstance(rule, ResourceValidationPolicy):
            continue
        for resource_type in resource_types_of(rule):
            for shape in shapes:
                messages.extend(run_resource_rule(rule, resource_type, shape))
    assert all(isinstance(message, str) and message for message in messages)
    return messages
