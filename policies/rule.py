"""How a rule is declared: one concern, one stable name, its severity, default enforcement,
the resource types it reads, the exact argument to change, and the Trivy and checkov checks it
covers.

Rules are plain pulumi-policy policies, so the real CLI (`pulumi preview --policy-pack
policies`) and the offline gate run the very same objects. The wrapper here adds what every
rule shares: the resource-type filter, exemptions from policy config, and the Trivy and checkov
IDs (carried as tags, so GetAnalyzerInfo reports them).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

TRIVY_TAG_PREFIX = "trivy:"
CHECKOV_TAG_PREFIX = "checkov:"

ResourceCheck = Callable[[Mapping[str, Any], ResourceValidationArgs], Iterable[str]]
"""Given a resource's inputs, yields one message per problem found (nothing when compliant)."""

StackCheck = Callable[[StackValidationArgs], Iterable[tuple[Any, str]]]
"""Given the whole stack, yields (PolicyResource, message) per problem found."""

EXEMPTIONS_SCHEMA = PolicyConfigSchema(
    properties={
        "exemptions": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "resource": {
                        "type": "string",
                        "description": "resource name or URN; shell-style wildcards allowed",
                    },
                    "reason": {"type": "string", "minLength": 1},
                    "expires": {
                        "type": "string",
                        "format": "date",
                        "description": "YYYY-MM-DD; the exemption stops applying after this day",
                    },
                },
                "required": ["resource", "reason", "expires"],
            },
        }
    }
)


def _matches(pattern: str, name: str, urn: str) -> bool:
    return fnmatch.fnmatchcase(name, pattern) or fnmatch.fnmatchcase(urn, pattern)


def _expiry(exemption: Mapping[str, Any]) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(exemption.get("expires")))
    except ValueError:
        return None


def _exemption_for(config: Mapping[str, Any], name: str, urn: str) -> Mapping[str, Any] | None:
    for exemption in config.get("exemptions") or []:
        if isinstance(exemption, Mapping) and _matches(
            str(exemption.get("resource", "")), name, urn
        ):
            return exemption
    return None


def _report_unless_exempt(
    config: Mapping[str, Any],
    name: str,
    urn: str,
    messages: Iterable[str],
    report: Callable[[str], None],
    today: dt.date,
) -> None:
    """Reports each message, except for a resource under a live exemption.

    An expired (or undated) exemption is itself reported, so it cannot silently linger.
    """
    exemption = _exemption_for(config, name, urn)
    expires = _expiry(exemption) if exemption else None
    if exemption and expires is not None and expires >= today:
        return
    if exemption:
        report(
            f"exemption for {exemption.get('resource')!r} expired or undated"
            f" ({exemption.get('expires')!r}); reason was: {exemption.get('reason')}"
        )
    for message in messages:
        report(message)


def _tags(
    trivy_ids: Iterable[str], checkov_ids: Iterable[str], resource_types: Iterable[str]
) -> list[str]:
    return (
        [f"{TRIVY_TAG_PREFIX}{trivy_id}" for trivy_id in trivy_ids]
        + [f"{CHECKOV_TAG_PREFIX}{checkov_id}" for checkov_id in checkov_ids]
        + [f"type:{t}" for t in sorted(resource_types)]
    )


def resource_rule(
    *,
    name: str,
    description: str,
    severity: Severity,
    enforcement: EnforcementLevel,
    resource_types: Iterable[str],
    remediation: str,
    check: ResourceCheck,
    trivy_ids: Iterable[str] = (),
    checkov_ids: Iterable[str] = (),
    today: Callable[[], dt.date] = dt.date.today,
) -> ResourceValidationPolicy:
    types = frozenset(resource_types)

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in types:
            return
        props = args.props if isinstance(args.props, Mapping) else {}
        _report_unless_exempt(
            args.get_config(),
            args.name,
            args.urn,
            list(check(props, args)),
            lambda message: report_violation(message, None),
            today(),
        )

    return ResourceValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=enforcement,
        severity=severity,
        config_schema=EXEMPTIONS_SCHEMA,
        remediation_steps=remediation,
        tags=_tags(trivy_ids, checkov_ids, types),
    )


def stack_rule(
    *,
    name: str,
    description: str,
    severity: Severity,
    enforcement: EnforcementLevel,
    remediation: str,
    check: StackCheck,
    resource_types: Iterable[str] = (),
    trivy_ids: Iterable[str] = (),
    checkov_ids: Iterable[str] = (),
    today: Callable[[], dt.date] = dt.date.today,
) -> StackValidationPolicy:
    """A rule that must see several resources at once (S3 settings split over resources, Route53
    groups).
    """

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        config = args.get_config()
        findings: dict[str, tuple[Any, list[str]]] = {}
        for resource, message in check(args):
            findings.setdefault(resource.urn, (resource, []))[1].append(message)
        for urn, (resource, messages) in findings.items():

            def report(message: str, urn: str = urn) -> None:
                report_violation(message, urn)

            _report_unless_exempt(config, resource.name, urn, messages, report, today())

    return StackValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=enforcement,
        severity=severity,
        config_schema=EXEMPTIONS_SCHEMA,
        remediation_steps=remediation,
        tags=_tags(trivy_ids, checkov_ids, resource_types),
    )


def _ids_of(policy: Policy, prefix: str) -> list[str]:
    return [tag[len(prefix) :] for tag in policy.tags or [] if tag.startswith(prefix)]


def trivy_ids_of(policy: Policy) -> list[str]:
    return _ids_of(policy, TRIVY_TAG_PREFIX)


def checkov_ids_of(policy: Policy) -> list[str]:
    return _ids_of(policy, CHECKOV_TAG_PREFIX)
