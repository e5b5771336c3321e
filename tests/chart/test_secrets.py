"""Secrets reach the pod only by reference to existingSecret; the chart never holds a secret value."""

from __future__ import annotations

from tests.chart.chart_render import app_container, kinds, render, render_error
from tests.chart.scenarios import EXISTING_SECRET, PULUMI_SERVICES_VALUES, SCENARIOS, SECRET_ENV_NAMES, with_override


def test_each_secret_variable_is_a_key_reference_into_existing_secret() -> None:
    env = {variable["name"]: variable for variable in app_container(render(PULUMI_SERVICES_VALUES))["env"]}
    for name in SECRET_ENV_NAMES:
        assert env[name] == {"name": name, "valueFrom": {"secretKeyRef": {"name": EXISTING_SECRET, "key": name}}}


def test_no_scenario_renders_a_secret_or_a_literal_secret_value() -> None:
    for values in SCENARIOS.values():
        manifests = render(values)
        assert "Secret" not in kinds(manifests)
        container = app_container(manifests)
        assert "envFrom" not in container
        literal_names = {variable["name"] for variable in container["env"] if "value" in variable}
        assert literal_names.isdisjoint(SECRET_ENV_NAMES)


def test_extra_env_is_plain_values() -> None:
    env = app_container(render(PULUMI_SERVICES_VALUES))["env"]
    plain = {variable["name"]: variable["value"] for variable in env if "value" in variable}
    assert plain == PULUMI_SERVICES_VALUES["env"]


def test_a_secret_variable_cannot_be_passed_as_plain_env() -> None:
    values = with_override(PULUMI_SERVICES_VALUES, "env", {"TICKETING_SECRET": "s3cr3t-in-plain-sight"})
    assert "/env" in render_error(values)
