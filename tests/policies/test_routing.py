from pathlib import Path

import pytest
from pulumi.output import Unknown
from pulumi_policy import PolicyResource

from policies.gate.analyze import PackAnalyzer
from policies.program_runner import run_program
from policies.rules import routing
from policies.rules.values import UNKNOWN
from tests.policies.harness import (
    _options,
    run_stack_rule,
    stack_resource,
    stack_violations,
    urn_of,
)

RECORD = "aws:route53/record:Record"
HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"


def weighted(resource_name: str, set_identifier: str, weight=50, **props) -> PolicyResource:
    base = {
        "zoneId": "ZTICKETS",
        "name": "api.tickets.example.com",
        "type": "CNAME",
        "ttl": 60,
        "setIdentifier": set_identifier,
        "healthCheckId": f"hc-{set_identifier}",
        "records": [f"{set_identifier}.elb.amazonaws.com"],
        "weightedRoutingPolicies": [{"weight": weight}],
    }
    return stack_resource(RECORD, resource_name, {**base, **props})


def names(found) -> list[str]:
    return sorted(name for name, _ in found)


HEALTHY_PAIR = [
    weighted("api-seoul", "ap-northeast-2", 100),
    weighted("api-tokyo", "ap-northeast-1", 0),
]


def test_compliant_pair_passes_every_rule():
    for rule in routing.POLICIES:
        assert stack_violations(rule, HEALTHY_PAIR) == [], rule.name


def test_weighted_record_without_health_check_is_caught():
    found = stack_violations(
        routing.WEIGHTED_HEALTH_CHECK,
        [weighted("api-seoul", "ap-northeast-2", healthCheckId=None), HEALTHY_PAIR[1]],
    )
    assert found == [
        (
            "api-seoul",
            (
                "weighted record 'api.tickets.example.com' (CNAME, set 'ap-northeast-2') has no"
                " healthCheckId, so Route53 keeps sending traffic to a failed region"
            ),
        )
    ]


def test_disabled_health_check_is_caught_and_unknown_id_is_not():
    disabled = stack_resource(
        HEALTH_CHECK, "seoul-health", {"fqdn": "seoul.example.com", "disabled": True}
    )
    record = weighted("api-seoul", "ap-northeast-2", healthCheckId="seoul-health-id")
    [(_, message)] = stack_violations(routing.WEIGHTED_HEALTH_CHECK, [disabled, record])
    assert "'seoul-health', which is disabled" in message
    assert (
        stack_violations(
            routing.WEIGHTED_HEALTH_CHECK,
            [disabled, weighted("api-seoul", "ap-northeast-2", healthCheckId=Unknown())],
        )
        == []
    )


def test_non_weighted_records_are_not_judged():
    simple = stack_resource(
        RECORD,
        "www",
        {"zoneId": "Z", "name": "www", "type": "A", "ttl": 3600, "records": ["1.2.3.4"]},
    )
    for rule in routing.POLICIES:
        assert stack_violations(rule, [simple]) == []


def test_ttl_above_sixty_seconds_is_caught():
    found = stack_violations(
        routing.WEIGHTED_TTL,
        [weighted("api-seoul", "ap-northeast-2", 100, ttl=300), HEALTHY_PAIR[1]],
    )
    assert names(found) == ["api-seoul"] and "has ttl 300" in found[0][1]
    assert (
        stack_violations(routing.WEIGHTED_TTL, [weighted("api-seoul", "ap-northeast-2", ttl="30")])
        == []
    )


def test_ttl_and_weights_as_floats_are_judged_like_ints():
    """The real CLI delivers every number as a float (ttl 300.0, weight 0.0)."""
    found = stack_violations(
        routing.WEIGHTED_TTL, [weighted("api-seoul", "ap-northeast-2", 100.0, ttl=300.0)]
    )
    assert names(found) == ["api-seoul"] and "has ttl 300;" in found[0][1]
    assert (
        stack_violations(
            routing.WEIGHTED_TTL, [weighted("api-seoul", "ap-northeast-2", 100.0, ttl=60.0)]
        )
        == []
    )
    drained = [
        weighted("api-seoul", "ap-northeast-2", 0.0),
        weighted("api-tokyo", "ap-northeast-1", 0.0),
    ]
    assert names(stack_violations(routing.WEIGHTED_GROUP_TRAFFIC, drained)) == [
        "api-seoul",
        "api-tokyo",
    ]
    assert (
        stack_violations(
            routing.WEIGHTED_GROUP_TRAFFIC,
            [weighted("api-seoul", "ap-northeast-2", 100.0), drained[1]],
        )
        == []
    )


def test_group_with_all_zero_weights_is_caught():
    drained = [
        weighted("api-seoul", "ap-northeast-2", 0),
        weighted("api-tokyo", "ap-northeast-1", 0),
    ]
    found = stack_violations(routing.WEIGHTED_GROUP_TRAFFIC, drained)
    assert names(found) == ["api-seoul", "api-tokyo"]
    assert "every weight of weighted group 'api.tickets.example.com' (CNAME) is 0" in found[0][1]


