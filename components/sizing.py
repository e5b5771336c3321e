"""The sizes an opening of `services.peakRps` requests/second needs, from the bench's measurements.

The measured figures live in `components/measured.yaml` (written from `make bench` and
`python -m app.bench.event_ceiling` runs, with the date and the machine's load). From them this
module derives the pods at the peak, the app nodes that hold them, the Redis node type and shard
count, and the Aurora instance class, each with its headroom stated. A stack must meet that need and
may exceed it by at most OVERPROVISION_LIMIT: `check` names the key that does not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components.errors import ConfigError

MEASURED_FILE = Path(__file__).resolve().parent / "measured.yaml"
OVERPROVISION_LIMIT = 2.0
# kubelet, kube-proxy, the VPC CNI and the log and metrics agents on every node.
NODE_RESERVED_VCPU = 0.5
# One event's Redis core is reported against this: no node type or shard count changes it (see
# app/bench/event_ceiling.py), only the cost of a join does.
REDIS_CORE_TARGET = 0.5
# An opening's queue: everyone who arrives in the first minute at the peak rate holds a place.
ARRIVAL_SECONDS = 60
# Memory headroom: replication buffers, the fork of a snapshot copying pages, fragmentation.
REDIS_MEMORY_HEADROOM = 2.0
DATABASE_CPU_TARGET = 0.5

INSTANCE_VCPUS = {
    "t3.large": 2,
    "t3a.large": 2,
    "m7i.large": 2,
    "m7i.xlarge": 4,
    "c7i.large": 2,
    "c7i.xlarge": 4,
    "c6i.xlarge": 4,
    "c7i.2xlarge": 8,
    "c6i.2xlarge": 8,
    "c7i.4xlarge": 16,
    "c6i.4xlarge": 16,
}
# Non-burstable node types, smallest first, with their memory in GiB (AWS's node type table). A
# burstable type would run out of CPU credits in the middle of an opening.
CACHE_NODE_MEMORY_GIB = {
    "cache.m7g.large": 6.38,
    "cache.r7g.large": 13.07,
    "cache.r7g.xlarge": 26.32,
    "cache.r7g.2xlarge": 52.82,
}
# Smallest first; vCPUs per class.
DATABASE_CLASS_VCPUS = {
    "db.t4g.medium": 2,
    "db.r7g.large": 2,
    "db.r7g.xlarge": 4,
    "db.r7g.2xlarge": 8,
    "db.r7g.4xlarge": 16,
}
# Burstable types serve only stacks whose peak fits in their CPU baseline (dev): elsewhere an
# opening would run out of CPU credits halfway.
BURSTABLE_PEAK_RPS = 1_000
BURSTABLE_CACHE_NODE_MEMORY_GIB = {"cache.t4g.small": 1.37}
BURSTABLE_DATABASE_CLASSES = ("db.t4g.medium",)


@dataclass(frozen=True)
class Measured:
    """What the bench measured (see measured.yaml for where and under what load)."""

    measured_on: str
    rps_per_vcpu: float
    redis_cpu_us_per_join: float
    redis_cpu_us_per_admission_step: float
    redis_bytes_per_waiting_client: float
    postgres_cpu_us_per_booking: float
    bookings_per_request: float

    @classmethod
    def load(cls, path: Path = MEASURED_FILE) -> Measured:
        document: dict[str, Any] = yaml.safe_load(path.read_text())
        return cls(
            measured_on=str(document["measuredOn"]),
            rps_per_vcpu=float(document["app"]["openingRpsPerVcpu"]),
            redis_cpu_us_per_join=float(document["redis"]["cpuUsPerJoin"]),
            redis_cpu_us_per_admission_step=float(document["redis"]["cpuUsPerAdmissionStep"]),
            redis_bytes_per_waiting_client=float(document["redis"]["bytesPerWaitingClient"]),
            postgres_cpu_us_per_booking=float(document["postgres"]["cpuUsPerBooking"]),
            bookings_per_request=float(document["app"]["bookingsPerRequest"]),
        )


@dataclass(frozen=True)
class Need:
    """The sizes `peak_rps` needs; `headroom` says, per item, what margin is in the figure."""

    peak_rps: int
    pods: int
    app_nodes: int
    app_instance_type: str
    cache_node_type: str
    cache_shards: int
    event_redis_core_share: float
    """One event's Redis core at the peak if every request were a lone join (the burst's worst
    case); above 1 the event's queue needs bigger join batches or more than one slot."""
    database_instance_class: str
    headroom: dict[str, str]


def pods_needed(peak_rps: int, measured: Measured, pod_vcpu: float, target_cpu: int) -> int:
    # the HPA's CPU target is the headroom: the mix's figure already carries the sockets' pushes
    per_pod = measured.rps_per_vcpu * pod_vcpu * target_cpu / 100
    return max(1, math.ceil(peak_rps / per_pod))


def pods_per_node(instance_type: str, pod_vcpu: float) -> int:
    if instance_type not in INSTANCE_VCPUS:
        raise ConfigError(
            "cluster.nodeGroups.app.instanceTypes",
            instance_type,
            f"one of {', '.join(INSTANCE_VCPUS)} (components/sizing.py knows their vCPUs)",
        )
    return max(1, math.floor((INSTANCE_VCPUS[instance_type] - NODE_RESERVED_VCPU) / pod_vcpu))


