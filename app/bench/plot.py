"""build/bench.png: throughput and latency side by side."""

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen before pyplot loads)

from app.bench.report import lookup  # noqa: E402

THROUGHPUT = (
    ("ceiling.rps", "ceiling"),
    ("enqueue.rps", "queue entry"),
    ("position.rps", "position"),
    ("booking.holds_per_s", "holds"),
)
LATENCY = (
    ("enqueue.p50_ms", "entry p50\n(saturation)"),
    ("enqueue.p99_ms", "entry p99\n(saturation)"),
    ("enqueue.p99_ms_at_80pct_load", "entry p99\n(80% load)"),
    ("websocket.push_p99_ms", "WS push p99\n(all clients)"),
)


def bars(
    axes, results: dict[str, Any], series: tuple[tuple[str, str], ...], title: str, unit: str
) -> None:
    measured = [(label, lookup(results, key)) for key, label in series]
    measured = [(label, value) for label, value in measured if value is not None]
    labels = [label for label, _ in measured]
    values = [value for _, value in measured]
    drawn = axes.bar(labels, values, color="#3b6ea5")
    axes.bar_label(drawn, fmt="{:,.0f}" if unit == "requests/s" else "{:,.1f}")
    axes.set_title(title)
    axes.set_ylabel(unit)


def latency_under_load(axes, results: dict[str, Any]) -> None:
    """Queue entry p50/p99 against the open-loop rate actually achieved."""
    points = lookup(results, "enqueue.open_loop") or []
    rates = [point["achieved_rps"] for point in points]
    for key, label in (("p50_ms", "p50"), ("p99_ms", "p99")):
        axes.plot(rates, [point[key] for point in points], marker="o", label=label)
    axes.axhline(50, color="#a53b3b", linestyle="--", linewidth=1, label="50 ms goal")
    axes.set_title("Queue entry latency, open loop")
    axes.set_xlabel("requests/s")
    axes.set_ylabel("ms")
    axes.legend()


def write_plot(results: dict[str, Any], path: Path) -> None:
    figure, (throughput, latency, under_load) = plt.subplots(1, 3, figsize=(17, 4.5))
    bars(
        throughput,
        results,
        THROUGHPUT,
        f"Throughput on {results.get('cores')} server core(s)",
        "requests/s",
    )
    bars(latency, results, LATENCY, "Latency (log scale)", "ms")
    if latency.has_data():  # a run that failed early may have measured no latency
        latency.set_yscale("log")
    latency_under_load(under_load, results)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
