"""The weight table each routing config gives, every invalid config's error, and safe change
order.
"""

from __future__ import annotations

import itertools

import pytest

from components.errors import ConfigError
from components.routing import RoutingConfig
from components.routing_weights import (
    WeightSelection,
    check_endpoints,
    goals_for,
    is_safe_change,
    safe_path,
)

PLACE = {"zone": "example.com", "recordName": "tickets.example.com"}


def config(**routing: object) -> RoutingConfig:
    return RoutingConfig.from_config({**PLACE, **routing})


@pytest.mark.parametrize(
    ("routing", "expected"),
    [
        ({"phase": "normal"}, {"prod": 100, "dr": 0}),
        ({"phase": "failover"}, {"prod": 0, "dr": 100}),
        ({"phase": "failback"}, {"prod": 10, "dr": 90}),
        ({"phase": "failback", "failbackStep": 0}, {"prod": 10, "dr": 90}),
        ({"phase": "failback", "failbackStep": 1}, {"prod": 50, "dr": 50}),
        ({"phase": "failback", "failbackStep": 2}, {"prod": 100, "dr": 0}),
        (
            {"phase": "failback", "failbackSteps": [25, 75], "failbackStep": 1},
            {"prod": 75, "dr": 25},
        ),
        ({"phase": "normal", "failbackStep": 1}, {"prod": 100, "dr": 0}),
    ],
)
def test_each_phase_gives_its_weight_table(routing: dict, expected: dict) -> None:
    assert config(**routing).effective_weights() == expected


@pytest.mark.parametrize(
    ("routing", "expected"),
    [
        ({"phase": "normal", "weights": {"dr": 100}}, {"prod": 100, "dr": 100}),
        ({"phase": "failover", "weights": {"prod": 255, "dr": 1}}, {"prod": 255, "dr": 1}),
        ({"phase": "failback", "failbackStep": 1, "weights": {"prod": 0}}, {"prod": 0, "dr": 50}),
    ],
)
def test_weights_override_the_phase_per_target(routing: dict, expected: dict) -> None:
    assert config(**routing).effective_weights() == expected