def event_redis_core_share(peak_rps: int, pods: int, measured: Measured) -> float:
    """One event's Redis core at the peak, every request a join (the worst case of the burst)."""
    joins = peak_rps * measured.redis_cpu_us_per_join
    steps = pods * 10 * measured.redis_cpu_us_per_admission_step
    return (joins + steps) / 1_000_000


def kubernetes_cpu(quantity: str) -> float:
    """`"500m"` -> 0.5, `"2"` -> 2.0 (config.py has checked the form)."""
    return float(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def cache_memory_gib(peak_rps: int, measured: Measured) -> float:
    waiting = peak_rps * ARRIVAL_SECONDS
    return waiting * measured.redis_bytes_per_waiting_client * REDIS_MEMORY_HEADROOM / 2**30


def cache_node_type(peak_rps: int, measured: Measured) -> str:
    need_gib = cache_memory_gib(peak_rps, measured)
    burstable = BURSTABLE_CACHE_NODE_MEMORY_GIB if peak_rps <= BURSTABLE_PEAK_RPS else {}
    for node_type, memory in {**burstable, **CACHE_NODE_MEMORY_GIB}.items():
        if memory >= need_gib:
            return node_type
    raise ConfigError("cache.nodeType", None, f"a node type with {need_gib:.1f} GiB")


def database_instance_class(peak_rps: int, measured: Measured) -> str:
    bookings = peak_rps * measured.bookings_per_request
    vcpus = bookings * measured.postgres_cpu_us_per_booking / 1_000_000 / DATABASE_CPU_TARGET
    for instance_class, class_vcpus in DATABASE_CLASS_VCPUS.items():
        if instance_class in BURSTABLE_DATABASE_CLASSES and peak_rps > BURSTABLE_PEAK_RPS:
            continue
        if class_vcpus >= vcpus:
            return instance_class
    raise ConfigError("database.instanceClass", None, f"a class with {vcpus:.1f} vCPUs")


def need_for(
    peak_rps: int,
    pod_vcpu: float,
    target_cpu: int,
    app_instance_type: str,
    measured: Measured,
) -> Need:
    pods = pods_needed(peak_rps, measured, pod_vcpu, target_cpu)
    share = event_redis_core_share(peak_rps, pods, measured)
    return Need(
        peak_rps=peak_rps,
        pods=pods,
        app_nodes=math.ceil(pods / pods_per_node(app_instance_type, pod_vcpu)),
        app_instance_type=app_instance_type,
        cache_node_type=cache_node_type(peak_rps, measured),
        cache_shards=1,
        event_redis_core_share=share,
        database_instance_class=database_instance_class(peak_rps, measured),
        headroom={
            "pods": f"measured {measured.rps_per_vcpu:,.0f} rps/vCPU on the opening mix, planned"
            f" at {target_cpu}% CPU",
            "app_nodes": f"{NODE_RESERVED_VCPU} vCPU per node kept for the node's own agents",
            "cache": f"{peak_rps * ARRIVAL_SECONDS:,} waiting clients x"
            f" {measured.redis_bytes_per_waiting_client:.0f} B x {REDIS_MEMORY_HEADROOM:g}"
            f" = {cache_memory_gib(peak_rps, measured):.2f} GiB;"
            f" one event's core {share:.0%} busy at the peak (limit {REDIS_CORE_TARGET:.0%})",
            "database": f"{measured.bookings_per_request:.1%} of requests book, at"
            f" {measured.postgres_cpu_us_per_booking:.0f} us PostgreSQL CPU each, planned at"
            f" {DATABASE_CPU_TARGET:.0%} CPU",
        },
    )


def _within(key: str, configured: int, needed: int) -> None:
    if not needed <= configured <= OVERPROVISION_LIMIT * needed:
        raise ConfigError(
            key,
            configured,
            f"from {needed} to {math.floor(OVERPROVISION_LIMIT * needed)}: the need of"
            " services.peakRps by the measured figures (components/sizing.py)",
        )


def _exactly(key: str, configured: str, needed: str) -> None:
    if configured != needed:
        raise ConfigError(
            key,
            configured,
            f"{needed}: the smallest that serves services.peakRps (components/sizing.py)",
        )


@dataclass(frozen=True)
class Sizes:
    """The configured sizes `check` compares with the need (from the stack's typed config)."""

    peak_rps: int
    pod_vcpu: float
    target_cpu: int
    max_replicas: int
    app_instance_type: str
    app_nodes_max: int
    cache_node_type: str
    cache_shards: int
    database_instance_class: str


def check(sizes: Sizes, measured: Measured | None = None) -> Need:
    """The need; raises ConfigError naming the first key that is under- or over-provisioned."""
    need = need_for(
        sizes.peak_rps,
        sizes.pod_vcpu,
        sizes.target_cpu,
        sizes.app_instance_type,
        measured or Measured.load(),
    )
    _within("services.autoscaling.maxReplicas", sizes.max_replicas, need.pods)
    _within("cluster.nodeGroups.app.maxSize", sizes.app_nodes_max, need.app_nodes)
    _exactly("cache.nodeType", sizes.cache_node_type, need.cache_node_type)
    _within("cache.shards", sizes.cache_shards, need.cache_shards)
    _exactly("database.instanceClass", sizes.database_instance_class, need.database_instance_class)
    return need
