"""The offline plan `make preview` prints before the policy report: resources under their
component with their key settings, then the outputs (secrets masked) and routing weights."""

from pathlib import Path

import pytest

from policies.gate.__main__ import main
from policies.gate.plan import plan, routing_weights, stack_outputs
from policies.program_runner import run_program

PROGRAM = """
import pulumi
import pulumi_aws as aws


class Cache(pulumi.ComponentResource):
    def __init__(self, name, opts=None):
        super().__init__("planned:cache:Cache", name, None, opts)
        self.group = aws.elasticache.ReplicationGroup(
            name, description="sessions", node_type="cache.r7g.large", num_cache_clusters=2,
            at_rest_encryption_enabled=True, transit_encryption_enabled=True,
            auth_token=pulumi.Output.secret("redis-token-value"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({})


Cache("sessions")
aws.sqs.Queue(
    "jobs", sqs_managed_sse_enabled=True, visibility_timeout_seconds=30, tags={"Team": "x"}
)
pulumi.export("routing", {"phase": "failover", "weights": {"prod": 0, "dr": 100}})
pulumi.export("signingKey", pulumi.Output.secret("signing-key-value"))
pulumi.export("queueName", "jobs")
"""


@pytest.fixture(scope="module")
def program(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("planned")
    (directory / "Pulumi.yaml").write_text("name: planned\nruntime: python\n")
    (directory / "Pulumi.test.yaml").write_text("config:\n  aws:region: ap-northeast-2\n")
    (directory / "__main__.py").write_text(PROGRAM)
    return directory


def test_resources_are_grouped_under_their_component_with_key_settings(program):
    groups = plan(run_program(program, "test"))
    component_group = next(
        group
        for group in groups
        if group.component and group.component.resource.type == "planned:cache:Cache"
    )
    [cache] = component_group.resources
    assert cache.resource.type == "aws:elasticache/replicationGroup:ReplicationGroup"
    settings = dict(cache.settings)
    assert settings["nodeType"] == "cache.r7g.large"
    assert settings["numCacheClusters"] == "2"
    assert settings["transitEncryptionEnabled"] == "true"
    loose = next(group for group in groups if group.component is None)
    assert [planned.resource.name for planned in loose.resources] == ["jobs"]


def test_unknown_types_fall_back_to_security_and_size_settings(program):
    groups = plan(run_program(program, "test"))
    queue = next(
        planned
        for group in groups
        for planned in group.resources
        if planned.resource.name == "jobs"
    )
    settings = dict(queue.settings)
    assert settings.get("sqsManagedSseEnabled") == "true"
    assert "tags" not in settings


def test_outputs_mask_secrets_and_expose_the_weight_table(program):
    outputs = stack_outputs(run_program(program, "test"))
    assert outputs["signingKey"] == "[secret]"
    assert outputs["queueName"] == "jobs"
    assert routing_weights(outputs) == {"prod": 0, "dr": 100}
    assert routing_weights({"routing": "not a table"}) is None
    assert routing_weights({}) is None


def test_text_mode_prints_the_plan_before_the_report(program, capsys):
    main(["--program", str(program), "--stack", "test"])
    out = capsys.readouterr().out
    assert (
        out.index("planned:cache:Cache sessions")
        < out.index("aws:elasticache/replicationGroup:ReplicationGroup sessions")
        < out.index("Policy report:")
    )
    assert "signingKey = [secret]" in out
    assert "redis-token-value" not in out and "signing-key-value" not in out
    weights = out[out.index("Effective routing weights") :]
    assert "dr" in weights and "100%" in weights
