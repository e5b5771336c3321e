"""HAProxy standing in for Route53's weighted records, configured from `ticketing:routing`.

The weights come from `RoutingConfig.effective_weights()` (the `routing_weights` code the Routing
component uses). Route53's rule for a healthy weight-0 record (it answers only when every record
with weight is unhealthy) is HAProxy's `backup`. Health checks are the component's: HTTP
`/readyz`, its interval scaled down by the drill's factor, its failure threshold as is. Clients
stick to a region by a hash of their id, as a resolver's cached answer keeps them on one.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from components.routing import (
    HEALTH_CHECK_FAILURE_THRESHOLD,
    HEALTH_CHECK_INTERVAL_SECONDS,
    HEALTH_CHECK_PATH,
    RoutingConfig,
)
from components.routing_weights import TARGETS

TARGET_HEADER = "X-Drill-Target"
CLIENT_HEADER = "X-Client-Id"
START_TIMEOUT_SECONDS = 10.0


def render_config(
    routing: RoutingConfig,
    listen_port: int,
    app_ports: Mapping[str, int],
    folder: Path,
    health_check_scale: float,
) -> str:
    weights = routing.effective_weights()
    interval_ms = max(100, round(HEALTH_CHECK_INTERVAL_SECONDS * 1000 * health_check_scale))
    servers = []
    for target in TARGETS:
        weight = weights.get(target, 0)
        role = f"weight {weight}" if weight > 0 else "backup"
        servers.append(f"    server {target} 127.0.0.1:{app_ports[target]} check {role}")
    return "\n".join(
        [
            f"# generated from ticketing:routing (phase {routing.selection.phase})",
            "global",
            "    maxconn 4096",
            "    hard-stop-after 30s",
            f"    stats socket {folder / 'haproxy.sock'} mode 600 level admin expose-fd listeners",
            f"    server-state-file {folder / 'haproxy.state'}",
            "defaults",
            "    mode http",
            "    load-server-state-from-file global",
            "    timeout connect 1s",
            "    timeout client 30s",
            "    timeout server 15s",
            "frontend tickets",
            f"    bind 127.0.0.1:{listen_port}",
            "    default_backend regions",
            # A reload closes the old worker's idle keep-alive connections at once, racing a client
            # about to reuse one (HAProxy 2.6 has no idle-close-on-response): one request per
            # connection, so that no reload can drop a request.
            "    option httpclose",
            "backend regions",
            f"    balance hdr({CLIENT_HEADER})",
            "    hash-type consistent",
            f"    option httpchk GET {HEALTH_CHECK_PATH}",
            "    http-check expect status 200",
            f"    default-server inter {interval_ms}ms fall {HEALTH_CHECK_FAILURE_THRESHOLD}"
            " rise 2",
            f"    http-response set-header {TARGET_HEADER} %s",
            *servers,
            "",
        ]
    )


def haproxy_binary() -> str:
    found = shutil.which("haproxy")
    if found is None:
        raise RuntimeError("haproxy not found on PATH (run scripts/install-system-deps.sh)")
    return found


@dataclass
class HAProxy:
    folder: Path
    binary: str = field(default_factory=haproxy_binary)
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def config_path(self) -> Path:
        return self.folder / "haproxy.cfg"

    def start(self, config: str) -> None:
        self.config_path.write_text(config)
        subprocess.run([self.binary, "-c", "-q", "-f", str(self.config_path)], check=True)
        log = open(self.folder / "haproxy.log", "ab")  # noqa: SIM115 -- the server keeps it open
        self.process = subprocess.Popen(
            [self.binary, "-W", "-db", "-f", str(self.config_path)],
            stdout=log,
            stderr=subprocess.STDOUT,
            process_group=0,
        )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not (self.folder / "haproxy.sock").exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"haproxy did not start; see {self.folder / 'haproxy.log'}")
            time.sleep(0.05)

    def reload(self, config: str) -> None:
        """Seamless: the master starts new workers on the same listening sockets and the old ones
        finish their connections. Server health carries over through the state file."""
        if self.process is None:
            raise RuntimeError("haproxy is not running")
        (self.folder / "haproxy.state").write_text(self.command("show servers state"))
        self.config_path.write_text(config)
        subprocess.run([self.binary, "-c", "-q", "-f", str(self.config_path)], check=True)
        os.kill(self.process.pid, signal.SIGUSR2)

    def command(self, line: str) -> str:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(2)
            connection.connect(str(self.folder / "haproxy.sock"))
            connection.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := connection.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def server_status(self) -> dict[str, str]:
        """Target -> UP, DOWN, ... as HAProxy's health checks see it now."""
        lines = self.command("show stat").lstrip("# ").splitlines()
        header = lines[0].split(",")
        rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:] if line]
        return {
            row["svname"]: row["status"].split(" ")[0]
            for row in rows
            if row.get("pxname") == "regions" and row["svname"] in TARGETS
        }

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
