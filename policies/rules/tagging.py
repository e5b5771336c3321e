"""Naming and tagging convention (advisory): who owns a resource, for what, in which environment.

Taggable resources (a `tags` input in pulumi-aws or pulumi-eks, listed in
`taggable_types.txt`) carry the `environment`, `system` and `role` tags, set on the resource
or through the AWS provider's `default_tags` (seen in `tagsAll` or on the provider). Logical
resource names are lowercase kebab-case.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pulumi_policy import EnforcementLevel, Policy, Severity, StackValidationArgs

from policies.rule import resource_rule, stack_rule
from policies.rules.values import as_mapping, is_unknown, lookup, tag_value, with_plain_props

REQUIRED_TAGS = ("environment", "system", "role")
KEBAB_CASE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
ENGINE_TYPE_PREFIX = "pulumi:"
LIBRARY_COMPONENT_PREFIXES = ("eks:", "kubernetes:helm.sh/", "kubernetes:yaml")
"""Components whose children are named and tagged by the library (pulumi-eks, Helm charts, YAML
manifests), not by this project: the component itself is judged instead."""

TAGGABLE_TYPES_FILE = Path(__file__).with_name("taggable_types.txt")


def load_taggable_types(path: Path = TAGGABLE_TYPES_FILE) -> frozenset[str]:
    return frozenset(
        line.strip()
        for line in path.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )


TAGGABLE_TYPES = load_taggable_types()


def provider_default_tags(args: Any) -> dict[str, Any]:
    """The resource's AWS provider `default_tags.tags` (an object, or JSON text as provider inputs
    may be).
    """
    provider = getattr(args, "provider", None)
    default_tags = lookup(getattr(provider, "props", None), "defaultTags")
    if isinstance(default_tags, str) and not is_unknown(default_tags):
        try:
            default_tags = json.loads(default_tags)
        except ValueError:
            return {}
    return as_mapping(lookup(default_tags, "tags"))


def _inside_library_component(urn: str) -> bool:
    """Whether the URN's type chain (`parent$child`) passes through a library component."""
    type_chain = urn.split("::")[2] if urn.count("::") >= 3 else ""
    return any(part.startswith(LIBRARY_COMPONENT_PREFIXES) for part in type_chain.split("$")[:-1])


def _missing_tags(props: Mapping[str, Any], args: Any) -> Iterator[str]:
    if _inside_library_component(args.urn):
        return
    defaults = provider_default_tags(args)
    missing = []
    for key in REQUIRED_TAGS:
        value = tag_value(props, key)
        if value is None:
            value = defaults.get(key)
        if not is_unknown(value) and not (isinstance(value, str) and value.strip()):
            missing.append(key)
    if missing:
        present = sorted(as_mapping(props.get("tags")))
        yield f"missing required tags {missing} (tags set: {present})"


def _names_not_kebab_case(args: StackValidationArgs) -> Iterator[tuple[Any, str]]:
    for resource in args.resources:
        if resource.resource_type.startswith(ENGINE_TYPE_PREFIX) or _inside_library_component(
            resource.urn
        ):
            continue
        if not KEBAB_CASE.match(resource.name):
            yield resource, f"resource name {resource.name!r} is not lowercase kebab-case"


REQUIRED_TAGS_RULE = resource_rule(
    name="required-tags",
    description=(
        "Taggable resources carry the environment, system and role tags (children of library"
        " components excepted)."
    ),
    severity=Severity.LOW,
    enforcement=EnforcementLevel.ADVISORY,
    resource_types=TAGGABLE_TYPES,
    remediation=(
        'set `tags={"environment": ..., "system": ..., "role": ...}` on the resource, or'
        " `default_tags` on the aws.Provider"
    ),
    check=with_plain_props(_missing_tags),
)

KEBAB_CASE_NAMES = stack_rule(
    name="kebab-case-resource-names",
    description=(
        "Logical resource names are lowercase kebab-case (children of library components excepted)."
    ),
    severity=Severity.LOW,
    enforcement=EnforcementLevel.ADVISORY,
    remediation=(
        "rename the resource (the first argument, `resource_name`) to lowercase words joined by"
        " '-', with `aliases=[pulumi.Alias(name=<old name>)]` to avoid a replacement"
    ),
    check=_names_not_kebab_case,
)

POLICIES: list[Policy] = [REQUIRED_TAGS_RULE, KEBAB_CASE_NAMES]
