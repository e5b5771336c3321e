"""The drill's HAProxy config comes from `ticketing:routing` through the routing component's
weight code, and phase changes edit the drill's copy of the stack file."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from components.routing import HEALTH_CHECK_FAILURE_THRESHOLD, RoutingConfig
from ops.drill import stack
from ops.drill.cli import main
from ops.drill.haproxy import render_config
from tests.ops.stack_files import ROUTING, WriteStack

PORTS = {"prod": 9001, "dr": 9002}


def servers(config: str) -> dict[str, str]:
    lines = [line.split() for line in config.splitlines() if line.strip().startswith("server ")]
    return {words[1]: " ".join(words[3:]) for words in lines}


def render(routing: dict, scale: float = 0.1) -> str:
    return render_config(
        RoutingConfig.from_config({**ROUTING, **routing}), 8000, PORTS, Path("/x"), scale
    )


def test_weighted_targets_serve_and_weight_zero_is_backup() -> None:
    assert servers(render({"phase": "normal"})) == {
        "prod": "check weight 100",
        "dr": "check backup",
    }
    assert servers(render({"phase": "failover"})) == {
        "prod": "check backup",
        "dr": "check weight 100",
    }
    assert servers(render({"phase": "failback", "failbackStep": 0})) == {
        "prod": "check weight 10",
        "dr": "check weight 90",
    }


def test_overrides_apply_as_the_component_applies_them() -> None:
    config = render({"phase": "normal", "weights": {"dr": 20}})
    assert servers(config) == {"prod": "check weight 100", "dr": "check weight 20"}


def test_health_checks_are_readyz_at_the_scaled_interval() -> None:
    config = render({"phase": "normal"}, scale=0.1)
    assert "option httpchk GET /readyz" in config
    assert f"inter 1000ms fall {HEALTH_CHECK_FAILURE_THRESHOLD}" in config


def test_failback_walks_the_configured_steps_in_the_stack_file(
    tmp_path: Path, write_stack: WriteStack
) -> None:
    project = write_stack({"phase": "failover", "failbackSteps": [25, 100]})
    seen = []
    for selection in stack.steps_to(project, "failback"):
        seen.append(stack.write_selection(project, selection).routing.effective_weights())
    assert seen == [{"prod": 25, "dr": 75}, {"prod": 100, "dr": 0}]
    routing = yaml.safe_load((project / "Pulumi.dr.yaml").read_text())["config"][
        "ticketing:routing"
    ]
    assert routing["phase"] == "normal" and "failbackStep" not in routing


def test_drill_without_stack_files_exits_2_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--project-dir", str(tmp_path)]) == 2
    assert "Pulumi.dr.yaml does not exist" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy missing")
@pytest.mark.parametrize("phase", ["normal", "failover", "failback"])
def test_haproxy_accepts_the_generated_config(tmp_path: Path, phase: str) -> None:
    config = render_config(
        RoutingConfig.from_config({**ROUTING, "phase": phase}), 8000, PORTS, tmp_path, 0.1
    )
    (tmp_path / "haproxy.cfg").write_text(config)
    checked = subprocess.run(
        [str(shutil.which("haproxy")), "-c", "-f", str(tmp_path / "haproxy.cfg")],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_drill_starts_from_phase_normal_with_the_configured_steps(
    tmp_path: Path, write_stack: WriteStack
) -> None:
    source = write_stack({"phase": "failback", "failbackSteps": [30, 100], "failbackStep": 0})
    copied = stack.copy_stack_files(source, tmp_path / "copy")
    assert copied.routing.selection.phase == "normal"
    assert copied.routing.selection.failback_steps == (30, 100)
    assert copied.routing.selection.failback_step is None
