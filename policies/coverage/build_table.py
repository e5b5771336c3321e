"""Rewrites `policies/coverage/checkov.tsv` from checkov's registry and what the stacks create.

`python -m policies.coverage.build_table build/checkov-checks.json` (what `make coverage-checkov`
runs): the JSON lines come from `checkov_registry.py` inside checkov's own virtualenv. The three
stacks run under the offline runner's mocks, their local chart releases rendered as the gate
renders them; their Pulumi types are mapped to Terraform types (pulumi-aws is bridged from the
Terraform provider, one type to one type) and their Kubernetes types, registered or rendered, to
kinds. A row is written for every checkov check that reads one of those types, and for
every check a rule of the pack claims. A check is decided by the rules that carry its id
(`checkov_ids=`), or by a `rejected` row with its reason, which the rebuild keeps; anything else
is written `undecided`, which the coverage test refuses until someone decides it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from policies.gate.coverage import (
    CHECKOV_TABLE,
    REJECTED,
    UNDECIDED,
    CheckovRow,
    read_checkov_table,
    write_checkov_table,
)
from policies.gate.deployment import deployment_checks
from policies.program_runner import run_program
from policies.rule import checkov_ids_of
from policies.rules import ALL_POLICIES

REPO_ROOT = Path(__file__).resolve().parents[2]
STACKS = ("dev", "prod", "dr")

TERRAFORM_TYPE_EXCEPTIONS = {
    "aws:rds/instance:Instance": "aws_db_instance",
    "aws:rds/subnetGroup:SubnetGroup": "aws_db_subnet_group",
    "aws:rds/parameterGroup:ParameterGroup": "aws_db_parameter_group",
    "aws:rds/optionGroup:OptionGroup": "aws_db_option_group",
    "aws:cloudwatch/eventRule:EventRule": "aws_cloudwatch_event_rule",
    "aws:cloudwatch/eventTarget:EventTarget": "aws_cloudwatch_event_target",
}
"""Where pulumi-aws's module/name does not spell the Terraform name."""
COMPONENT_TERRAFORM_TYPES = {
    "eks:index:Cluster": "aws_eks_cluster",
    "eks:index:ManagedNodeGroup": "aws_eks_node_group",
}
"""pulumi-eks components the mocks record as one resource, by the AWS resource each one is
about (the pack's EKS rules read these components' inputs)."""
MODULES_WITHOUT_PREFIX = frozenset({"ec2"})
"""Terraform drops these modules from the name: aws_security_group, aws_vpc, aws_flow_log."""
PREFIX_IS_MODULE = frozenset({"lb", "alb"})
"""aws_lb, aws_lb_listener, aws_lb_target_group: the module is the name's start."""


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def terraform_type(pulumi_type: str) -> str | None:
    """The Terraform type pulumi-aws bridges `pulumi_type` from (or a pulumi-eks component is
    about); None for other types."""
    if pulumi_type in TERRAFORM_TYPE_EXCEPTIONS:
        return TERRAFORM_TYPE_EXCEPTIONS[pulumi_type]
    if pulumi_type in COMPONENT_TERRAFORM_TYPES:
        return COMPONENT_TERRAFORM_TYPES[pulumi_type]
    package, _, rest = pulumi_type.partition(":")
    module, _, member = rest.partition("/")
    if package != "aws" or not member:
        return None
    name = _snake(re.sub(r"V2$", "", member.split(":")[0]))
    if module in MODULES_WITHOUT_PREFIX:
        return f"aws_{name}"
    if module in PREFIX_IS_MODULE:
        return "aws_lb" if name == "load_balancer" else f"aws_lb_{name}"
    return f"aws_{module}_{name}"


def kubernetes_kind(pulumi_type: str) -> str | None:
    """`kubernetes:apps/v1:Deployment` -> `Deployment`; None for Helm releases/charts and others."""
    package, _, rest = pulumi_type.partition(":")
    if package != "kubernetes" or rest.startswith("helm.sh/"):
        return None
    return rest.rsplit(":", 1)[-1]


