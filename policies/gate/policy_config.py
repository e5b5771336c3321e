"""Policy config, the format of `pulumi preview --policy-pack-config FILE`, read and
reconciled the way the engine does it before it calls the pack's Configure.

`{"all": "mandatory", "rule-name": "advisory"}` or
`{"rule-name": {"enforcementLevel": "disabled", "exemptions": [...]}}`: every rule starts at its
own default level, "all" overrides every level, then each rule's entry overrides its own level
and properties. Unlike the engine, a rule name the pack does not have is an error, so a typo
cannot quietly leave a rule at its default.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

LEVELS = ("advisory", "mandatory", "remediate", "disabled")
ALL_RULES_KEY = "all"
LEVEL_KEY = "enforcementLevel"


class PolicyConfigError(ValueError):
    """The policy config cannot be used; the message names the rule and what is wrong."""


@dataclass(frozen=True)
class RuleDefaults:
    enforcement: str
    config_schema: Mapping[str, Any] = field(default_factory=dict)
    """The JSON-schema `properties` of the rule's config."""


@dataclass(frozen=True)
class RuleSettings:
    enforcement: str
    properties: dict[str, Any]


def load_policy_config(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text())
    except OSError as error:
        raise PolicyConfigError(f"policy config {path}: {error.strerror}") from error
    except ValueError as error:
        raise PolicyConfigError(f"policy config {path} is not valid JSON: {error}") from error
    if not isinstance(document, dict):
        raise PolicyConfigError(
            f"policy config {path}: expected a JSON object of rule name -> level or settings"
        )
    return document


def _level(rule: str, value: Any) -> str:
    if value not in LEVELS:
        raise PolicyConfigError(
            f"policy config {rule!r}: {value!r} is not an enforcement level, expected one of"
            f" {', '.join(LEVELS)}"
        )
    return str(value)


def _entry(rule: str, value: Any) -> tuple[str | None, dict[str, Any]]:
    """(level or None, properties) of one entry, a level string or an object."""
    if isinstance(value, str):
        return _level(rule, value), {}
    if isinstance(value, dict):
        properties = {key: item for key, item in value.items() if key != LEVEL_KEY}
        return (_level(rule, value[LEVEL_KEY]) if LEVEL_KEY in value else None), properties
    raise PolicyConfigError(
        f"policy config {rule!r}: {value!r} is not valid, expected a level string or an object"
    )


def _unknown_rule_error(rule: str, known: list[str]) -> PolicyConfigError:
    close = difflib.get_close_matches(rule, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return PolicyConfigError(f"policy config {rule!r}: no such rule in the pack{hint}")


def _schema_errors(
    rule: str, properties: Mapping[str, Any], schema: Mapping[str, Any]
) -> list[str]:
    document_schema = {"type": "object", "properties": dict(schema)}
    validator = jsonschema.Draft7Validator(
        document_schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )
    return [
        f"policy config {rule!r}:"
        f" {'/'.join(str(part) for part in error.absolute_path) or '(root)'}: {error.message}"
        for error in validator.iter_errors(dict(properties))
    ]


def reconcile(
    defaults: Mapping[str, RuleDefaults], config: Mapping[str, Any]
) -> dict[str, RuleSettings]:
    """Every rule's level and properties: its defaults, then "all", then its own entry."""
    entries = {rule: _entry(rule, value) for rule, value in config.items()}
    unknown = [rule for rule in entries if rule != ALL_RULES_KEY and rule not in defaults]
    if unknown:
        raise _unknown_rule_error(unknown[0], sorted(defaults))
    all_level, all_properties = entries.get(ALL_RULES_KEY, (None, {}))
    if all_properties:
        raise PolicyConfigError(
            f"policy config {ALL_RULES_KEY!r}: only {LEVEL_KEY!r} applies to all rules, got"
            f" {sorted(all_properties)}"
        )
    settings: dict[str, RuleSettings] = {}
    errors: list[str] = []
    for rule, rule_defaults in defaults.items():
        level, properties = entries.get(rule, (None, {}))
        schema_defaults = {
            key: spec["default"]
            for key, spec in rule_defaults.config_schema.items()
            if isinstance(spec, Mapping) and "default" in spec
        }
        merged = {**schema_defaults, **properties}
        errors += _schema_errors(rule, merged, rule_defaults.config_schema)
        settings[rule] = RuleSettings(level or all_level or rule_defaults.enforcement, merged)
    if errors:
        raise PolicyConfigError("\n".join(errors))
    return settings
