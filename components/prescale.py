"""Scheduled pre-scaling for openings (`ticketing:services.openings`).

For each opening the chart gets two CronJobs (app/chart/templates/prescale.yaml): one raises the
HPA's `minReplicas` to the pods the opening's expected peak needs (components/sizing.py)
LEAD_MINUTES before it starts, one puts the steady floor back when it ends. They run under a
ServiceAccount whose Role may only get and patch that one HPA. The node floor follows: the raised
floor's pods are pending until cluster-autoscaler adds nodes for them (a few minutes for an
instance to launch, join and pull the image), well inside the lead, so the nodes are there when
the doors open; afterwards the HPA and cluster-autoscaler shrink back to the steady state.

A cron schedule names a minute, hour, day and month, so it would fire again a year later: remove an
opening from the stack config once it is over.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from components import sizing
from components.config import Opening, ServicesConfig

# Instance launch, node join and image pull take 3-5 minutes; the rest covers an EC2 capacity retry.
LEAD_MINUTES = 30


def cron_at(moment: dt.datetime) -> str:
    """`minute hour day month *` in UTC (the CronJobs' time zone)."""
    utc = moment.astimezone(dt.UTC)
    return f"{utc.minute} {utc.hour} {utc.day} {utc.month} *"


def opening_floor(config: ServicesConfig, opening: Opening) -> int:
    """The pods the opening's expected peak needs, within the HPA's bounds."""
    needed = sizing.pods_needed(
        opening.expected_peak_rps,
        sizing.Measured.load(),
        sizing.kubernetes_cpu(config.resources.cpu_request),
        config.target_cpu_percent,
    )
    return max(config.min_replicas, min(config.max_replicas, needed))


def schedules(config: ServicesConfig) -> list[dict[str, Any]]:
    """The chart's `prescale.schedules`: raise before each opening, restore after it."""
    found = []
    for index, opening in enumerate(config.openings):
        raise_at = opening.starts_at - dt.timedelta(minutes=LEAD_MINUTES)
        restore_at = opening.starts_at + dt.timedelta(minutes=opening.duration_minutes)
        found += [
            {
                "name": f"opening-{index}-raise",
                "schedule": cron_at(raise_at),
                "minReplicas": opening_floor(config, opening),
            },
            {
                "name": f"opening-{index}-restore",
                "schedule": cron_at(restore_at),
                "minReplicas": config.min_replicas,
            },
        ]
    return found
