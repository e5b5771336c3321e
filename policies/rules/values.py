"""Reading resource properties safely, whoever hands them over.

Under the real CLI, pulumi-policy wraps props in proxies that raise `UnknownValueError` when
an unknown preview value is touched; the offline runner hands over plain dicts holding
`pulumi.output.Unknown` objects or the engine's sentinel strings. `plain()` turns either into
plain dicts and lists with every unknown as `UNKNOWN`, so a rule reads ordinary Python values
and asks `is_unknown()` where a value may be decided only at deploy.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from pulumi.output import Unknown
from pulumi_policy import proxy
from pulumi_policy.proxy import UnknownValueError

from policies.mocks import fake_arn

UNKNOWN = proxy.UNKNOWN_STRING_VALUE
"""How `plain()` spells an unknown value: the engine's own sentinel string."""

_UNKNOWN_SENTINELS = frozenset(
    {
        proxy.UNKNOWN_BOOLEAN_VALUE,
        proxy.UNKNOWN_NUMBER_VALUE,
        proxy.UNKNOWN_STRING_VALUE,
        proxy.UNKNOWN_ARRAY_VALUE,
        proxy.UNKNOWN_ASSET_VALUE,
        proxy.UNKNOWN_ARCHIVE_VALUE,
        proxy.UNKNOWN_OBJECT_VALUE,
    }
)


def is_unknown(value: Any) -> bool:
    """True for a value that only the deploy decides (never a violation by itself)."""
    return isinstance(value, Unknown) or (isinstance(value, str) and value in _UNKNOWN_SENTINELS)


def _item(container: Any, key: Any) -> Any:
    """container[key]; None when missing, the sentinel when the proxy says it is unknown."""
    try:
        return container[key]
    except UnknownValueError as error:
        return error.unknown_type_sentinel
    except (KeyError, IndexError, TypeError):
        return None


def plain(value: Any) -> Any:
    """Plain dicts/lists/scalars; unknowns (proxied, `Unknown` objects or sentinels) become
    `UNKNOWN`.
    """
    if is_unknown(value):
        return UNKNOWN
    if isinstance(value, Mapping):
        return {key: plain(_item(value, key)) for key in list(value)}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [plain(_item(value, index)) for index in range(len(value))]
    return value


def with_plain_props(
    check: Callable[[dict[str, Any], Any], Iterable[str]],
) -> Callable[[Any, Any], Iterator[str]]:
    """Wraps a resource check so it always reads `plain()` props, whatever the caller handed in."""

    def checked(props: Any, args: Any) -> Iterator[str]:
        document = plain(props)
        yield from check(document if isinstance(document, dict) else {}, args)

    return checked


def lookup(value: Any, *path: Any) -> Any:
    """The value at `path` inside nested mappings/lists, None where the path does not exist."""
    for key in path:
        if is_unknown(value):
            return UNKNOWN
        if (
            isinstance(value, Mapping)
            and isinstance(key, str)
            or (
                isinstance(value, Sequence)
                and not isinstance(value, (str, bytes))
                and isinstance(key, int)
            )
        ):
            value = _item(value, key)
        else:
            return None
    return UNKNOWN if is_unknown(value) else value


def as_list(value: Any) -> list[Any]:
    """A list of the items: None and unknown give [], a single item gives [item]."""
    value = plain(value)
    if value is None or is_unknown(value):
        return []
    return value if isinstance(value, list) else [value]


def as_mapping(value: Any) -> dict[str, Any]:
    """The mapping, or {} for anything that is not one (None, unknown, odd types)."""
    value = plain(value)
    return value if isinstance(value, dict) else {}


def is_true(value: Any) -> bool:
    """True only for an explicit true (bool or the string forms providers echo back)."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def whole_number(value: Any) -> int | None:
    """An integer input as the engine may deliver it (the real CLI turns every number into a
    float).
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value) if float(value).is_integer() else None


def shown(value: Any) -> str:
    """A resource's value as a message shows it: `not set` for a missing one."""
    if value is None:
        return "not set"
    return (
        repr(whole_number(value))
        if isinstance(value, float) and whole_number(value) is not None
        else repr(value)
    )


def must_be_true(container: Any, field: str, prefix: str = "") -> Iterator[str]:
    """`<prefix><field> is <value>` unless `container`'s field is explicitly true or unknown
    (missing is a finding).
    """
    value = lookup(container, field)
    if not is_true(value) and not is_unknown(value):
        yield f"{prefix}{field} is {shown(value)}"


def is_aws_managed_key(key_id: Any, service: str) -> bool:
    """Missing, or the service's AWS managed key (`alias/aws/<service>`), rather than a customer
    managed key.
    """
    return (
        key_id is None
        or key_id == ""
        or (isinstance(key_id, str) and key_id.endswith(f"alias/aws/{service}"))
    )


def iam_document(value: Any) -> dict[str, Any] | None:
    """An IAM policy document from a JSON string or a mapping; None if absent, unknown or
    unparsable.
    """
    value = plain(value)
    if isinstance(value, str) and not is_unknown(value):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) and not is_unknown(value) else None


