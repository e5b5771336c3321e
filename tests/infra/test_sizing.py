"""Stacks are sized from the bench's measurements: each meets the need of its services.peakRps and
exceeds it at most 2x, or the preview fails naming the key."""

from __future__ import annotations

import dataclasses
import math

import pytest

from components import sizing
from components.errors import ConfigError
from tests.infra.test_config import config_error, set_path, stack_file_config

STACKS = ("dev", "prod", "dr")


def configured_sizes(stack: str) -> sizing.Sizes:
    config = stack_file_config(stack)
    services, cluster = config["ticketing:services"], config["ticketing:cluster"]
    app_nodes = cluster["nodeGroups"]["app"]
    return sizing.Sizes(
        peak_rps=services["peakRps"],
        pod_vcpu=sizing.kubernetes_cpu(services["resources"]["requests"]["cpu"]),
        target_cpu=services["autoscaling"].get("targetCpuPercent", 60),
        max_replicas=services["autoscaling"]["maxReplicas"],
        app_instance_type=app_nodes["instanceTypes"][0],
        app_nodes_max=app_nodes["maxSize"],
        cache_node_type=config["ticketing:cache"]["nodeType"],
        cache_shards=config["ticketing:cache"].get("shards", 1),
        database_instance_class=config["ticketing:database"]["instanceClass"],
    )


@pytest.mark.parametrize("stack", STACKS)
def test_each_stack_meets_its_need_and_at_most_doubles_it(stack):
    sizes = configured_sizes(stack)
    need = sizing.check(sizes)
    for configured, needed in (
        (sizes.max_replicas, need.pods),
        (sizes.app_nodes_max, need.app_nodes),
        (sizes.cache_shards, need.cache_shards),
    ):
        assert needed <= configured <= 2 * needed
    assert sizes.cache_node_type == need.cache_node_type
    assert sizes.database_instance_class == need.database_instance_class


def test_pods_carry_the_peak_at_the_hpa_target_with_the_stated_margin():
    measured = sizing.Measured.load()
    need = sizing.check(configured_sizes("prod"))
    per_pod_at_target = measured.rps_per_vcpu * 1.0 * 55 / 100
    assert need.pods * per_pod_at_target >= need.peak_rps
    assert (need.pods - 1) * per_pod_at_target < need.peak_rps
    assert "55% CPU" in need.headroom["pods"]


def test_a_faster_measurement_needs_fewer_pods_and_a_slower_one_more():
    measured = sizing.Measured.load()
    prod = configured_sizes("prod")
    base = sizing.need_for(50_000, 1.0, 55, prod.app_instance_type, measured)
    faster = dataclasses.replace(measured, rps_per_vcpu=measured.rps_per_vcpu * 2)
    slower = dataclasses.replace(measured, rps_per_vcpu=measured.rps_per_vcpu / 2)
    assert sizing.need_for(50_000, 1.0, 55, prod.app_instance_type, faster).pods < base.pods
    assert sizing.need_for(50_000, 1.0, 55, prod.app_instance_type, slower).pods > base.pods


def test_nodes_hold_the_peak_pods_beside_the_node_agents():
    need = sizing.check(configured_sizes("prod"))
    vcpus = sizing.INSTANCE_VCPUS[need.app_instance_type]
    assert need.app_nodes * (vcpus - sizing.NODE_RESERVED_VCPU) >= need.pods * 1.0


def test_the_database_class_follows_the_measured_booking_cost():
    measured = sizing.Measured.load()
    heavier = dataclasses.replace(
        measured, postgres_cpu_us_per_booking=measured.postgres_cpu_us_per_booking * 4
    )
    classes = list(sizing.DATABASE_CLASS_VCPUS)
    light = sizing.database_instance_class(50_000, measured)
    heavy = sizing.database_instance_class(50_000, heavier)
    assert classes.index(heavy) > classes.index(light)


def test_burstable_types_only_for_a_peak_within_their_baseline():
    measured = sizing.Measured.load()
    assert sizing.cache_node_type(500, measured) == "cache.t4g.small"
    assert sizing.cache_node_type(50_000, measured) not in sizing.BURSTABLE_CACHE_NODE_MEMORY_GIB
    assert sizing.database_instance_class(50_000, measured) not in (
        sizing.BURSTABLE_DATABASE_CLASSES
    )


@pytest.mark.parametrize(
    ("key", "path", "value"),
    [
        ("services.autoscaling.maxReplicas", "ticketing:services.autoscaling.maxReplicas", None),
        ("cluster.nodeGroups.app.maxSize", "ticketing:cluster.nodeGroups.app.maxSize", None),
    ],
)
@pytest.mark.parametrize("direction", ["under", "over"])
def test_an_under_or_over_provisioned_stack_fails_naming_the_key(key, path, value, direction):
    # dev: prod's need doubled would pass the key's own limit (100 nodes) first
    need = sizing.check(configured_sizes("dev"))
    needed = need.pods if "Replicas" in key else need.app_nodes
    wrong = needed - 1 if direction == "under" else math.floor(2 * needed) + 1
    error = config_error(set_path(path, wrong), stack="dev")
    assert (error.key, error.value) == (key, wrong)
    assert f"from {needed} to {2 * needed}" in str(error)


def test_a_lower_peak_makes_the_sizes_over_provisioned():
    # dr: prod's scheduled opening would exceed the lower peak first
    error = config_error(set_path("ticketing:services.peakRps", 10_000), stack="dr")
    assert error.key == "services.autoscaling.maxReplicas"


@pytest.mark.parametrize(
    ("path", "value", "key"),
    [
        ("ticketing:cache.nodeType", "cache.r7g.xlarge", "cache.nodeType"),
        ("ticketing:cache.shards", 3, "cache.shards"),
        ("ticketing:database.instanceClass", "db.r7g.2xlarge", "database.instanceClass"),
    ],
)
def test_bigger_backing_services_than_the_peak_needs_fail(path, value, key):
    error = config_error(set_path(path, value), stack="prod")
    assert (error.key, error.value) == (key, value)


def test_an_instance_type_without_known_vcpus_is_refused_by_name():
    sizes = dataclasses.replace(configured_sizes("prod"), app_instance_type="x9z.huge")
    with pytest.raises(ConfigError) as raised:
        sizing.check(sizes)
    assert raised.value.key == "cluster.nodeGroups.app.instanceTypes"


def test_peak_rps_is_required():
    def drop(config):
        del config["ticketing:services"]["peakRps"]

    assert config_error(drop, stack="prod").key == "services.peakRps"
