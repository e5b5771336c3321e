"""A drill "region" on loopback: `ticketing serve` with its own redis-server, and a PostgreSQL
that is either the primary or a streaming (physical) replica of another region's.

The servers are the app's own private instances (`ticketing.embedded`); a replica's data folder is
a `pg_basebackup` of its source with a replication slot, so the server starts in hot standby.
Start every process from the drill's main thread: on Linux they stop when it ends.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ops.dr.local_postgres import LocalMember, member_arn, psql_query
from ticketing.embedded import (
    EmbeddedPostgres,
    EmbeddedRedis,
    _find_binary,
    _postgres_user,
    _stops_with_starter,
    free_port,
)
from ticketing.limits import PER_ADDRESS_LIMITS_OFF

READY_TIMEOUT_SECONDS = 60.0


@dataclass
class Region:
    name: str
    target: str
    aws_region: str
    folder: Path
    secrets: dict[str, str]
    app_port: int = field(default_factory=free_port)
    postgres: EmbeddedPostgres | None = None
    redis: EmbeddedRedis | None = None
    app: subprocess.Popen[bytes] | None = None
    generation: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.app_port}"

    @property
    def member(self) -> LocalMember:
        if self.postgres is None:
            raise RuntimeError(f"{self.name} has no database")
        return LocalMember(member_arn(self.aws_region, self.name), "127.0.0.1", self.postgres.port)

    def _next_folder(self, kind: str) -> Path:
        self.generation += 1
        folder = self.folder / f"{kind}-{self.generation}"
        folder.mkdir(parents=True)
        return folder

    def start_primary(self) -> None:
        self.postgres = EmbeddedPostgres(self._next_folder("postgres"))
        self.postgres.start()

    def start_replica_of(self, source: Region) -> None:
        folder = self._next_folder("postgres")
        run_as = _postgres_user()
        uid, gid = run_as or (None, None)
        if run_as is not None:
            os.chown(folder, *run_as)
        subprocess.run(
            [
                _find_binary("pg_basebackup"),
                "-h",
                "127.0.0.1",
                "-p",
                str(source.member.port),
                "-U",
                "ticketing",
                "-D",
                str(folder / "pgdata"),
                "-X",
                "stream",
                "--write-recovery-conf",
                "--create-slot",
                "--slot",
                f"{self.name}_{self.generation}",
                "--checkpoint",
                "fast",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            user=uid,
            group=gid,
        )
        self.postgres = EmbeddedPostgres(folder)
        self.postgres.start()

    def in_recovery(self) -> bool:
        return psql_query(self.member, "SELECT pg_is_in_recovery()") == "t"

    def start_app(self) -> None:
        """A fresh Redis (a lost region's queue state is gone) and the app on the same port."""
        if self.postgres is None:
            raise RuntimeError(f"{self.name} has no database")
        self.redis = EmbeddedRedis(self._next_folder("redis"))
        self.redis.start()
        log = open(self.folder / f"app-{self.generation}.log", "ab")  # noqa: SIM115 -- child's
        self.app = subprocess.Popen(
            [sys.executable, "-m", "ticketing.cli", "serve", "--port", str(self.app_port)],
            env={
                **os.environ,
                "TICKETING_REDIS_URL": self.redis.url,
                "TICKETING_DATABASE_URL": self.postgres.url,
                # every buyer reaches the app from 127.0.0.1, through HAProxy
                **PER_ADDRESS_LIMITS_OFF,
                **self.secrets,
            },
            stdout=log,
            stderr=subprocess.STDOUT,
            process_group=0,
            preexec_fn=_stops_with_starter,
        )
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while not self._ready():
            if self.app.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name}'s app is not ready; see {self.folder}")
            time.sleep(0.2)

    def create_event(self, event_id: str, slot_capacity: dict[str, int]) -> None:
        """Through the admin API, as an operator creates one."""
        body = {
            "name": "DR drill",
            "slots": [
                {"id": slot, "label": slot, "capacity": seats}
                for slot, seats in slot_capacity.items()
            ],
            "admit_per_second": 500.0,
            "max_active": 2000,
            "access_ttl_seconds": 120,
            "hold_ttl_seconds": 120,
            "max_per_client": 4,
        }
        response = httpx.put(
            f"{self.url}/api/v1/events/{event_id}",
            json=body,
            headers={"Authorization": f"Bearer {self.secrets['TICKETING_ADMIN_TOKEN']}"},
            timeout=10,
        )
        response.raise_for_status()

    def _ready(self) -> bool:
        try:
            return httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        """SIGKILL to the app, Redis and PostgreSQL at once, each with its whole process group."""
        processes = [
            process
            for process in (
                self.app,
                self.redis.process if self.redis else None,
                self.postgres.process if self.postgres else None,
            )
            if process is not None and process.poll() is None
        ]
        for process in processes:
            os.killpg(process.pid, signal.SIGKILL)
        for process in processes:
            process.wait()

    def stop(self) -> None:
        if self.app is not None and self.app.poll() is None:
            self.app.terminate()
            try:
                self.app.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.app.kill()
                self.app.wait()
        for server in (self.redis, self.postgres):
            if server is not None:
                server.stop()
