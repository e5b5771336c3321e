"""The gate's deployment checks (policies/gate/deployment.py) on the repository's stacks: the chart
rendered with the exact values each release gets, create order, cross-stack agreement."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from policies.gate.__main__ import main
from policies.gate.chart_render import ChartError, render_releases
from policies.gate.cross_stack import cross_stack_problems
from policies.gate.ordering import OrderingError, check_order
from policies.program_runner import ProgramRun
from tests.infra.conftest import REPO_ROOT

RELEASE = "kubernetes:helm.sh/v3:Release"
NAMESPACE = "kubernetes:core/v1:Namespace"


def gate(capsys, stack: str, *arguments: str) -> tuple[int, str, str]:
    policy_config = REPO_ROOT / "policies" / "stacks" / f"{stack}.json"
    code = main(["--stack", stack, "--config", str(policy_config), *arguments])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("stack", ["dev", "prod", "dr"])
def test_preview_renders_the_app_chart_of_each_stack(capsys, stack):
    code, out, err = gate(capsys, stack)
    assert code == 0, err
    rendered = re.search(
        rf"chart ticketing-{stack}-services-chart: (\d+) manifests rendered and valid", out
    )
    assert rendered and int(rendered.group(1)) >= 6
    assert f"kubernetes provider reaches ticketing-{stack}-eks: public endpoint limited to" in out


def _deployment_lines(report: dict, output_format: str) -> list[str]:
    if output_format == "json":
        return report["deployment_checks"]
    (invocation,) = report["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is True
    return [note["message"]["text"] for note in invocation["toolExecutionNotifications"]]


@pytest.mark.parametrize("output_format", ["json", "sarif"])
def test_machine_readable_reports_carry_the_deployment_checks(capsys, output_format):
    code, out, err = gate(capsys, "dev", "--format", output_format)
    assert code == 0, err
    lines = _deployment_lines(json.loads(out), output_format)
    assert any(
        re.fullmatch(r"chart ticketing-dev-services-chart: \d+ manifests rendered and valid", line)
        for line in lines
    ), lines
    assert any(
        line.startswith("kubernetes provider reaches ticketing-dev-eks: public endpoint limited to")
        for line in lines
    ), lines


def test_a_chart_refusing_the_programs_values_exits_2_naming_the_release(
    capsys, monkeypatch, tmp_path
):
    """The config's copy of the chart's PDB rule, as it was before (1 replica, budget 1): the chart
    itself still stops the preview, with Helm's message."""
    monkeypatch.setattr("components.config._drainable", lambda min_replicas, budget: True)
    config = yaml.safe_load((REPO_ROOT / "Pulumi.dev.yaml").read_text())
    services = config["config"]["ticketing:services"]
    services["replicas"] = services["autoscaling"]["minReplicas"] = 1
    stack_file = tmp_path / "Pulumi.dev.yaml"
    stack_file.write_text(yaml.safe_dump(config))
    code, _, err = gate(capsys, "dev", "--config-file", str(stack_file))
    assert code == 2
    assert "chart ticketing-dev-services-chart:" in err
    assert "podDisruptionBudget.minAvailable (1) must be below the minimum replica count (1)" in err


def test_a_cluster_older_than_the_charts_kube_version_exits_2_naming_the_release(
    capsys, monkeypatch, tmp_path
):
    """The config's copy of the chart's kubeVersion floor turned off: the chart check itself stops
    the preview, as Helm would refuse the release at deploy."""
    monkeypatch.setattr("components.config._runs_the_chart", lambda version: True)
    config = yaml.safe_load((REPO_ROOT / "Pulumi.dev.yaml").read_text())
    config["config"]["ticketing:cluster"]["version"] = "1.29"
    stack_file = tmp_path / "Pulumi.dev.yaml"
    stack_file.write_text(yaml.safe_dump(config))
    code, _, err = gate(capsys, "dev", "--config-file", str(stack_file))
    assert code == 2
    assert (
        "chart ticketing-dev-services-chart: the chart requires kubeVersion >=1.30.0-0"
        " (Chart.yaml), which is incompatible with the cluster's Kubernetes 1.29.0" in err
    )


def test_a_stack_file_with_a_cluster_the_chart_cannot_run_on_exits_2_naming_the_key(
    capsys, tmp_path
):
    config = yaml.safe_load((REPO_ROOT / "Pulumi.dev.yaml").read_text())
    config["config"]["ticketing:cluster"]["version"] = "1.29"
    stack_file = tmp_path / "Pulumi.dev.yaml"
    stack_file.write_text(yaml.safe_dump(config))
    code, _, err = gate(capsys, "dev", "--config-file", str(stack_file))
    assert code == 2
    assert "config key 'cluster.version': got '1.29', expected 1.30 or later" in err
    assert "ticketing-dev-services-chart" not in err


