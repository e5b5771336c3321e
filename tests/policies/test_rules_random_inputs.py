"""No rule raises on any input shape: random property documents (unknowns, odd types, nesting)
through every rule of the pack, plain and behind the CLI's unknown-checking proxy.

Keys are drawn mostly from the property names the rule's own module reads, and leaves often
from the strings it compares with, so random documents reach the rules' real code paths rather
than stopping at a missing key.
"""

import functools
import importlib
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pulumi.output import Unknown
from pulumi_policy import ResourceValidationPolicy
from pulumi_policy.proxy import (
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_STRING_VALUE,
    unknown_checking_proxy,
)

import policies.rules
from policies.rules import ALL_POLICIES
from tests.policies.harness import run_resource_rule, run_stack_rule, stack_resource
from tests.policies.malformed import resource_types_of

RULES_DIR = Path(policies.rules.__file__).parent
QUOTED_NAME = re.compile(r'"([a-zA-Z][a-zA-Z0-9.:*/_-]{1,40})"')
PROPERTY_NAME = re.compile(r"^[a-z][a-zA-Z0-9]*$")
RANDOM_SETTINGS = settings(
    max_examples=15, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def _quoted_names(path: Path) -> set[str]:
    return set(QUOTED_NAME.findall(path.read_text()))


def _names_by_rule() -> dict[str, list[str]]:
    """Rule name -> the quoted names of its module and of the shared value helpers."""
    shared = _quoted_names(RULES_DIR / "values.py")
    found = {}
    for path in RULES_DIR.glob("*.py"):
        for rule in getattr(importlib.import_module(f"policies.rules.{path.stem}"), "POLICIES", []):
            found[rule.name] = sorted(_quoted_names(path) | shared)
    return found


NAMES_BY_RULE = _names_by_rule()
ODD_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-70000, 70000),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.sampled_from(["*", "0.0.0.0/0", "::/0", "true", "false", "tcp", "-1", "alias/aws/s3"]),
    st.sampled_from([UNKNOWN_STRING_VALUE, UNKNOWN_BOOLEAN_VALUE, UNKNOWN_NUMBER_VALUE]),
    st.builds(Unknown),
)


@functools.cache
def props_for(rule_name: str) -> st.SearchStrategy:
    names = NAMES_BY_RULE[rule_name]
    keys = st.sampled_from([name for name in names if PROPERTY_NAME.match(name)]) | st.text(
        max_size=4
    )
    leaves = ODD_LEAVES | st.sampled_from(names)
    documents = st.recursive(
        leaves,
        lambda children: (
            st.lists(children, max_size=3) | st.dictionaries(keys, children, max_size=6)
        ),
        max_leaves=12,
    )
    return st.dictionaries(keys, documents, min_size=3, max_size=20)


def _all_text(messages) -> bool:
    return all(isinstance(message, str) and message for message in messages)


def test_every_rule_has_its_module_names():
    assert set(NAMES_BY_RULE) == {rule.name for rule in ALL_POLICIES}


@pytest.mark.parametrize(
    "rule",
    [rule for rule in ALL_POLICIES if isinstance(rule, ResourceValidationPolicy)],
    ids=lambda rule: rule.name,
)
@RANDOM_SETTINGS
@given(data=st.data())
def test_resource_rule_survives_random_props(rule, data):
    resource_type = data.draw(st.sampled_from(resource_types_of(rule)))
    document = data.draw(props_for(rule.name))
    assert _all_text(run_resource_rule(rule, resource_type, document))
    assert _all_text(run_resource_rule(rule, resource_type, unknown_checking_proxy(document)))


@pytest.mark.parametrize(
    "rule",
    [rule for rule in ALL_POLICIES if not isinstance(rule, ResourceValidationPolicy)],
    ids=lambda rule: rule.name,
)
@RANDOM_SETTINGS
@given(data=st.data())
def test_stack_rule_survives_random_resources(rule, data):
    types = resource_types_of(rule) or ["aws:s3/bucket:Bucket"]
    drawn = data.draw(st.lists(st.tuples(st.sampled_from(types), props_for(rule.name)), max_size=5))
    resources = [
        stack_resource(resource_type, f"r{index}", unknown_checking_proxy(document))
        for index, (resource_type, document) in enumerate(drawn)
    ]
    assert _all_text(message for _, message in run_stack_rule(rule, resources))
