"""Config validation (components/config.py) and the chart (values.schema.json, its templates'
`fail`) agree on every rule they share: a services config the preview accepts is one the chart
renders, and what the chart refuses the config refuses first, naming the key."""

from __future__ import annotations

import copy
from typing import Any

import helm_python as helm
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from components.config import ContainerResources, Section, ServicesConfig, _cluster, _services
from components.errors import ConfigError
from components.services import chart_values
from policies.gate.kube_version import satisfies
from tests.chart.chart_render import CHART_DIR, render
from tests.chart.scenarios import CERTIFICATE_ARN, ROLE_ARN, TARGET_GROUP_ARN, WAF_ACL_ARN
from tests.infra.conftest import REPO_ROOT

DEV_CONFIG = yaml.safe_load((REPO_ROOT / "Pulumi.dev.yaml").read_text())["config"]
DEV_SERVICES = DEV_CONFIG["ticketing:services"]


def unchecked(raw: dict[str, Any]) -> ServicesConfig:
    """The services config as written, without the config's checks: what the chart would get."""
    return ServicesConfig(
        namespace="ticketing",
        image_repository=raw["image"]["repository"],
        image_tag=raw["image"]["tag"],
        replicas=raw["replicas"],
        min_replicas=raw["autoscaling"]["minReplicas"],
        max_replicas=raw["autoscaling"]["maxReplicas"],
        target_cpu_percent=raw["autoscaling"].get("targetCpuPercent", 60),
        pdb_min_available=raw["podDisruptionMinAvailable"],
        resources=ContainerResources(
            raw["resources"]["requests"]["cpu"],
            raw["resources"]["requests"]["memory"],
            raw["resources"]["limits"]["cpu"],
            raw["resources"]["limits"]["memory"],
        ),
        env=raw["env"],
        peak_rps=raw["peakRps"],
    )


def config_accepts(raw: dict[str, Any]) -> bool:
    try:
        _services(Section(copy.deepcopy(raw), "services"))
    except ConfigError:
        return False
    return True


def chart_accepts(raw: dict[str, Any]) -> bool:
    values = chart_values(
        unchecked(raw),
        {},
        ROLE_ARN,
        TARGET_GROUP_ARN,
        "tickets.example.com",
        CERTIFICATE_ARN,
        WAF_ACL_ARN,
        "10.20.0.0/16",
    )
    try:
        render(values)
    except helm.HelmError:
        return False
    return True


def services(**changes: Any) -> dict[str, Any]:
    """Dev's services config with changes by path, `__` between keys: `image__tag="x"`."""
    raw = copy.deepcopy(DEV_SERVICES)
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        target = raw
        for part in parents:
            target = target[part]
        target[leaf] = value
    return raw


@pytest.mark.parametrize(
    ("raw", "accepted"),
    [
        (services(), True),
        (services(autoscaling__minReplicas=1, replicas=1, podDisruptionMinAvailable=1), False),
        (services(autoscaling__minReplicas=3, podDisruptionMinAvailable=3), False),
        (services(autoscaling__minReplicas=3, podDisruptionMinAvailable=2), True),
        (services(env__TICKETING_SECRET="plain"), False),
        (services(env__TICKETING_TLS_CERT_FILE="/tmp/cert.pem"), False),
        (services(env__TICKETING_TLS_KEY_FILE="/tmp/key.pem"), False),
        (services(image__tag="latest"), False),
        (services(image__tag="0.1.0\n"), False),
        (services(image__tag="v\u0663"), False),  # an Arabic-Indic digit: Python's \w, not ASCII
        (services(resources__requests__cpu="\u0663"), False),
        (services(resources__requests__cpu="1.5"), True),
        (
            services(image__repository="123456789012.dkr.ecr.ap-northeast-2.amazonaws.com//app"),
            False,
        ),
    ],
)
def test_config_and_chart_give_the_same_verdict(raw, accepted):
    assert (config_accepts(raw), chart_accepts(raw)) == (accepted, accepted)


@settings(max_examples=30, deadline=None)
@given(min_replicas=st.integers(1, 6), budget=st.integers(1, 7))
def test_the_disruption_budget_rule_is_the_same_on_both_sides(min_replicas, budget):
    raw = services(
        autoscaling__minReplicas=min_replicas,
        autoscaling__maxReplicas=max(min_replicas, 3),
        replicas=min_replicas,
        podDisruptionMinAvailable=budget,
    )
    assert config_accepts(raw) == chart_accepts(raw) == (budget < min_replicas)


def config_accepts_cluster_version(version: str) -> bool:
    raw = {**copy.deepcopy(DEV_CONFIG["ticketing:cluster"]), "version": version}
    try:
        _cluster(Section(raw, "cluster"))
    except ConfigError:
        return False
    return True


@pytest.mark.parametrize("minor", range(25, 40))
def test_the_cluster_version_rule_is_the_charts_kube_version(minor):
    """Helm installs the chart only on a cluster its kubeVersion (Chart.yaml) admits."""
    with helm.Chart.load(CHART_DIR) as chart:
        constraint = chart.metadata["kubeVersion"]
    version = f"1.{minor}"
    assert config_accepts_cluster_version(version) == satisfies(f"{version}.0", constraint)
