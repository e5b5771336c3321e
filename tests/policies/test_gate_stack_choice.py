"""`--program DIR` without `--stack`, and stacks without a settings file, as Pulumi treats them:
the only stack settings file decides the stack, none means the default stack with an empty
config (plus Pulumi.yaml's project-level config), several mean the user must choose (exit 2
listing them)."""

import json
from pathlib import Path

import pytest

from policies.gate.__main__ import main
from policies.gate.stack_choice import DEFAULT_STACK, choose_stack
from policies.program_runner import ProgramError

# Names a resource after the stack and config it ran with, so a test can read both.
ECHO_PROGRAM = """
import pulumi
import pulumi_aws as aws

aws.sns.Topic("echo", name=f"{pulumi.get_stack()}-{pulumi.Config().get('size') or 'unset'}")
"""


def _program(directory: Path, stacks: dict[str, str], project_extra: str = "") -> Path:
    directory.mkdir()
    (directory / "Pulumi.yaml").write_text(
        f"name: {directory.name}\nruntime: python\n{project_extra}"
    )
    (directory / "__main__.py").write_text(ECHO_PROGRAM)
    for name, size in stacks.items():
        (directory / f"Pulumi.{name}.yaml").write_text(
            f"config:\n  {directory.name}:size: {size}\n"
        )
    return directory


def _ran_as(capsys, *arguments: str) -> str:
    """`<stack>-<size>`: the stack and config the gate ran the program with."""
    code = main([*arguments, "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert code in (0, 1)
    (topic,) = (resource for resource in report["resources"] if resource["name"] == "echo")
    assert report["stack"] == topic["inputs"]["name"].split("-")[0]
    return topic["inputs"]["name"]


def test_the_only_stack_file_is_chosen(tmp_path):
    program = _program(tmp_path / "single", {"staging": "small"})
    assert choose_stack(program, None) == "staging"


def test_no_stack_file_means_the_default_stack(tmp_path):
    program = _program(tmp_path / "bare", {})
    assert choose_stack(program, None) == DEFAULT_STACK == "dev"


def test_a_given_stack_wins_and_a_qualified_name_means_its_last_part(tmp_path):
    program = _program(tmp_path / "two", {"a": "1", "b": "2"})
    assert choose_stack(program, "b") == "b"
    assert choose_stack(program, "acme/two/a") == "a"


def test_stack_files_in_the_projects_stack_config_dir(tmp_path):
    program = _program(tmp_path / "configdir", {}, "stackConfigDir: stacks\n")
    (program / "stacks").mkdir()
    (program / "stacks" / "Pulumi.qa.yaml").write_text("config:\n  configdir:size: large\n")
    assert choose_stack(program, None) == "qa"


def test_several_stack_files_are_ambiguous(tmp_path):
    program = _program(tmp_path / "many", {"prod": "l", "dev": "s", "dr": "m"})
    with pytest.raises(ProgramError, match=r"3 stacks \(dev, dr, prod\): choose one with --stack"):
        choose_stack(program, None)


def test_no_project_file_is_an_error(tmp_path):
    with pytest.raises(ProgramError, match="has no Pulumi.yaml"):
        choose_stack(tmp_path, None)


def test_gate_runs_the_only_stack_without_stack_argument(tmp_path, capsys):
    program = _program(tmp_path / "single", {"staging": "small"})
    assert _ran_as(capsys, "--program", str(program)) == "staging-small"


def test_gate_runs_a_stack_without_settings_file_with_empty_config(tmp_path, capsys):
    program = _program(tmp_path / "bare", {"staging": "small"})
    assert _ran_as(capsys, "--program", str(program), "--stack", "qa") == "qa-unset"
    (program / "Pulumi.staging.yaml").unlink()
    assert _ran_as(capsys, "--program", str(program)) == "dev-unset"


def test_gate_reads_the_stack_config_dir(tmp_path, capsys):
    program = _program(tmp_path / "configdir", {}, "stackConfigDir: stacks\n")
    (program / "stacks").mkdir()
    (program / "stacks" / "Pulumi.qa.yaml").write_text("config:\n  configdir:size: large\n")
    assert _ran_as(capsys, "--program", str(program)) == "qa-large"


def test_gate_exits_2_listing_the_stacks_when_ambiguous(tmp_path, capsys):
    program = _program(tmp_path / "many", {"prod": "l", "dev": "s"})
    code = main(["--program", str(program)])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert "2 stacks (dev, prod): choose one with --stack" in captured.err


def test_gate_defaults_to_the_program_in_the_working_directory(tmp_path, capsys, monkeypatch):
    program = _program(tmp_path / "here", {"staging": "small"})
    monkeypatch.chdir(program)
    assert _ran_as(capsys) == "staging-small"


def test_project_level_config_fills_in_what_the_stack_does_not_set(tmp_path, capsys):
    program = _program(
        tmp_path / "declared", {}, "config:\n  size:\n    type: string\n    default: medium\n"
    )
    assert _ran_as(capsys, "--program", str(program)) == "dev-medium"
    (program / "Pulumi.dev.yaml").write_text("config:\n  declared:size: large\n")
    assert _ran_as(capsys, "--program", str(program)) == "dev-large"
    (program / "Pulumi.yaml").write_text("name: declared\nruntime: python\nconfig:\n  size: tiny\n")
    (program / "Pulumi.dev.yaml").unlink()
    assert _ran_as(capsys, "--program", str(program)) == "dev-tiny"


def test_project_key_without_default_must_be_set_by_the_stack(tmp_path, capsys):
    program = _program(tmp_path / "required", {}, "config:\n  size:\n    type: string\n")
    code = main(["--program", str(program)])
    assert code == 2
    assert "missing configuration size" in capsys.readouterr().err


def test_sarif_locates_findings_at_the_projects_main(tmp_path, capsys, monkeypatch):
    program = _program(tmp_path / "nested", {"staging": "small"}, "main: infra/\n")
    (program / "infra").mkdir()
    (program / "__main__.py").rename(program / "infra" / "__main__.py")
    monkeypatch.chdir(tmp_path)
    main(["--program", "nested", "--format", "sarif"])
    (run,) = json.loads(capsys.readouterr().out)["runs"]
    assert run["results"]
    assert {
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for result in run["results"]
    } == {"nested/infra/__main__.py"}
