"""py-spy profiles of the server under load, reduced to where the time goes."""

import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

SAMPLE_RATE = 200
TOP = 15


def parse_collapsed(text: str) -> list[tuple[tuple[str, ...], int]]:
    """py-spy's raw format: one `frame;frame;...;leaf count` line per distinct stack."""
    stacks = []
    for line in text.splitlines():
        if not line.strip():
            continue
        frames, _, count = line.rpartition(" ")
        if not frames or not count.isdigit():
            raise ValueError(f"not a collapsed-stack line: {line[:200]!r}")
        stacks.append((tuple(frames.split(";")), int(count)))
    return stacks


def shares(counts: Counter, total: int, top: int) -> list[tuple[str, float]]:
    return [(frame, count / total) for frame, count in counts.most_common(top)] if total else []


def top_self(stacks: list[tuple[tuple[str, ...], int]], top: int = TOP) -> list[tuple[str, float]]:
    counts: Counter = Counter()
    for frames, count in stacks:
        counts[frames[-1]] += count
    return shares(counts, sum(counts.values()), top)


def top_inclusive(
    stacks: list[tuple[tuple[str, ...], int]], top: int = TOP
) -> list[tuple[str, float]]:
    counts: Counter = Counter()
    for frames, count in stacks:
        for frame in set(frames):
            counts[frame] += count
    return shares(counts, sum(count for _, count in stacks), top)


def package_of(frame: str) -> str:
    """`name (starlette/routing.py)` -> `starlette`; frames without a file keep their whole text."""
    if frame.startswith("process "):  # py-spy's root frame: a sample with no Python frame under it
        return "(no Python frame)"
    _, _, location = frame.rpartition(" (")
    return location.rstrip(")").split("/", 1)[0] if location else frame


def self_by_package(stacks: list[tuple[tuple[str, ...], int]]) -> list[tuple[str, float]]:
    counts: Counter = Counter()
    for frames, count in stacks:
        counts[package_of(frames[-1])] += count
    return shares(counts, sum(counts.values()), TOP)


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).exists():
        raise RuntimeError("py-spy is missing: pip install -r requirements-dev.txt")
    return found


def record_during(pid: int, stem: Path, load: Callable[[], Any]) -> tuple[dict, Any]:
    """Samples `pid` and its workers while `load()` runs; writes `stem`.txt (collapsed stacks).
    Returns the profile's summary and what `load()` returned."""
    raw = stem.with_suffix(".txt")
    spy = subprocess.Popen(
        [
            py_spy(),
            "record",
            "--pid",
            str(pid),
            "--rate",
            str(SAMPLE_RATE),
            "--format",
            "raw",
            "--nolineno",
            "--nonblocking",
            "--subprocesses",
            "--output",
            str(raw),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        loaded = load()
    finally:
        spy.send_signal(signal.SIGINT)  # py-spy writes what it sampled and exits
    _, errors = spy.communicate(timeout=60)
    if spy.returncode != 0 or not raw.exists():
        raise RuntimeError(f"py-spy exited {spy.returncode}: {errors.decode()[-1000:]}")
    stacks = parse_collapsed(raw.read_text())
    return {
        "file": str(raw),
        "samples": sum(count for _, count in stacks),
        "self_by_package": self_by_package(stacks),
        "top_self": top_self(stacks),
        "top_inclusive": top_inclusive(stacks),
    }, loaded
