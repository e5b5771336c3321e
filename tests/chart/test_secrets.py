"""Secrets reach the pod only by reference to existingSecret; the chart never holds a secret value
from values. The one Secret it makes is the self-signed certificate for the ALB-to-pod hop."""

from __future__ import annotations

from tests.chart.chart_render import app_container, render, render_error
from tests.chart.scenarios import (
    EXISTING_SECRET,
    PULUMI_SERVICES_VALUES,
    SCENARIOS,
    SECRET_ENV_NAMES,
    with_override,
)


def test_each_secret_variable_is_a_key_reference_into_existing_secret() -> None:
    env = {
        variable["name"]: variable
        for variable in app_container(render(PULUMI_SERVICES_VALUES))["env"]
    }
    for name in SECRET_ENV_NAMES:
        assert env[name] == {
            "name": name,
            "valueFrom": {"secretKeyRef": {"name": EXISTING_SECRET, "key": name}},
        }


def test_only_the_generated_tls_certificate_is_rendered_as_a_secret_and_no_literal_secret_value():
    for values in SCENARIOS.values():
        manifests = render(values)
        generates_certificate = values.get("tls", {}).get("enabled") and not values["tls"].get(
            "secretName"
        )
        rendered_secrets = [
            (manifest["type"], sorted(manifest["data"]))
            for manifest in manifests
            if manifest["kind"] == "Secret"
        ]
        assert rendered_secrets == (
            [("kubernetes.io/tls", ["tls.crt", "tls.key"])] if generates_certificate else []
        )
        container = app_container(manifests)
        assert "envFrom" not in container
        literal_names = {variable["name"] for variable in container["env"] if "value" in variable}
        assert literal_names.isdisjoint(SECRET_ENV_NAMES)


def test_extra_env_is_plain_values() -> None:
    env = app_container(render(PULUMI_SERVICES_VALUES))["env"]
    plain = {variable["name"]: variable["value"] for variable in env if "value" in variable}
    assert plain.items() >= PULUMI_SERVICES_VALUES["env"].items()
    assert set(plain) - set(PULUMI_SERVICES_VALUES["env"]) == {
        "TICKETING_TLS_CERT_FILE",
        "TICKETING_TLS_KEY_FILE",
    }, "only the TLS file paths"


def test_a_secret_variable_cannot_be_passed_as_plain_env() -> None:
    values = with_override(
        PULUMI_SERVICES_VALUES, "env", {"TICKETING_SECRET": "s3cr3t-in-plain-sight"}
    )
    assert "/env" in render_error(values)
