"""A small Dockerfile reader for static checks: no Docker engine is available to build the image."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

DOCKERFILE = Path(__file__).resolve().parents[2] / "app" / "Dockerfile"
DOCKERIGNORE = DOCKERFILE.with_name(".dockerignore")


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str
    stage: str

    @property
    def exec_form(self) -> list[str] | None:
        """The JSON array of an exec-form instruction, or None for shell form."""
        try:
            parsed = json.loads(self.arguments)
        except json.JSONDecodeError:
            return None
        return (
            parsed
            if isinstance(parsed, list) and all(isinstance(item, str) for item in parsed)
            else None
        )


def logical_lines(text: str) -> list[str]:
    """Lines with backslash continuations joined and comments dropped (the parser directive too)."""
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    assert not pending, "the Dockerfile ends inside a line continuation"
    return lines


def parse(text: str) -> list[Instruction]:
    """Every instruction with the name of the build stage it belongs to ("" before the first
    FROM).
    """
    instructions: list[Instruction] = []
    stage = ""
    for line in logical_lines(text):
        keyword, _, arguments = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            words = shlex.split(arguments)
            stage = (
                words[2] if len(words) >= 3 and words[1].upper() == "AS" else str(len(instructions))
            )
        instructions.append(Instruction(keyword, re.sub(r"\s+", " ", arguments.strip()), stage))
    return instructions


def instructions() -> list[Instruction]:
    return parse(DOCKERFILE.read_text())