@pytest.mark.parametrize(
    ("routing", "key", "allowed"),
    [
        ({"phase": "drain"}, "routing.phase", "one of normal, failover, failback"),
        ({}, "routing.phase", "one of normal, failover, failback"),
        (
            {"phase": "normal", "weights": {"prod": 100.0}},
            "routing.weights.prod",
            "an integer 0-255",
        ),
        (
            {"phase": "normal", "weights": {"prod": "100"}},
            "routing.weights.prod",
            "an integer 0-255",
        ),
        (
            {"phase": "normal", "weights": {"prod": True}},
            "routing.weights.prod",
            "an integer 0-255",
        ),
        ({"phase": "normal", "weights": {"prod": 256}}, "routing.weights.prod", "an integer 0-255"),
        ({"phase": "normal", "weights": {"dr": -1}}, "routing.weights.dr", "an integer 0-255"),
        (
            {"phase": "normal", "weights": {"prod": 0, "dr": 0}},
            "routing.weights",
            "at least one weight above 0",
        ),
        (
            {"phase": "failover", "weights": {"dr": 0}},
            "routing.weights",
            "at least one weight above 0",
        ),
        (
            {"phase": "normal", "weights": {"staging": 10}},
            "routing.weights.staging",
            "a known target: prod, dr",
        ),
        ({"phase": "normal", "weights": {}}, "routing.weights", "a non-empty map"),
        ({"phase": "normal", "weights": [100, 0]}, "routing.weights", "a non-empty map"),
        ({"phase": "failback", "failbackStep": 3}, "routing.failbackStep", "an integer index 0-2"),
        ({"phase": "failback", "failbackStep": -1}, "routing.failbackStep", "an integer index 0-2"),
        (
            {"phase": "failback", "failbackSteps": [50, 10]},
            "routing.failbackSteps",
            "increasing integer percentages",
        ),
        (
            {"phase": "failback", "failbackSteps": [0, 100]},
            "routing.failbackSteps",
            "increasing integer percentages",
        ),
        (
            {"phase": "failback", "failbackSteps": [10, 150]},
            "routing.failbackSteps",
            "increasing integer percentages",
        ),
        (
            {"phase": "failback", "failbackSteps": []},
            "routing.failbackSteps",
            "increasing integer percentages",
        ),
        ({"phase": "normal", "wieghts": {"dr": 1}}, "routing.wieghts", "did you mean 'weights'?"),
        ({"phse": "failover"}, "routing.phse", "did you mean 'phase'?"),
        (
            {"phase": "failback", "failbackstep": 1},
            "routing.failbackstep",
            "did you mean 'failbackStep'?",
        ),
        ({"phase": "normal", "recoveryControl": "yes"}, "routing.recoveryControl", "true or false"),
    ],
)
def test_invalid_config_names_key_and_what_is_allowed(
    routing: dict, key: str, allowed: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        config(**routing)
    assert raised.value.key == key
    assert allowed in raised.value.allowed
    assert repr(key) in str(raised.value)


@pytest.mark.parametrize(
    ("place", "key"),
    [
        ({"zone": "example.com", "recordName": "tickets.example.org"}, "routing.recordName"),
        ({"zone": "example.com", "recordName": "bad_name.example.com"}, "routing.recordName"),
        ({"zone": "", "recordName": "tickets.example.com"}, "routing.zone"),
        ({"recordName": "tickets.example.com"}, "routing.zone"),
        ({"zone": "example.com"}, "routing.recordName"),
    ],
)
def test_record_must_be_a_name_inside_the_zone(place: dict, key: str) -> None:
    with pytest.raises(ConfigError) as raised:
        RoutingConfig.from_config({"phase": "normal", **place})
    assert raised.value.key == key


def test_missing_routing_object_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as raised:
        RoutingConfig.from_config(None)
    assert raised.value.key == "routing"


def test_names_are_normalised() -> None:
    parsed = RoutingConfig.from_config(
        {"phase": "normal", "zone": "Example.com.", "recordName": "Tickets.Example.com."}
    )
    assert (parsed.zone, parsed.record_name) == ("example.com", "tickets.example.com")


def test_target_with_weight_but_no_endpoint_is_refused() -> None:
    with pytest.raises(ConfigError) as raised:
        check_endpoints({"prod": 100, "dr": 0}, ["dr"], "routing")
    assert "without an endpoint" in raised.value.allowed
    assert raised.value.value == {"prod": 100}


def test_target_without_endpoint_may_have_weight_zero() -> None:
    check_endpoints({"prod": 0, "dr": 100}, ["dr"], "routing")


def test_unknown_endpoint_target_is_refused() -> None:
    with pytest.raises(ConfigError) as raised:
        check_endpoints({"prod": 100, "dr": 0}, ["prod", "dr", "staging"], "routing")
    assert raised.value.value == ["staging"]


def test_direct_swap_is_unsafe_and_a_partial_one_is_safe() -> None:
    assert not is_safe_change({"prod": 100, "dr": 0}, {"prod": 0, "dr": 100})
    assert is_safe_change({"prod": 0, "dr": 100}, {"prod": 10, "dr": 90})


def selection(**routing: object) -> WeightSelection:
    return WeightSelection.from_config(routing)


def weights_along(path: list[WeightSelection]) -> list[dict[str, int]]:
    return [step.effective_weights() for step in path]


def test_failover_raises_dr_before_lowering_prod() -> None:
    path = safe_path(selection(phase="normal"), goals_for(selection(phase="normal"), "failover"))
    assert weights_along(path) == [{"prod": 100, "dr": 100}, {"prod": 0, "dr": 100}]
    assert path[0].phase == "normal" and path[0].overrides == {"dr": 100}
    assert path[1].phase == "failover" and path[1].overrides is None


def test_failback_walks_every_step_then_returns_to_normal() -> None:
    current = selection(phase="failover")
    path = safe_path(current, goals_for(current, "failback"))
    assert weights_along(path) == [
        {"prod": 10, "dr": 90},
        {"prod": 50, "dr": 50},
        {"prod": 100, "dr": 0},
    ]
    assert [(step.phase, step.failback_step) for step in path] == [
        ("failback", 0),
        ("failback", 1),
        ("normal", None),
    ]


def test_failback_continues_from_the_current_step() -> None:
    current = selection(phase="failback", failbackStep=1)
    path = safe_path(current, goals_for(current, "failback"))
    assert [(step.phase, step.failback_step) for step in path] == [("normal", None)]


def test_failback_after_an_override_redoes_the_current_step() -> None:
    current = selection(phase="failback", failbackStep=0, weights={"prod": 30})
    path = safe_path(current, goals_for(current, "failback"))
    assert [(step.phase, step.failback_step) for step in path] == [
        ("failback", 0),
        ("failback", 1),
        ("normal", None),
    ]


def test_single_full_failback_step_gets_a_raise_first_step() -> None:
    current = selection(phase="failover", failbackSteps=[100])
    path = safe_path(current, goals_for(current, "failback"))
    assert weights_along(path)[0] == {"prod": 100, "dr": 100}


def test_failback_from_normal_is_refused() -> None:
    with pytest.raises(ValueError, match="nothing to fail back"):
        goals_for(selection(phase="normal"), "failback")


def test_reaching_the_current_state_needs_no_step() -> None:
    assert (
        safe_path(selection(phase="failover"), goals_for(selection(phase="failover"), "failover"))
        == []
    )


def test_an_override_is_cleared_on_the_way() -> None:
    current = selection(phase="normal", weights={"dr": 100})
    path = safe_path(current, goals_for(current, "normal"))
    assert weights_along(path) == [{"prod": 100, "dr": 0}] and path[0].overrides is None


STATES = [
    selection(phase="normal"),
    selection(phase="failover"),
    selection(phase="failback", failbackStep=1),
    selection(phase="normal", weights={"prod": 0, "dr": 3}),
    selection(phase="failover", weights={"prod": 7, "dr": 0}),
    selection(phase="failover", failbackSteps=[100]),
]


@pytest.mark.parametrize(
    ("start", "destination"), list(itertools.product(STATES, ["failover", "failback", "normal"]))
)
def test_no_path_can_pass_through_all_zero(start: WeightSelection, destination: str) -> None:
    try:
        goals = goals_for(start, destination)
    except ValueError:
        assert destination == "failback" and start.phase == "normal"
        return
    path = safe_path(start, goals)
    tables = [start.effective_weights(), *weights_along(path)]
    assert tables[-1] == goals[-1].effective_weights()
    for before, after in itertools.pairwise(tables):
        assert is_safe_change(before, after), (before, after)
