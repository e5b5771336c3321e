"""The chart kubeVersion check (policies/gate/kube_version.py) reads constraints as Helm does."""

import pytest

from policies.gate.kube_version import ConstraintError, satisfies


@pytest.mark.parametrize(
    ("version", "constraint", "expected"),
    [
        ("1.29", ">=1.30.0-0", False),
        ("1.30", ">=1.30.0-0", True),
        ("1.33.0", ">=1.30.0-0", True),
        ("1.30", ">=1.30.0", True),
        ("1.30", ">1.30.0-0", True),
        ("1.30", "<1.30.0-0", False),
        ("1.29", ">=1.28, <1.30", True),
        ("1.30", ">= 1.28, < 1.30", False),
        ("1.30", ">=1.28.0-0 <1.30.0-0", False),
        ("1.30", ">=1.28, <1.30 || >=1.31", False),
        ("1.33", ">=1.28, <1.30 || >=1.31", True),
        ("1.33", "!=1.33.0", False),
        ("1.33", "1.33.0", True),
        ("v1.33.0", "=1.33", True),
    ],
)
def test_constraints(version, constraint, expected):
    assert satisfies(version, constraint) is expected


@pytest.mark.parametrize("constraint", ["~1.30", "^1.30", ">=1.x", ">=1.30 ||", ">=1.40 ~1.30"])
def test_constraints_it_does_not_read_are_refused(constraint):
    with pytest.raises(ConstraintError):
        satisfies("1.33", constraint)
