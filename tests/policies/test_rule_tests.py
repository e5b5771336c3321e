"""Every rule of the pack has a violating and a compliant test, asserted by the rule itself.

The rule tests run each rule through `tests.policies.harness`, which tallies per rule name
whether the run found a violation or none (`OUTCOMES`); this test, run last, requires both for
every rule in `policies.rules.ALL_POLICIES`. Robustness runs (malformed and random inputs) are
not tallied.
"""

from pathlib import Path

import pytest

from policies.rules import ALL_POLICIES
from tests.policies.harness import OUTCOMES

HERE = Path(__file__).parent


def _rule_test_modules() -> set[str]:
    return {
        path.name
        for path in HERE.glob("test_*.py")
        if "tests.policies.harness import" in path.read_text() and path.name != Path(__file__).name
    }


def test_every_rule_is_tested(request):
    collected = {Path(str(item.path)).name for item in request.session.items}
    missing_modules = _rule_test_modules() - collected
    if missing_modules:
        pytest.skip(f"needs the whole tests/policies run; not collected: {sorted(missing_modules)}")
    untested = {
        policy.name: sorted({"violation", "compliant"} - OUTCOMES.get(policy.name, set()))
        for policy in ALL_POLICIES
        if OUTCOMES.get(policy.name, set()) != {"violation", "compliant"}
    }
    assert untested == {}, (
        "rules without a violating and/or a compliant test (rule -> missing outcome)"
    )
