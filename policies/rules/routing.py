"""Disaster-recovery routing: weighted Route53 records that can actually move traffic between
regions.

On-call engineers shift traffic by changing record weights in stack config. That works only
if every weighted record is health checked (so Route53 stops sending to a dead region on its
own), caches briefly, and each weighted group (same zone, name and type) has traffic somewhere
and distinct set identifiers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pulumi_policy import EnforcementLevel, Policy, Severity, StackValidationArgs

from policies.rule import stack_rule
from policies.rules.values import (
    as_list,
    as_mapping,
    identities,
    is_true,
    is_unknown,
    lookup,
    refers_to,
)

MANDATORY = EnforcementLevel.MANDATORY

RECORD = "aws:route53/record:Record"
HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"

MAX_WEIGHTED_TTL_SECONDS = 60
"""Resolvers keep an answer this long after a weight change or a failed health check."""


@dataclass(frozen=True)
class WeightedRecord:
    resource: Any
    props: dict[str, Any]
    weights: list[Any]

    @property
    def group(self) -> tuple[str, str, str] | None:
        """(zone, name, type) that makes records one weighted group; None while any part is
        unknown.
        """
        zone = self.props.get("zoneId")
        if is_unknown(zone):
            zone_dependencies = (self.resource.property_dependencies or {}).get("zoneId") or []
            zone = f"zone resource {zone_dependencies[0].urn}" if zone_dependencies else None
        name, record_type = self.props.get("name"), self.props.get("type")
        if not all(_is_known_text(part) for part in (zone, name, record_type)):
            return None
        return str(zone), str(name).lower().rstrip("."), str(record_type).upper()

    @property
    def label(self) -> str:
        return (
            f"weighted record {self.props.get('name')!r} ({self.props.get('type')}, set"
            f" {self.props.get('setIdentifier')!r})"
        )


def weighted_records(args: StackValidationArgs) -> list[WeightedRecord]:
    """Records with a weighted routing policy (`weighted_routing_policies`, or a singular block)."""
    found = []
    for resource in args.resources:
        if resource.resource_type != RECORD:
            continue
        props = as_mapping(resource.props)
        policies = as_list(props.get("weightedRoutingPolicies")) + as_list(
            props.get("weightedRoutingPolicy")
        )
        if policies:
            found.append(
                WeightedRecord(resource, props, [lookup(policy, "weight") for policy in policies])
            )
    return found


def _health_check_findings(args: StackValidationArgs) -> Iterator[tuple[Any, str]]:
    health_checks = [
        resource for resource in args.resources if resource.resource_type == HEALTH_CHECK
    ]
    for record in weighted_records(args):
        check_id = record.props.get("healthCheckId")
        if is_unknown(check_id):
            continue
        if not check_id:
            yield (
                record.resource,
                (
                    f"{record.label} has no healthCheckId, so Route53 keeps sending traffic to a"
                    " failed region"
                ),
            )
            continue
        for health_check in health_checks:
            if is_true(lookup(health_check.props, "disabled")) and refers_to(
                record.resource, "healthCheckId", health_check, identities(health_check)
            ):
                yield (
                    record.resource,
                    (
                        f"{record.label} uses health check {health_check.name!r}, which is disabled"
                        " (always healthy)"
                    ),
                )


def _is_known_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value) and not is_unknown(value)


def _ttl_findings(args: StackValidationArgs) -> Iterator[tuple[Any, str]]:
    for record in weighted_records(args):
        ttl = record.props.get("ttl")
        try:
            seconds = int(ttl)  # type: ignore[arg-type]  # None and junk raise, and are skipped
        except (TypeError, ValueError):
            continue
        if seconds > MAX_WEIGHTED_TTL_SECONDS:
            yield (
                record.resource,
                (
                    f"{record.label} has ttl {seconds}; at most {MAX_WEIGHTED_TTL_SECONDS} s lets a"
                    " weight change take effect quickly"
                ),
            )


def _groups(args: StackValidationArgs) -> dict[tuple[str, str, str], list[WeightedRecord]]:
    groups: dict[tuple[str, str, str], list[WeightedRecord]] = defaultdict(list)
    for record in weighted_records(args):
        if record.group is not None:
            groups[record.group].append(record)
    return groups


def _zero_weight_findings(args: StackValidationArgs) -> Iterator[tuple[Any, str]]:
    for (_, name, record_type), records in _groups(args).items():
        weights = [weight for record in records for weight in record.weights]
        if any(is_unknown(weight) or not isinstance(weight, (int, float)) for weight in weights):
            continue
        if all(weight == 0 for weight in weights):
            for record in records:
                yield (
                    record.resource,
                    (
                        f"every weight of weighted group {name!r} ({record_type}) is 0:"
                        f" {[r.resource.name for r in records]}"
                    ),
                )


def _duplicate_set_identifier_findings(args: StackValidationArgs) -> Iterator[tuple[Any, str]]:
    for (_, name, record_type), records in _groups(args).items():
        by_identifier: dict[str, list[WeightedRecord]] = defaultdict(list)
        for record in records:
            identifier = record.props.get("setIdentifier")
            if isinstance(identifier, str) and not is_unknown(identifier):
                by_identifier[identifier].append(record)
        for identifier, same in by_identifier.items():
            if len(same) > 1:
                for record in same:
                    yield (
                        record.resource,
                        (
                            f"setIdentifier {identifier!r} is used by"
                            f" {[r.resource.name for r in same]} in weighted group {name!r}"
                            f" ({record_type})"
                        ),
                    )


WEIGHTED_HEALTH_CHECK = stack_rule(
    name="aws-route53-weighted-record-health-check",
    description="Every weighted record has an enabled Route53 health check.",
    severity=Severity.HIGH,
    enforcement=MANDATORY,
    resource_types=(RECORD, HEALTH_CHECK),
    remediation=(
        "set `health_check_id` on aws.route53.Record to an aws.route53.HealthCheck of that region's"
        " endpoint (not `disabled`)"
    ),
    check=_health_check_findings,
)

WEIGHTED_TTL = stack_rule(
    name="aws-route53-weighted-record-low-ttl",
    description=f"Weighted records have a TTL of at most {MAX_WEIGHTED_TTL_SECONDS} seconds.",
    severity=Severity.MEDIUM,
    enforcement=MANDATORY,
    resource_types=(RECORD,),
    remediation=f"set `ttl` on aws.route53.Record to {MAX_WEIGHTED_TTL_SECONDS} or less",
    check=_ttl_findings,
)

WEIGHTED_GROUP_TRAFFIC = stack_rule(
    name="aws-route53-weighted-group-not-all-zero",
    description="A weighted group (same zone, name and type) gives some record a non-zero weight.",
    severity=Severity.HIGH,
    enforcement=MANDATORY,
    resource_types=(RECORD,),
    remediation=(
        'give at least one aws.route53.Record of the group `weighted_routing_policies=[{"weight":'
        " N}]` with N > 0"
    ),
    check=_zero_weight_findings,
)

WEIGHTED_GROUP_UNIQUE_IDS = stack_rule(
    name="aws-route53-weighted-group-unique-set-identifier",
    description="Records of one weighted group have distinct set identifiers.",
    severity=Severity.HIGH,
    enforcement=MANDATORY,
    resource_types=(RECORD,),
    remediation=(
        "give each aws.route53.Record of the group its own `set_identifier` (e.g. the region name)"
    ),
    check=_duplicate_set_identifier_findings,
)

POLICIES: list[Policy] = [
    WEIGHTED_HEALTH_CHECK,
    WEIGHTED_TTL,
    WEIGHTED_GROUP_TRAFFIC,
    WEIGHTED_GROUP_UNIQUE_IDS,
]
