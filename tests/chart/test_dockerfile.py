"""Static checks of app/Dockerfile (tests/image builds the image with buildah and runs it)."""

from __future__ import annotations

import re
import shlex
import tomllib

import pytest

from tests.chart.chart_render import app_container, render
from tests.chart.dockerfile_instructions import (
    DOCKERFILE,
    DOCKERIGNORE,
    Instruction,
    instructions,
    parse,
)
from tests.chart.scenarios import MINIMAL_VALUES

PINNED_BASE = re.compile(r"^python:3\.11\.\d+-slim-bookworm@sha256:[0-9a-f]{64}$")
BUILD_TOOLS = (
    "gcc",
    "g++",
    "make",
    "build-essential",
    "libpq-dev",
    "python3-dev",
    "apt-get",
    "git",
)


def final_stage(all_instructions: list[Instruction]) -> list[Instruction]:
    last = all_instructions[-1].stage
    return [instruction for instruction in all_instructions if instruction.stage == last]


def base_image(all_instructions: list[Instruction]) -> str:
    (argument,) = [
        instruction
        for instruction in all_instructions
        if instruction.keyword == "ARG" and instruction.stage == ""
    ]
    name, _, default = argument.arguments.partition("=")
    assert name == "PYTHON_IMAGE"
    return default


def test_base_image_is_a_pinned_python_3_11_slim_bookworm() -> None:
    assert PINNED_BASE.match(base_image(instructions()))


def test_every_stage_builds_from_the_pinned_base() -> None:
    stages = [
        shlex.split(instruction.arguments)
        for instruction in instructions()
        if instruction.keyword == "FROM"
    ]
    assert [words[0] for words in stages] == ["${PYTHON_IMAGE}", "${PYTHON_IMAGE}"]
    assert [words[2] for words in stages] == ["builder", "runtime"]


def test_no_latest_tag_anywhere() -> None:
    assert not re.search(r":latest\b", DOCKERFILE.read_text())


def test_wheels_are_built_in_the_builder_and_installed_offline_in_the_runtime() -> None:
    runs = {
        instruction.stage: instruction.arguments
        for instruction in instructions()
        if instruction.keyword == "RUN"
    }
    assert "pip wheel --wheel-dir /wheels ." in runs["builder"]
    assert "--mount=type=bind,from=builder,source=/wheels,target=/wheels" in runs["runtime"]
    assert "pip install --no-index --find-links /wheels ticketing" in runs["runtime"]


def test_builder_copies_only_the_package_and_its_metadata() -> None:
    copies = [
        instruction.arguments for instruction in instructions() if instruction.keyword == "COPY"
    ]
    assert copies == ["pyproject.toml ./", "ticketing ./ticketing"]
    for source in ("pyproject.toml", "ticketing"):
        assert (DOCKERFILE.parent / source).exists()


def test_the_wheel_carries_every_data_file_the_package_reads() -> None:
    """The image installs the built wheel, not the source tree: undeclared data files would be
    missing.
    """
    pyproject = tomllib.loads((DOCKERFILE.parent / "pyproject.toml").read_text())
    package = DOCKERFILE.parent / "ticketing"
    declared = {
        path
        for pattern in pyproject["tool"]["setuptools"]["package-data"]["ticketing"]
        for path in package.glob(pattern)
    }
    data_files = [
        path
        for path in package.rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    ]
    assert (
        sorted(path.relative_to(package).as_posix() for path in data_files if path not in declared)
        == []
    )


def test_runtime_stage_copies_nothing_and_installs_no_build_tools() -> None:
    runtime = final_stage(instructions())
    assert not [instruction for instruction in runtime if instruction.keyword in ("COPY", "ADD")]
    commands = " ".join(
        instruction.arguments for instruction in runtime if instruction.keyword == "RUN"
    )
    for tool in BUILD_TOOLS:
        assert not re.search(rf"(^|[\s;&|]){re.escape(tool)}(\s|$)", commands), tool


def test_runtime_runs_as_uid_10001_after_the_last_root_step() -> None:
    runtime = final_stage(instructions())
    keywords = [instruction.keyword for instruction in runtime]
    (user,) = [instruction for instruction in runtime if instruction.keyword == "USER"]
    assert user.arguments == "10001:10001"
    assert keywords.index("USER") > max(
        index for index, keyword in enumerate(keywords) if keyword == "RUN"
    )
    assert any("useradd --system --uid 10001" in instruction.arguments for instruction in runtime)


def test_entrypoint_and_cmd_are_exec_form_and_match_the_chart() -> None:
    runtime = {instruction.keyword: instruction for instruction in final_stage(instructions())}
    assert runtime["EXPOSE"].arguments == "8000"
    assert runtime["ENTRYPOINT"].exec_form == ["ticketing"]
    assert runtime["CMD"].exec_form == app_container(render(MINIMAL_VALUES))["args"]
    assert "HEALTHCHECK" not in runtime


def test_dockerignore_sends_only_the_package_to_the_build() -> None:
    patterns = [
        line for line in DOCKERIGNORE.read_text().splitlines() if line and not line.startswith("#")
    ]
    assert patterns[0] == "*"
    assert sorted(pattern for pattern in patterns if pattern.startswith("!")) == [
        "!pyproject.toml",
        "!ticketing",
    ]
    assert "**/__pycache__" in patterns


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'FROM a AS b\nRUN x \\\n  # note\n  && y\nCMD ["z"]',
            [("FROM", "a AS b", "b"), ("RUN", "x && y", "b"), ("CMD", '["z"]', "b")],
        ),
        (
            "# syntax=docker/dockerfile:1.7\nARG X=1\nFROM ${X}\nUSER 1",
            [("ARG", "X=1", ""), ("FROM", "${X}", "1"), ("USER", "1", "1")],
        ),
    ],
)
def test_dockerfile_reader_joins_continuations_and_tracks_stages(
    text: str, expected: list[tuple[str, str, str]]
) -> None:
    assert [
        (instruction.keyword, instruction.arguments, instruction.stage)
        for instruction in parse(text)
    ] == expected


def test_shell_form_is_not_mistaken_for_exec_form() -> None:
    (cmd,) = parse("CMD ticketing serve")
    assert cmd.exec_form is None
