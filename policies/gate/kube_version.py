"""A chart's `kubeVersion` constraint (Chart.yaml) checked against the cluster's version, as Helm
does before it installs: `>=1.30.0-0`, `>=1.30.0-0 <1.34.0-0`, `>=1.28, <1.30 || >=1.31`.

Only the comparison operators are understood; a constraint using `~`, `^` or wildcards is
refused rather than guessed at (no chart of this program uses them).
"""

from __future__ import annotations

import re

_COMPARISON = re.compile(r"(>=|<=|!=|=|>|<)?\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(-[0-9A-Za-z.-]+)?")
_OPERATORS = {
    ">=": lambda left, right: left >= right,
    "<=": lambda left, right: left <= right,
    ">": lambda left, right: left > right,
    "<": lambda left, right: left < right,
    "!=": lambda left, right: left != right,
    "=": lambda left, right: left == right,
}

Version = tuple[int, int, int, int]
"""major, minor, patch, then 0 for a pre-release (`1.30.0-0` sorts before `1.30.0`), else 1."""


class ConstraintError(ValueError):
    """A kubeVersion constraint this check does not understand."""


def _version(match: re.Match[str]) -> Version:
    major, minor, patch, pre = match.group(2, 3, 4, 5)
    return int(major), int(minor or 0), int(patch or 0), 0 if pre else 1


def _satisfies_all(version: Version, comparisons: str) -> bool:
    """Every comparison of one `||` alternative (separated by commas or spaces) holds."""
    joined = re.sub(r"(>=|<=|!=|=|>|<)\s+", r"\1", comparisons.strip())
    terms = [term for term in re.split(r"\s*,\s*|\s+", joined) if term]
    if not terms:
        raise ConstraintError(f"empty alternative in {comparisons!r}")
    matches = [_COMPARISON.fullmatch(term) for term in terms]
    for term, match in zip(terms, matches, strict=True):
        if match is None:
            raise ConstraintError(f"cannot read {term!r} (only =, !=, <, <=, >, >= are understood)")
    return all(
        _OPERATORS[match.group(1) or "="](version, _version(match)) for match in matches if match
    )


def satisfies(cluster_version: str, constraint: str) -> bool:
    """Whether a cluster running `cluster_version` (`1.33` or `1.33.0`) meets `constraint`."""
    match = _COMPARISON.fullmatch(cluster_version.strip())
    if match is None or match.group(1):
        raise ConstraintError(f"{cluster_version!r} is not a Kubernetes version")
    version = _version(match)
    # Every alternative is read, so a malformed one is refused even after one that holds.
    verdicts = [_satisfies_all(version, alternative) for alternative in constraint.split("||")]
    return any(verdicts)
