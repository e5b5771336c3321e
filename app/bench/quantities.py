"""Kubernetes CPU quantities, and the pod CPU the chart's image is limited to."""

from pathlib import Path

import yaml


def cpu_cores(quantity: str | int | float) -> float:
    """`"500m"` -> 0.5, `"2"` or `2` -> 2.0."""
    text = str(quantity).strip()
    try:
        cores = float(text[:-1]) / 1000 if text.endswith("m") else float(text)
    except ValueError:
        raise ValueError(f"not a Kubernetes CPU quantity: {quantity!r}") from None
    if cores <= 0:
        raise ValueError(f"a CPU quantity must be positive: {quantity!r}")
    return cores


def chart_cpu_limit(values_file: Path, fallback: float = 1.0) -> float:
    """The chart's `resources.limits.cpu` (what one pod may use), or `fallback` without a chart."""
    if not values_file.exists():
        return fallback
    limit = (
        ((yaml.safe_load(values_file.read_text()) or {}).get("resources") or {})
        .get("limits", {})
        .get("cpu")
    )
    return cpu_cores(limit) if limit is not None else fallback
