"""`ops.dr plan`: the printed commands, applied in order, walk the stack file safely to the goal."""

from __future__ import annotations

import io
import itertools
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.routing import RoutingConfig
from components.routing_weights import is_safe_change
from ops.dr.cli import main
from tests.ops.stack_files import PROD_REGION, WriteStack

CLUSTER = "ticketing-global"


def run_plan(project: Path, destination: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(
        ["--project-dir", str(project), "plan", "--to", destination, "--global-cluster", CLUSTER],
        out=out,
    )
    return code, out.getvalue()


def command_lines(output: str) -> list[str]:
    return [
        line.strip()
        for line in output.splitlines()
        if line.startswith("   ") and not line.strip().startswith("#")
    ]


def _apply(config: dict[str, Any], command: str) -> None:
    """`pulumi config set|rm --path --stack dr KEY.a.b [VALUE]` as the CLI does it: integers become
    numbers.
    """
    words = command.split()
    key, *path = words[6].split(".")
    node = config.setdefault(key, {})
    for part in path[:-1]:
        node = node.setdefault(part, {})
    if words[2] == "rm":
        node.pop(path[-1], None)
    else:
        node[path[-1]] = int(words[7]) if words[7].lstrip("-").isdigit() else words[7]


def walk(project: Path, output: str) -> list[dict[str, int]]:
    """Applies each `pulumi` step of the plan to the stack file; returns the weights after every
    `pulumi up`.
    """
    config = yaml.safe_load((project / "Pulumi.dr.yaml").read_text())["config"]
    tables = [RoutingConfig.from_config(config["ticketing:routing"]).effective_weights()]
    for command in command_lines(output):
        if command.startswith("pulumi config"):
            assert "--stack dr" in command
            _apply(config, command)
        elif command == "pulumi up --stack dr":
            tables.append(
                RoutingConfig.from_config(config["ticketing:routing"]).effective_weights()
            )
    return tables


def test_failover_plan_raises_dr_before_lowering_prod(write_stack: WriteStack) -> None:
    project = write_stack({"phase": "normal"})
    code, output = run_plan(project, "failover")
    assert code == 0
    commands = command_lines(output)
    assert (
        commands.index("pulumi config set --path --stack dr ticketing:dr.mode active")
        < commands.index(
            f"python -m ops.dr switchover --stack dr --global-cluster {CLUSTER} --to-region"
            " ap-northeast-1"
        )
        < commands.index("pulumi config set --path --stack dr ticketing:routing.weights.dr 100")
        < commands.index("pulumi config set --path --stack dr ticketing:routing.phase failover")
    )
    assert "pulumi config rm --path --stack dr ticketing:routing.weights" in commands
    assert "--allow-data-loss" in output
    assert walk(project, output) == [
        {"prod": 100, "dr": 0},
        {"prod": 100, "dr": 0},
        {"prod": 100, "dr": 100},
        {"prod": 0, "dr": 100},
    ]


def test_failback_plan_moves_the_writer_home_then_steps_traffic_back(
    write_stack: WriteStack,
) -> None:
    project = write_stack({"phase": "failover"}, dr_mode="active")
    code, output = run_plan(project, "failback")
    assert code == 0
    commands = command_lines(output)
    switchover = (
        f"python -m ops.dr switchover --stack dr --global-cluster {CLUSTER} --to-region"
        f" {PROD_REGION}"
    )
    assert commands.index(switchover) < commands.index(
        "pulumi config set --path --stack dr ticketing:routing.phase failback"
    )
    assert commands[-2:] == [
        "pulumi config set --path --stack dr ticketing:dr.mode standby",
        "pulumi up --stack dr",
    ]
    assert "--allow-data-loss" not in output
    tables = walk(project, output)
    assert tables[1:4] == [{"prod": 10, "dr": 90}, {"prod": 50, "dr": 50}, {"prod": 100, "dr": 0}]


def test_failback_uses_the_configured_steps_and_resumes_where_it_stands(
    write_stack: WriteStack,
) -> None:
    project = write_stack(
        {"phase": "failback", "failbackSteps": [5, 25, 60], "failbackStep": 1}, dr_mode="active"
    )
    code, output = run_plan(project, "failback")
    assert code == 0
    assert walk(project, output) == [
        {"prod": 25, "dr": 75},
        {"prod": 60, "dr": 40},
        {"prod": 100, "dr": 0},
        {"prod": 100, "dr": 0},
    ]


@pytest.mark.parametrize(
    ("routing", "destination"),
    [
        ({"phase": "normal"}, "failover"),
        ({"phase": "failover"}, "failback"),
        ({"phase": "failover", "failbackSteps": [100]}, "failback"),
        ({"phase": "failover"}, "normal"),
        ({"phase": "normal", "weights": {"prod": 0, "dr": 9}}, "normal"),
        ({"phase": "failback", "failbackStep": 1, "weights": {"prod": 200}}, "failover"),
    ],
)
def test_every_printed_sequence_is_valid_and_never_all_zero(
    write_stack: WriteStack, routing: dict, destination: str
) -> None:
    project = write_stack(routing)
    code, output = run_plan(project, destination)
    assert code == 0
    tables = walk(project, output)
    for before, after in itertools.pairwise(tables):
        assert is_safe_change(before, after), (before, after)
    goal = {
        "failover": {"prod": 0, "dr": 100},
        "failback": {"prod": 100, "dr": 0},
        "normal": {"prod": 100, "dr": 0},
    }[destination]
    assert tables[-1] == goal


def test_nothing_to_do_when_the_stack_file_already_says_so(write_stack: WriteStack) -> None:
    code, output = run_plan(write_stack({"phase": "failover"}), "failover")
    assert code == 0
    assert "Nothing to do" in output and "pulumi" not in output


def test_failback_from_normal_is_refused(
    write_stack: WriteStack, capsys: pytest.CaptureFixture[str]
) -> None:
    code, output = run_plan(write_stack({"phase": "normal"}), "failback")
    assert code == 1 and output == ""
    assert "nothing to fail back" in capsys.readouterr().err


def test_invalid_stack_file_names_the_key(
    write_stack: WriteStack, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run_plan(write_stack({"phase": "normal", "weights": {"prod": 300}}), "failover")
    assert code == 1
    assert "'routing.weights.prod'" in capsys.readouterr().err


def test_missing_stack_file_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run_plan(tmp_path, "failover")
    assert code == 1
    assert "Pulumi.dr.yaml does not exist" in capsys.readouterr().err


def test_without_global_cluster_the_plan_reads_it_from_the_prod_stack(
    write_stack: WriteStack,
) -> None:
    out = io.StringIO()
    assert main(["--project-dir", str(write_stack()), "plan", "--to", "failover"], out=out) == 0
    assert (
        '--global-cluster "$(pulumi stack output --stack acme/ticketing/prod'
        ' auroraGlobalClusterIdentifier)"' in out.getvalue()
    )


@pytest.mark.parametrize("destination", ["failover", "normal"])
def test_with_recovery_control_the_plan_has_the_routing_controls_turned_on_before_weights_move(
    write_stack: WriteStack, destination: str
) -> None:
    phase = "failover" if destination == "normal" else "normal"
    code, output = run_plan(write_stack({"phase": phase, "recoveryControl": True}), destination)
    assert code == 0, output
    titles = [line for line in output.splitlines() if line[:1].isdigit()]
    controls = next(
        index for index, title in enumerate(titles) if "Routing controls (ARC) On" in title
    )
    first_weights = next(index for index, title in enumerate(titles) if "Weights" in title)
    assert controls < first_weights
    assert "pulumi stack output --stack dr routing --json" in output


def test_without_recovery_control_the_plan_says_nothing_of_it(write_stack: WriteStack) -> None:
    code, output = run_plan(write_stack({"phase": "normal"}), "failover")
    assert code == 0 and "ARC" not in output