def test_groups_are_keyed_by_zone_name_and_type():
    other_name = weighted("www-tokyo", "ap-northeast-1", 0, name="WWW.tickets.example.com.")
    other_type = weighted("api-tokyo-aaaa", "ap-northeast-1", 0, type="AAAA")
    assert names(
        stack_violations(routing.WEIGHTED_GROUP_TRAFFIC, [HEALTHY_PAIR[0], other_name, other_type])
    ) == ["api-tokyo-aaaa", "www-tokyo"]
    same_name_other_case = weighted(
        "api-tokyo", "ap-northeast-1", 0, name="API.tickets.example.com."
    )
    assert (
        stack_violations(routing.WEIGHTED_GROUP_TRAFFIC, [HEALTHY_PAIR[0], same_name_other_case])
        == []
    )


def test_unknown_weight_or_zone_is_not_a_violation():
    assert (
        stack_violations(
            routing.WEIGHTED_GROUP_TRAFFIC, [weighted("a", "x", 0), weighted("b", "y", Unknown())]
        )
        == []
    )
    assert (
        stack_violations(routing.WEIGHTED_GROUP_TRAFFIC, [weighted("a", "x", 0, zoneId=UNKNOWN)])
        == []
    )


def test_zone_known_only_through_property_dependencies_still_groups():
    zone = stack_resource("aws:route53/zone:Zone", "tickets", {"name": "tickets.example.com"})

    def in_new_zone(name: str, set_identifier: str) -> PolicyResource:
        props = {**weighted(name, set_identifier, 0).props, "zoneId": UNKNOWN}
        return PolicyResource(
            RECORD,
            props,
            urn_of(RECORD, name),
            name,
            _options(),
            None,
            None,
            [zone],
            {"zoneId": [zone]},
        )

    assert names(
        stack_violations(
            routing.WEIGHTED_GROUP_TRAFFIC, [zone, in_new_zone("a", "x"), in_new_zone("b", "y")]
        )
    ) == ["a", "b"]


def test_duplicate_set_identifier_in_a_group_is_caught():
    duplicate = [
        weighted("api-seoul", "primary", 100),
        weighted("api-tokyo", "primary", 0),
        weighted("api-osaka", "osaka", 0),
    ]
    found = stack_violations(routing.WEIGHTED_GROUP_UNIQUE_IDS, duplicate)
    assert names(found) == ["api-seoul", "api-tokyo"]
    assert "setIdentifier 'primary' is used by ['api-seoul', 'api-tokyo']" in found[0][1]
    other_zone = weighted("api-tokyo", "primary", 0, zoneId="ZOTHER")
    assert stack_violations(routing.WEIGHTED_GROUP_UNIQUE_IDS, [duplicate[0], other_zone]) == []


def test_singular_weighted_routing_policy_block_is_read():
    record = stack_resource(
        RECORD,
        "legacy",
        {
            "zoneId": "Z",
            "name": "api",
            "type": "A",
            "ttl": 120,
            "weightedRoutingPolicy": {"weight": 0},
        },
    )
    assert names(stack_violations(routing.WEIGHTED_TTL, [record])) == ["legacy"]
    assert names(stack_violations(routing.WEIGHTED_GROUP_TRAFFIC, [record])) == ["legacy"]


@pytest.mark.parametrize(
    "props",
    [
        None,
        {},
        {"weightedRoutingPolicies": UNKNOWN},
        {"weightedRoutingPolicies": [None, "x", {"weight": "ten"}], "ttl": {"odd": 1}},
        {
            "weightedRoutingPolicies": [{"weight": 0}],
            "zoneId": 5,
            "name": None,
            "setIdentifier": Unknown(),
            "healthCheckId": 7,
        },
        {"weightedRoutingPolicy": [{"weight": Unknown()}], "ttl": UNKNOWN, "healthCheckId": ""},
    ],
)
def test_malformed_records_never_raise(props):
    odd = [
        stack_resource(RECORD, "odd", props),
        stack_resource(RECORD, "odd-2", props),
        stack_resource(HEALTH_CHECK, "hc", {"disabled": UNKNOWN}),
    ]
    for rule in routing.POLICIES:
        assert all(isinstance(message, str) for _, message in run_stack_rule(rule, odd))


def test_program_run_through_the_analyzer():
    """Numbers cross the wire as doubles (ttl 300.0, weight 0.0) and zone ids come from the zone:
    still one group per name.
    """
    run = run_program(Path(__file__).parent / "programs" / "weighted_routing", "test")
    analysis = PackAnalyzer(routing.POLICIES, {}).analyze(run.resources)
    assert analysis.undecided == []
    assert {(violation.policy, violation.resource_name) for violation in analysis.violations} == {
        ("aws-route53-weighted-record-health-check", "admin-tokyo"),
        ("aws-route53-weighted-record-low-ttl", "admin-seoul"),
        ("aws-route53-weighted-group-not-all-zero", "admin-seoul"),
        ("aws-route53-weighted-group-not-all-zero", "admin-tokyo"),
        ("aws-route53-weighted-group-unique-set-identifier", "admin-seoul"),
        ("aws-route53-weighted-group-unique-set-identifier", "admin-tokyo"),
    }
    [ttl_message] = [
        violation.message
        for violation in analysis.violations
        if violation.policy == "aws-route53-weighted-record-low-ttl"
    ]
    assert "has ttl 300;" in ttl_message