def stack_types(stacks: Iterable[str] = STACKS) -> set[str]:
    """The types the stacks register, and the kinds their local charts render with the stacks'
    values (the gate feeds both to the pack)."""
    found: set[str] = set()
    for stack in stacks:
        with contextlib.redirect_stdout(sys.stderr):
            run = run_program(REPO_ROOT, stack)
        rendered = deployment_checks(run, REPO_ROOT).rendered
        found.update(resource.type for resource in [*run.resources, *rendered])
    return found


def deployed_types(pulumi_types: Iterable[str]) -> dict[str, set[str]]:
    """Framework -> the Terraform types / Kubernetes kinds behind these Pulumi types."""
    types = list(pulumi_types)
    return {
        "terraform": {t for t in map(terraform_type, types) if t},
        "kubernetes": {k for k in map(kubernetes_kind, types) if k},
    }


def read_registry(lines: Iterable[str]) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in lines if line.strip()]
    return [record for record in records if "framework" in record]


def _decision(claimers: Sequence[str], earlier: CheckovRow | None) -> str:
    """The rules that claim the check; else an earlier rejection stays; else undecided."""
    if claimers:
        return ",".join(sorted(claimers))
    if earlier and earlier.decision == REJECTED:
        return REJECTED
    return UNDECIDED


def table_rows(
    registry: Sequence[Mapping[str, Any]],
    deployed: Mapping[str, set[str]],
    claimed: Mapping[str, Sequence[str]],
    decided: Mapping[str, CheckovRow],
) -> list[CheckovRow]:
    """`claimed`: check id -> the names of the rules that carry it. One row per id: checkov's
    Terraform framework reuses Kubernetes ids (CKV_K8S_*) for the kubernetes provider, so a
    claimed id we deploy no type of is written once, from its first framework."""
    rows: dict[str, CheckovRow] = {}
    for deployed_only in (True, False):
        for check in registry:
            ours = sorted(set(check["resource_types"]) & deployed.get(check["framework"], set()))
            claimers = claimed.get(check["id"], ())
            if check["id"] in rows or (not ours if deployed_only else not claimers):
                continue
            earlier = decided.get(check["id"])
            rows[check["id"]] = CheckovRow(
                framework=check["framework"],
                id=check["id"],
                name=check["name"],
                resource_types=tuple(ours or check["resource_types"]),
                decision=_decision(claimers, earlier),
                reason=earlier.reason if earlier else "",
            )
    return sorted(rows.values(), key=lambda row: (row.framework, row.id))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m policies.coverage.build_table")
    parser.add_argument("registry", type=Path, help="JSON lines from checkov_registry.py")
    arguments = parser.parse_args(argv)
    table = REPO_ROOT / CHECKOV_TABLE
    header, *_ = arguments.registry.read_text().splitlines() or ["{}"]
    version = json.loads(header).get("checkov_version", "unknown")
    claimed: dict[str, list[str]] = {}
    for policy in ALL_POLICIES:
        for check_id in checkov_ids_of(policy):
            claimed.setdefault(check_id, []).append(policy.name)
    decided = {row.id: row for row in read_checkov_table(table)} if table.is_file() else {}
    types = stack_types()
    rows = table_rows(
        read_registry(arguments.registry.read_text().splitlines()),
        deployed_types(types),
        claimed,
        decided,
    )
    write_checkov_table(table, rows, version)
    unmapped = sorted(t for t in types if not terraform_type(t) and not kubernetes_kind(t))
    print(f"{len(rows)} checks written to {table.relative_to(REPO_ROOT)} (checkov {version})")
    print(f"types with no Terraform/Kubernetes counterpart: {', '.join(unmapped)}")
    undecided = [row.id for row in rows if row.decision == UNDECIDED]
    if undecided:
        print(f"undecided, decide them in the table: {' '.join(undecided)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
