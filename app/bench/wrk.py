"""Run wrk (installing the Debian package when missing) with a bench Lua script and read its JSON
line.
"""

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from app.bench.processes import run_pinned

LUA_DIR = Path(__file__).parent / "lua"
RESULT_PREFIX = "WRK_JSON "


@dataclass(frozen=True)
class WrkResult:
    requests: int
    duration_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: dict[str, int]
    statuses: dict[int, int]

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    as_root = [] if os.geteuid() == 0 else ["sudo"]
    if as_root and not shutil.which("sudo"):
        raise RuntimeError("wrk is missing and this user cannot install it: apt-get install -y wrk")
    subprocess.run(as_root + ["apt-get", "update", "-qq"], check=True)
    subprocess.run(
        as_root + ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"],
        check=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    return shutil.which("wrk") or "wrk"


def parse_result(output: str) -> WrkResult:
    line = next((line for line in output.splitlines() if line.startswith(RESULT_PREFIX)), None)
    if line is None:
        raise RuntimeError(f"wrk printed no {RESULT_PREFIX.strip()} line:\n{output[-2000:]}")
    raw = json.loads(line[len(RESULT_PREFIX) :])
    return WrkResult(
        requests=raw["requests"],
        duration_s=raw["duration_us"] / 1e6,
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        errors={key: raw[f"{key}_errors"] for key in ("connect", "read", "write", "status")}
        | {"timeout": raw["timeouts"]},
        statuses={int(code): count for code, count in raw["statuses"].items()},
    )


def script_file(name: str) -> Path:
    """wrk takes one script: the shared reporting part followed by the request part."""
    text = (LUA_DIR / "common.lua").read_text() + (LUA_DIR / f"{name}.lua").read_text()
    with tempfile.NamedTemporaryFile("w", suffix=f"-{name}.lua", delete=False) as handle:
        handle.write(text)
    return Path(handle.name)


def run_wrk(
    base_url: str,
    script: str,
    script_args: list[str],
    duration_s: int,
    connections: int,
    cpus: frozenset[int],
) -> WrkResult:
    path = script_file(script)
    threads = max(1, min(len(cpus), connections))
    argv = [
        ensure_wrk(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration_s}s",
        "--timeout",
        "5s",
        "-s",
        str(path),
        base_url,
        "--",
        *script_args,
    ]
    try:
        finished = run_pinned(argv, cpus, duration_s + 60)
    finally:
        path.unlink()
    if finished.returncode != 0:
        raise RuntimeError(f"wrk exited {finished.returncode}: {finished.stderr[-2000:]}")
    return parse_result(finished.stdout)