def statements(document: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The document's statements as dicts (a single statement object is allowed by IAM)."""
    if not isinstance(document, Mapping):
        return []
    return [
        statement for statement in as_list(document.get("Statement")) if isinstance(statement, dict)
    ]


def strings(value: Any) -> list[str]:
    """The known strings of a string-or-list field (IAM `Action`, `Resource`...)."""
    return [item for item in as_list(value) if isinstance(item, str) and not is_unknown(item)]


def is_public_principal(principal: Any) -> bool:
    """An IAM `Principal` that names everyone: `"*"` or `{"AWS": "*"}` (alone or in a list)."""
    if principal == "*":
        return True
    return isinstance(principal, Mapping) and "*" in strings(principal.get("AWS"))


NARROWING_CONDITION_KEYS = frozenset(
    {
        "aws:sourcearn",
        "aws:sourceaccount",
        "aws:sourceowner",
        "aws:sourceorgid",
        "aws:sourceorgpaths",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:sourceip",
        "aws:principalarn",
        "aws:principalaccount",
        "aws:principalorgid",
        "aws:principalorgpaths",
        "aws:userid",
        "kms:calleraccount",
    }
)
"""Condition keys that limit who (which account, organization, network or calling resource) a
grant to Principal '*' reaches; `aws:SecureTransport` or `kms:ViaService` alone do not."""


def condition_keys(statement: Mapping[str, Any]) -> set[str]:
    """The statement's condition keys, lowercased (IAM compares them case-insensitively)."""
    keys: set[str] = set()
    condition = statement.get("Condition")
    for operator_block in condition.values() if isinstance(condition, Mapping) else []:
        if isinstance(operator_block, Mapping):
            keys.update(str(key).lower() for key in operator_block)
    return keys


def public_grants(document: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Allow statements of a resource or trust policy that reach any principal (`"*"`,
    `{"AWS": "*"}`) with no condition narrowing who."""
    return [
        statement
        for statement in statements(document)
        if str(statement.get("Effect", "")).lower() == "allow"
        and is_public_principal(statement.get("Principal"))
        and not condition_keys(statement) & NARROWING_CONDITION_KEYS
    ]


def tag_value(props: Mapping[str, Any], key: str) -> Any:
    """The tag's value from `tags`, else from `tagsAll` (where provider `defaultTags` land);
    None when absent, `UNKNOWN` when the tag map itself is unknown."""
    found_unknown = False
    for field in ("tags", "tagsAll"):
        tags = lookup(props, field)
        value = lookup(tags, key)
        if is_unknown(tags):
            found_unknown = True
        elif value is not None:
            return value
    return UNKNOWN if found_unknown else None


def offline_identities(resource_type: str, resource_name: str) -> set[str]:
    """The id and ARN the offline runner's mocks give a resource (mirrors
    `ProgramMocks.new_resource`).
    """
    service = resource_type.split(":")[1].split("/")[0] if resource_type.count(":") >= 2 else "mock"
    return {
        f"{resource_name}-id",
        fake_arn(service, f"{resource_type.split(':')[-1].lower()}/{resource_name}"),
    }


def identities(resource: Any, *props: str) -> set[str]:
    """Strings other resources may use to point at `resource`: the known values of `props`, its
    `id`/`arn` when present, and its offline mock id and ARN."""
    found = offline_identities(resource.resource_type, resource.name)
    for prop in (*props, "id", "arn"):
        value = lookup(resource.props, prop)
        if isinstance(value, str) and value and not is_unknown(value):
            found.add(value)
    return found


def refers_to(resource: Any, prop: str, target: Any, target_identities: set[str]) -> bool:
    """Whether `resource`'s `prop` points at `target` (both pulumi-policy `PolicyResource`s).

    The engine's property dependencies decide when present (at preview a new bucket's id is
    unknown); otherwise the value is compared with the target's identities; an unknown value
    counts as a reference only when `resource` depends on `target` at all.
    """
    if any(
        getattr(dependency, "urn", None) == target.urn
        for dependency in (resource.property_dependencies or {}).get(prop, [])
    ):
        return True
    value = lookup(resource.props, prop)
    if is_unknown(value):
        return any(
            getattr(dependency, "urn", None) == target.urn
            for dependency in resource.dependencies or []
        )
    return isinstance(value, str) and value in target_identities


def attached(
    targets: Iterable[Any],
    settings: Iterable[Any],
    prop: str,
    identities_of: Callable[[Any], set[str]],
) -> tuple[dict[str, list[Any]], bool]:
    """Each target's settings (by target URN), joined on the settings' `prop`; and whether some
    setting points somewhere unknown and unattributable, so a target's missing setting may be
    that one (a "missing" finding would then be a guess, and unknown is not a violation)."""
    targets = list(targets)
    target_identities = {target.urn: identities_of(target) for target in targets}
    by_target: dict[str, list[Any]] = {target.urn: [] for target in targets}
    undecided = False
    for setting in settings:
        owners = [
            target
            for target in targets
            if refers_to(setting, prop, target, target_identities[target.urn])
        ]
        for owner in owners:
            by_target[owner.urn].append(setting)
        undecided = undecided or (not owners and is_unknown(lookup(setting.props, prop)))
    return by_target, undecided


def unattached(targets: Iterable[Any], settings: Iterable[Any], prop: str) -> list[Any]:
    """The targets no setting names through `prop`. None while some setting points somewhere
    unknown: it may be any target's, so a "missing" finding would be a guess."""
    targets = list(targets)
    by_target, undecided = attached(targets, settings, prop, identities)
    return [] if undecided else [target for target in targets if not by_target[target.urn]]
