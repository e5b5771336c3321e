"""build/drill.json, build/drill.md and the timeline plot (success rate and routed region)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from components.routing_weights import PRIMARY, STANDBY
from ops.drill.measure import goals, results, timeline_bins
from ops.drill.scenario import DrillRun

REGION_OF = {PRIMARY: "seoul", STANDBY: "tokyo"}
MARKS_PLOTTED = ("kill", "detected", "promoted", "seoul_replica", "switchover_done", "normal")


def document(run: DrillRun) -> dict[str, Any]:
    result = results(run)
    return {
        "settings": dataclasses.asdict(run.settings),
        "results": result,
        "goals": goals(result),
        "marks": {name: round(at, 3) for name, at in run.timeline.marks.items()},
        "phases": [{"t": round(at, 3), "routing": label} for at, label in run.timeline.phases],
        "runbook": run.timeline.runbook_output,
        "timeline": timeline_bins(run),
    }


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} s"


def markdown(doc: dict[str, Any]) -> str:
    result, marks = doc["results"], doc["marks"]
    rpo, failback = result["rpo"], result["failback"]
    latency = result["booking_latency"]
    lines = [
        "# DR drill",
        "",
        f"Buyers {doc['settings']['buyers_per_second']}/s through HAProxy; health checks scaled by"
        f" {doc['settings']['health_check_scale']}. Times are seconds after seoul was killed"
        f" (t={marks['kill']:.2f} s on the drill clock).",
        "",
        "| measure | result |",
        "|---|---|",
        f"| detection (HAProxy marks seoul DOWN) | {_seconds(result['detection_seconds'])} |",
        f"| traffic moves to tokyo (automatic) | {_seconds(result['traffic_moved_seconds'])} |",
        f"| replica promoted (`ops.dr failover`) | {_seconds(result['promoted_seconds'])} |",
        f"| RTO ({result['rto_from']} -> {result['rto_to']}) | {_seconds(result['rto_seconds'])} |",
        f"| RPO: bookings lost at failover | {rpo['lost_bookings']} |",
        f"| replica lag at the kill | {rpo['replica_lag_at_kill_ms']} ms,"
        f" {rpo['replica_lag_at_kill_bytes']} bytes |",
        f"| failback switchover | {_seconds(failback['switchover_seconds'])},"
        f" {failback['lost_bookings']} lost |",
        f"| failed requests during failback | {failback['failed_requests']} of"
        f" {failback['requests']} |",
        f"| oversell | {'none' if result['oversell']['none'] else 'OVERSOLD'} |",
        f"| bookings acknowledged | {result['bookings_acknowledged']} |",
        "",
        "## Booking (confirm) latency in seoul before the kill",
        "",
        "| commit | confirms | p50 | p99 |",
        "|---|---|---|---|",
        *(
            f"| {mode} | {numbers['count']} | {numbers['p50_ms']} ms | {numbers['p99_ms']} ms |"
            for mode, numbers in latency.items()
        ),
        "",
        "## Goals (printed, not asserted)",
        "",
        "| goal | measured | met |",
        "|---|---|---|",
        *(
            f"| {g['goal']} | {g['measured']} | {'yes' if g['met'] else 'NO'} |"
            for g in doc["goals"]
        ),
        "",
        "## Routing phases (from the stack file copy)",
        "",
        *(f"- t={phase['t']:.2f} s: {phase['routing']}" for phase in doc["phases"]),
        "",
    ]
    if rpo["lost"]:
        lines += ["## Bookings lost at failover", ""]
        lines += [
            f"- {b['booking_id']} slot {b['slot_id']} acknowledged at t={b['acknowledged_at']} s"
            for b in rpo["lost"]
        ]
        lines.append("")
    return "\n".join(lines)


def plot(doc: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bins = doc["timeline"]
    times = [b["t"] for b in bins]
    figure, (rate, routed) = plt.subplots(2, 1, sharex=True, figsize=(10, 6))
    rate.plot(times, [b["success_rate"] for b in bins], drawstyle="steps-post", color="black")
    rate.set_ylabel("requests answered as expected")
    rate.set_ylim(-0.05, 1.05)
    for target, color in ((PRIMARY, "tab:blue"), (STANDBY, "tab:orange")):
        routed.plot(
            times,
            [b[target] for b in bins],
            drawstyle="steps-post",
            color=color,
            label=REGION_OF[target],
        )
    routed.plot(
        times, [b["unrouted"] for b in bins], drawstyle="steps-post", color="red", label="none"
    )
    routed.set_ylabel("requests per second, by region")
    routed.set_xlabel("drill time (s)")
    routed.legend(loc="upper left")
    for axes in (rate, routed):
        for name in MARKS_PLOTTED:
            if name in doc["marks"]:
                axes.axvline(doc["marks"][name], color="grey", linestyle=":", linewidth=1)
    for name in MARKS_PLOTTED:
        if name in doc["marks"]:
            rate.annotate(
                name, (doc["marks"][name], 1.02), rotation=90, fontsize=7, va="bottom", ha="right"
            )
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def write(run: DrillRun, out: Path) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    doc = document(run)
    (out / "drill.json").write_text(json.dumps(doc, indent=2))
    (out / "drill.md").write_text(markdown(doc) + "\n![timeline](drill.png)\n")
    plot(doc, out / "drill.png")
    return doc
