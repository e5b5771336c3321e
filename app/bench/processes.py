"""Start, pin, watch and stop the processes under test, from /proc and the scheduler's affinity."""

import contextlib
import os
import resource
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

BACKING_SERVICES = ("redis-server", "postgres")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class CpuSplit:
    """The server gets `server` CPUs; wrk, the Python clients, Redis and PostgreSQL get `load`."""

    server: frozenset[int]
    load: frozenset[int]

    @classmethod
    def for_machine(cls, server_cores: int) -> "CpuSplit":
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) < 2:
            return cls(frozenset(cpus), frozenset(cpus))
        server_cores = max(1, min(server_cores, len(cpus) - 1))
        return cls(frozenset(cpus[:server_cores]), frozenset(cpus[server_cores:]))


def raise_open_files_limit(needed: int) -> None:
    """Thousands of sockets need more than the usual 1,024 descriptors; children inherit the
    limit.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard), hard))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(
    argv: list[str],
    cpus: frozenset[int],
    env: dict[str, str] | None = None,
    log: Path | None = None,
) -> subprocess.Popen:
    # the child keeps its own copy of the log's descriptor
    with open(log, "wb") if log else contextlib.nullcontext(subprocess.DEVNULL) as output:
        return subprocess.Popen(
            argv,
            env={**os.environ, **(env or {})},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=REPO_ROOT,
            preexec_fn=lambda: os.sched_setaffinity(0, cpus),
        )


def run_pinned(
    argv: list[str], cpus: frozenset[int], timeout_s: float
) -> subprocess.CompletedProcess:
    return subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        cwd=REPO_ROOT,
        preexec_fn=lambda: os.sched_setaffinity(0, cpus),
    )


def wait_http_ok(url: str, process: subprocess.Popen, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"{process.args!r} exited with {process.returncode} before {url} answered"
            )
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer 200 within {timeout_s:.0f} s")


def stop(process: subprocess.Popen, timeout_s: float = 15.0) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout_s)


def descendants(pid: int) -> list[int]:
    found, pending = [], [pid]
    while pending:
        parent = pending.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                found.append(child)
                pending.append(child)
    return found


def command_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def is_backing_service(pid: int) -> bool:
    return command_name(pid).startswith(BACKING_SERVICES)


def move_backing_services(root_pid: int, cpus: frozenset[int]) -> int:
    """Redis and PostgreSQL started by `ticketing serve` inherit its CPUs; they are managed services
    in
    production, so they run on the load CPUs and the server CPUs measure the app alone."""
    moved = 0
    for pid in descendants(root_pid):
        if is_backing_service(pid):
            try:
                os.sched_setaffinity(pid, cpus)
                moved += 1
            except OSError:
                continue
    return moved


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process; 0 once it has exited."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def server_and_backing_cpu_seconds(root_pid: int) -> tuple[float, float]:
    """CPU the server and its workers spent so far, and what Redis and PostgreSQL spent."""
    server, backing = cpu_seconds(root_pid), 0.0
    for pid in descendants(root_pid):
        if is_backing_service(pid):
            backing += cpu_seconds(pid)
        else:
            server += cpu_seconds(pid)
    return server, backing


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def server_rss_bytes(root_pid: int) -> int:
    """Resident memory of the server process and its workers, without Redis and PostgreSQL."""
    pids = [root_pid] + [pid for pid in descendants(root_pid) if not is_backing_service(pid)]
    return sum(rss_bytes(pid) for pid in pids)
