"""The command line: `serve` with private servers (and cleanup), its config errors, and `surge`."""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from tests.app.conftest import ADMIN, Stores, event_body
from ticketing.embedded import free_port

TICKETING = [sys.executable, "-m", "ticketing.cli"]


def _env_without_ticketing() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not key.startswith("TICKETING_")}


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def _children(parent: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            children.append(int(stat.parent.name))
    return children


def _serve_with_private_servers(port: int, **popen: Any) -> tuple[subprocess.Popen[str], Path]:
    """`ticketing serve` without URLs, once its demo event answers; and its private servers'
    folder.
    """
    server = subprocess.Popen(
        [*TICKETING, "serve", "--port", str(port)],
        env=_env_without_ticketing(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **popen,
    )
    try:
        assert server.stdout is not None
        banner = [server.stdout.readline() for _ in range(6)]
        servers_line = re.search(r"private servers in (\S+)", banner[0])
        assert servers_line, banner
        folder = Path(servers_line.group(1))
        assert any("TICKETING_SECRET=" in line for line in banner), banner
        deadline = time.monotonic() + 30
        while True:
            try:
                event = httpx.get(f"http://127.0.0.1:{port}/api/v1/events/demo", timeout=1)
                if event.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "serve did not come up"
            time.sleep(0.2)
        assert event.json()["slots"], "the demo event is seeded"
    except BaseException:
        server.kill()
        raise
    return server, folder


def _wait_gone(pids: list[int], timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while any(_pid_alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_serve_without_urls_runs_private_servers_and_cleans_up_on_sigterm() -> None:
    server, folder = _serve_with_private_servers(free_port())
    try:
        server_pids = _children(server.pid)
        assert server_pids, "redis-server and postgres run as children"
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 128 + signal.SIGTERM
    finally:
        if server.poll() is None:
            server.kill()
    assert not folder.exists(), "the temporary folder is removed"
    assert not any(_pid_alive(pid) for pid in server_pids), "private servers are stopped"


def test_ctrl_c_reaches_only_the_app_which_stops_its_servers_after_shutting_down():
    # a terminal sends SIGINT to its whole foreground process group: here, the session serve leads
    server, folder = _serve_with_private_servers(free_port(), start_new_session=True)
    try:
        server_pids = _children(server.pid)
        os.killpg(server.pid, signal.SIGINT)
        output, _ = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
    assert "Application shutdown complete" in output
    assert '"level":"error"' not in output, (
        "Redis and PostgreSQL were there until the app had stopped"
    )
    assert not folder.exists()
    assert _wait_gone(server_pids), "private servers are stopped"


def test_private_servers_do_not_outlive_a_killed_app() -> None:
    server, folder = _serve_with_private_servers(free_port())
    try:
        server_pids = _children(server.pid)
        assert server_pids
        server.kill()
        server.wait(timeout=10)
        assert _wait_gone(server_pids), (
            "redis-server and postgres got SIGTERM when their parent died"
        )
    finally:
        if server.poll() is None:
            server.kill()
        shutil.rmtree(folder, ignore_errors=True)  # nobody was left to remove it


def test_serve_names_a_missing_or_malformed_setting() -> None:
    env = {**_env_without_ticketing(), "TICKETING_REDIS_URL": "redis://127.0.0.1:1/0"}
    only_redis = subprocess.run(
        [*TICKETING, "serve"], env=env, capture_output=True, text=True, timeout=30
    )
    assert only_redis.returncode == 2 and "TICKETING_DATABASE_URL" in only_redis.stderr
    env["TICKETING_DATABASE_URL"] = "postgresql://x@127.0.0.1:1/x"
    env["TICKETING_ADMIN_TOKEN"] = "admin"
    no_secret = subprocess.run(
        [*TICKETING, "serve"], env=env, capture_output=True, text=True, timeout=30
    )
    assert no_secret.returncode == 2 and "TICKETING_SECRET" in no_secret.stderr
    env["TICKETING_SECRET"] = "s" * 32
    env["TICKETING_REDIS_CLUSTER"] = "yes"
    bad_flag = subprocess.run(
        [*TICKETING, "serve"], env=env, capture_output=True, text=True, timeout=30
    )
    assert (
        bad_flag.returncode == 2
        and "TICKETING_REDIS_CLUSTER must be true or false, got 'yes'" in bad_flag.stderr
    )


def test_surge_reports_bookings_read_back_and_no_oversell(base_url: str, stores: Stores) -> None:
    slots = [
        {"id": "a", "label": "early", "capacity": 15},
        {"id": "b", "label": "late", "capacity": 10},
    ]
    response = httpx.put(
        f"{base_url}/api/v1/events/surge-test",
        headers=ADMIN,
        json=event_body(slots=slots, admit_per_second=200, max_per_client=1),
    )
    assert response.status_code in (200, 201)
    surge = subprocess.run(
        [*TICKETING, "surge", "--url", base_url, "--event", "surge-test", "--clients", "60"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert surge.returncode == 0, surge.stdout + surge.stderr
    summary = surge.stdout.splitlines()[-1]
    assert re.search(
        r"admitted \d+\s+booked 25\s+sold out 35\s+errors 0\s+bookings not found 0\s+oversold 0",
        summary,
    ), summary
    event = httpx.get(f"{base_url}/api/v1/events/surge-test").json()
    assert [slot["remaining"] for slot in event["slots"]] == [0, 0]