def _with_dependencies(run: ProgramRun, name: str, keep: set[str]) -> ProgramRun:
    """The run with `name`'s dependencies cut down to the resources named in `keep`."""
    urns = {resource.urn for resource in run.resources if resource.name in keep}
    resources = [
        dataclasses.replace(resource, dependencies=tuple(urns))
        if resource.name == name
        else resource
        for resource in run.resources
    ]
    return dataclasses.replace(run, resources=resources)


def test_a_release_that_waits_only_for_its_namespace_is_refused(dev):
    """The app release as it was: its TargetGroupBinding CRD and its Secret may not exist yet."""
    cut = _with_dependencies(
        dev, "ticketing-dev-services-chart", {"ticketing-dev-services-namespace"}
    )
    with pytest.raises(OrderingError) as raised:
        check_order(cut, render_releases(cut, REPO_ROOT), "1.33.0")
    message = str(raised.value)
    assert (
        "release ticketing-dev-services-chart: renders elbv2.k8s.aws/v1beta1 TargetGroupBinding"
        in message
    )
    assert "reads Secret ticketing-app, created by ticketing-dev-services-app-secret" in message
    check_order(dev, render_releases(dev, REPO_ROOT), "1.33.0")


def test_a_release_before_its_namespace_is_refused(dev):
    cut = _with_dependencies(dev, "ticketing-dev-services-chart", set())
    with pytest.raises(
        OrderingError, match="installs into namespace ticketing before it is created"
    ):
        check_order(cut, render_releases(cut, REPO_ROOT), "1.33.0")


def test_an_alb_logging_before_its_bucket_policy_is_refused(dev):
    cut = _with_dependencies(dev, "ticketing-dev-edge-alb", set())
    with pytest.raises(OrderingError, match="load balancer ticketing-dev-edge-alb: access logs"):
        check_order(cut, [], "1.33.0")


def test_values_unknown_at_preview_are_reported_not_guessed(dev):
    (release,) = [r for r in dev.of_type(RELEASE) if r.name == "ticketing-dev-services-chart"]
    values = {**release.inputs["values"], "existingSecret": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"}
    unknown = dataclasses.replace(release, inputs={**release.inputs, "values": values})
    run = dataclasses.replace(dev, resources=[unknown])
    with pytest.raises(ChartError, match="values existingSecret are unknown at preview"):
        render_releases(run, REPO_ROOT)


def _program_with_prod(tmp_path: Path, change) -> Path:
    """A directory holding prod's stack file with `change` applied (what dr is compared with)."""
    config = yaml.safe_load((REPO_ROOT / "Pulumi.prod.yaml").read_text())
    change(config["config"])
    (tmp_path / "Pulumi.prod.yaml").write_text(yaml.safe_dump(config))
    return tmp_path


def test_dr_agrees_with_prod(dr):
    assert cross_stack_problems(dr, REPO_ROOT) == []


def test_dr_must_route_prods_public_name(dr, tmp_path):
    def rename(config):
        config["ticketing:edge"]["publicHostname"] = "www.tickets.example.com"

    (problem,) = cross_stack_problems(dr, _program_with_prod(tmp_path, rename))
    assert "ticketing:routing.recordName is 'tickets.example.com'" in problem
    assert "'www.tickets.example.com'" in problem


def test_dr_must_run_prods_engine_version(dr, tmp_path):
    def upgrade(config):
        config["ticketing:database"]["engineVersion"] = "16.8"

    (problem,) = cross_stack_problems(dr, _program_with_prod(tmp_path, upgrade))
    assert "ticketing:database.engineVersion is '16.6', but prod's is '16.8'" in problem


def test_dr_sets_no_database_password_of_its_own(dr):
    with_password = dataclasses.replace(
        dr, config={**dr.config, "ticketing:databasePassword": "[secret]"}
    )
    (problem,) = cross_stack_problems(with_password, REPO_ROOT)
    assert "ticketing:databasePassword is set" in problem


def test_the_gate_runs_the_cross_stack_checks_on_dr(capsys, tmp_path):
    program = tmp_path / "program"
    shutil.copytree(
        REPO_ROOT, program, ignore=shutil.ignore_patterns(".venv", ".git", "build", "tests", "app")
    )
    (program / "app").mkdir()
    shutil.copytree(REPO_ROOT / "app" / "chart", program / "app" / "chart")
    prod = yaml.safe_load((program / "Pulumi.prod.yaml").read_text())
    prod["config"]["ticketing:database"]["engineVersion"] = "16.8"
    (program / "Pulumi.prod.yaml").write_text(yaml.safe_dump(prod))
    code, _, err = gate(capsys, "dr", "--program", str(program))
    assert code == 2
    assert "stack dr against prod: ticketing:database.engineVersion" in err
