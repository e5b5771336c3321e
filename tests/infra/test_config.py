"""Bad stack config fails the preview with a ConfigError naming the key, the value and what is
allowed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml

from components.config import Section
from components.errors import ConfigError, unknown_key_error
from policies.program_runner import ProgramError, run_program
from tests.infra.conftest import REPO_ROOT
from tests.infra.recorded import one


def stack_file_config(stack: str) -> dict[str, Any]:
    return yaml.safe_load((REPO_ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]


def config_error(change: Callable[[dict[str, Any]], None], stack: str = "dev") -> ConfigError:
    """The ConfigError the stack raises once `change` is applied to its stack file's config."""
    config = stack_file_config(stack)
    change(config)
    with pytest.raises(ProgramError) as raised:
        run_program(REPO_ROOT, stack, config=config)
    cause = raised.value.__cause__
    assert isinstance(cause, ConfigError), f"expected a ConfigError, got {raised.value}"
    assert str(cause) in str(raised.value)
    return cause


def set_path(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(config: dict[str, Any]) -> None:
        *parents, leaf = path.split(".")
        target = config
        for part in parents:
            target = target[part]
        target[leaf] = value

    return change


def delete_path(path: str) -> Callable[[dict[str, Any]], None]:
    def change(config: dict[str, Any]) -> None:
        *parents, leaf = path.split(".")
        target = config
        for part in parents:
            target = target[part]
        del target[leaf]

    return change


def test_wrong_type_names_key_value_and_expected_type():
    error = config_error(set_path("ticketing:network.availabilityZones", "three"))
    assert (error.key, error.value) == ("network.availabilityZones", "three")
    assert error.allowed == "an integer from 2 to 3"


def test_out_of_range_number():
    error = config_error(set_path("ticketing:cache.snapshotRetentionDays", 90))
    assert (error.key, error.value, error.allowed) == (
        "cache.snapshotRetentionDays",
        90,
        "an integer from 1 to 35",
    )


def test_value_outside_the_allowed_set():
    error = config_error(set_path("ticketing:network.natGateways", "double"))
    assert error.key == "network.natGateways"
    assert "single" in error.allowed and "per-az" in error.allowed


def test_missing_required_key():
    error = config_error(delete_path("ticketing:edge.zoneName"))
    assert error.key == "edge.zoneName" and "required" in error.allowed


def test_missing_required_section():
    error = config_error(delete_path("ticketing:alerting"))
    assert error.key == "alerting"


def test_unknown_top_level_key_suggests_the_closest_known_key():
    def typo(config: dict[str, Any]) -> None:
        config["ticketing:netwrok"] = config.pop("ticketing:network")

    error = config_error(typo)
    assert error.key == "netwrok"
    assert "did you mean 'network'?" in str(error)


def test_unknown_nested_key_with_a_default_suggests_the_closest_key():
    error = config_error(set_path("ticketing:network.availabilityZone", 3))
    assert error.key == "network.availabilityZone"
    assert "did you mean 'availabilityZones'?" in str(error)


def test_misspelt_required_key_is_reported_as_the_typo_not_as_missing():
    def typo(config: dict[str, Any]) -> None:
        app = config["ticketing:cluster"]["nodeGroups"]["app"]
        app["desiredSiz"] = app.pop("desiredSize")

    error = config_error(typo)
    assert error.key == "cluster.nodeGroups.app.desiredSiz"
    assert "did you mean 'desiredSize'?" in str(error)


def test_plain_text_secret_is_refused_without_echoing_it():
    error = config_error(set_path("ticketing:redisAuthToken", "hunter2-plain-token"))
    assert error.key == "redisAuthToken"
    assert "hunter2" not in str(error)
    assert "--secret" in error.allowed


def test_missing_secret():
    error = config_error(delete_path("ticketing:tokenSigningSecret"))
    assert error.key == "tokenSigningSecret" and "secret" in error.allowed


def test_node_group_sizes_must_be_ordered():
    error = config_error(set_path("ticketing:cluster.nodeGroups.app.desiredSize", 9))
    assert error.key == "cluster.nodeGroups.app.desiredSize"
    assert error.allowed == "minSize (1) <= desiredSize <= maxSize (2)"


def test_image_tag_latest_is_refused():
    error = config_error(set_path("ticketing:services.image.tag", "latest"))
    assert error.key == "services.image.tag"


def test_hostnames_must_sit_in_the_zone():
    error = config_error(set_path("ticketing:edge.publicHostname", "tickets.other.com"))
    assert error.key == "edge.publicHostname" and "dev.tickets.example.com" in error.allowed


def test_dev_cannot_join_the_global_database():
    error = config_error(set_path("ticketing:database.globalRole", "secondary"))
    assert (
        error.key == "database.globalRole" and error.allowed == "one of standalone in a dev stack"
    )


def test_dr_settings_only_in_the_dr_stack():
    error = config_error(
        set_path("ticketing:dr", {"mode": "standby", "primaryStack": "organization/ticketing/prod"})
    )
    assert error.key == "dr"


def test_routing_only_in_the_stack_that_reads_the_primary():
    error = config_error(
        set_path(
            "ticketing:routing",
            {"phase": "normal", "zone": "example.com", "recordName": "www.example.com"},
        )
    )
    assert error.key == "routing"


def test_region_is_required():
    error = config_error(delete_path("aws:region"))
    assert error.key == "aws:region"


def test_secure_defaults_apply_when_keys_are_left_out():
    config = stack_file_config("dev")
    for key in ("deletionProtection", "backupRetentionDays"):
        del config["ticketing:database"][key]
    run = run_program(REPO_ROOT, "dev", config=config)
    cluster = one(run, "aws:rds/cluster:Cluster", "ticketing-dev-aurora")
    assert cluster.inputs["deletionProtection"] is True
    assert cluster.inputs["backupRetentionPeriod"] == 7


def test_section_reports_the_full_key_path():
    section = Section({"instances": True}, "database")
    with pytest.raises(ConfigError) as raised:
        section.integer("instances", 1, 15)
    assert (
        str(raised.value)
        == "config key 'database.instances': got True, expected an integer from 1 to 15"
    )


def test_a_non_object_section_is_refused():
    with pytest.raises(ConfigError) as raised:
        Section("10.0.0.0/16", "network")
    assert (raised.value.key, raised.value.allowed) == ("network", "an object")


def test_unknown_key_without_a_close_match_lists_the_known_keys():
    error = unknown_key_error("zzz", "zzz", ["network", "cache"])
    assert error.allowed == "a known key (cache, network)"


def test_kubernetes_version_is_a_minor_version():
    error = config_error(set_path("ticketing:cluster.version", "1.33.2"))
    assert (error.key, error.value) == ("cluster.version", "1.33.2")


def test_standby_node_sizes_must_be_ordered():
    error = config_error(set_path("ticketing:dr.standby.appNodesDesired", 1), stack="dr")
    assert (error.key, error.value, error.allowed) == (
        "dr.standby.appNodesDesired",
        1,
        "at least appNodesMin (2)",
    )


def test_standby_replicas_must_leave_room_to_drain_nodes():
    error = config_error(set_path("ticketing:dr.standby.replicas", 2), stack="dr")
    assert (error.key, error.value) == ("dr.standby.replicas", 2)
    assert "podDisruptionMinAvailable (2)" in error.allowed


def test_env_cannot_replace_a_secret_with_plain_text():
    error = config_error(
        set_path(
            "ticketing:services.env.TICKETING_DATABASE_URL",
            "postgresql://admin:hunter2@db/ticketing",
        )
    )
    assert error.key == "services.env.TICKETING_DATABASE_URL"
    assert "hunter2" not in str(error)


def test_images_come_from_the_stacks_own_region():
    error = config_error(
        set_path(
            "ticketing:services.image.repository",
            "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/ticketing",
        ),
        stack="dr",
    )
    assert (error.key, error.value) == (
        "services.image.repository",
        "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/ticketing",
    )
    assert "ap-northeast-1" in error.allowed


def test_the_routed_name_is_the_one_on_the_certificates():
    error = config_error(
        set_path("ticketing:routing.recordName", "www.tickets.example.com"), stack="dr"
    )
    assert (error.key, error.value) == ("routing.recordName", "www.tickets.example.com")
    assert "edge.publicHostname (tickets.example.com)" in error.allowed


def test_only_an_unrouted_stack_may_record_its_public_name():
    error = config_error(set_path("ticketing:edge.publicRecord", True), stack="prod")
    assert (error.key, error.value) == ("edge.publicRecord", True)
    assert "routing owner" in error.allowed
