"""Private redis-server (one node, or a small Redis Cluster) and PostgreSQL instances in a
temporary folder, on free ports.

Used by `ticketing serve` without URLs and by the tests. PostgreSQL refuses to run as root, so
as root its processes run as the `postgres` (or `nobody`) user.

Each server runs in a process group of its own: a Ctrl-C, which the terminal sends to its whole
foreground group, reaches only the app, which shuts down gracefully (in-flight requests still have
Redis and PostgreSQL) and then stops its servers. On Linux each server also gets SIGTERM when the
process that started it dies, so none outlives a killed app or test run.
"""

import ctypes
import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

START_TIMEOUT_SECONDS = 30.0


class EmbeddedServerError(RuntimeError):
    """A server binary is missing or did not start; the message says which and why."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _find_binary(name: str) -> str:
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    if found is None:
        raise EmbeddedServerError(
            f"{name} not found on PATH or under /usr/lib/postgresql/*/bin "
            "(run scripts/install-system-deps.sh)"
        )
    return found


def _wait_for_port(port: int, process: subprocess.Popen[bytes], name: str, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EmbeddedServerError(
                f"{name} exited with {process.returncode}: {log_path.read_text()[-2000:]}"
            )
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise EmbeddedServerError(
        f"{name} did not listen on port {port} within {START_TIMEOUT_SECONDS:.0f}s"
    )


PR_SET_PDEATHSIG = 1
# Looked up here: in the forked child, before exec, only already-resolved calls are safe.
_prctl = getattr(ctypes.CDLL(None, use_errno=True), "prctl", None)


def _stops_with_starter() -> None:
    """A child's last step before exec (after any change of user, which would clear it): SIGTERM
    when
    the thread that started it ends. Without prctl (not Linux) the server's own group still keeps it
    from a terminal's Ctrl-C, and `stop` still stops it."""
    if _prctl is not None:
        _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _start_server(
    argv: list[str], log: int | IO[bytes], run_as: tuple[int, int] | None = None
) -> subprocess.Popen[bytes]:
    uid, gid = run_as or (None, None)
    return subprocess.Popen(
        argv,
        stdout=log,
        stderr=subprocess.STDOUT,
        process_group=0,
        preexec_fn=_stops_with_starter,
        user=uid,
        group=gid,
    )


def _stop(process: subprocess.Popen[bytes] | None, kill: bool = False) -> None:
    if process is None or process.poll() is not None:
        return
    process.kill() if kill else process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class EmbeddedRedis:
    folder: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    extra_args: list[str] = field(default_factory=list)  # set by EmbeddedRedisCluster for its nodes

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Starts (or restarts, on the same port) an empty, non-persistent redis-server."""
        log_path = self.folder / "redis.log"
        self.process = _start_server(
            [
                _find_binary("redis-server"),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
                "--logfile",
                str(log_path),
                "--maxclients",
                "10000",
                *self.extra_args,
            ],
            subprocess.DEVNULL,
        )
        _wait_for_port(self.port, self.process, "redis-server", log_path)

    def stop(self, kill: bool = False) -> None:
        _stop(self.process, kill)


def _self_signed_certificate(folder: Path) -> Path:
    """A certificate for 127.0.0.1 that is its own CA, with its key beside it (`.key`)."""
    certificate = folder / "tls.crt"
    subprocess.run(
        [
            _find_binary("openssl"),
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(certificate.with_suffix(".key")),
            "-out",
            str(certificate),
        ],
        check=True,
        capture_output=True,
    )
    return certificate


@dataclass
class EmbeddedRedisCluster:
    """Redis Cluster primaries without replicas, each in a subfolder, with TLS and AUTH as on
    ElastiCache (the URL carries the password and the CA certificate).

    A restart keeps each node's `nodes.conf`, so the nodes rejoin as the same cluster, empty."""

    folder: Path
    size: int = 3
    password: str = field(default_factory=lambda: secrets.token_hex(16))
    nodes: list[EmbeddedRedis] = field(init=False)
    certificate: Path = field(init=False)

    def __post_init__(self) -> None:
        self.certificate = _self_signed_certificate(self.folder)
        tls = [
            "--tls-cert-file",
            str(self.certificate),
            "--tls-key-file",
            str(self.certificate.with_suffix(".key")),
            "--tls-ca-cert-file",
            str(self.certificate),
            "--tls-auth-clients",
            "no",
            "--tls-cluster",
            "yes",
        ]
        self.nodes = []
        for index in range(self.size):
            node_folder, port = self.folder / f"redis-node-{index}", free_port()
            node_folder.mkdir(exist_ok=True)
            # the cluster bus port is explicit: the default, port + 10000, may be
            # taken or out of range
            self.nodes.append(
                EmbeddedRedis(
                    node_folder,
                    port,
                    extra_args=[
                        "--port",
                        "0",
                        "--tls-port",
                        str(port),
                        *tls,
                        "--cluster-enabled",
                        "yes",
                        "--cluster-port",
                        str(free_port()),
                        "--cluster-node-timeout",
                        "2000",
                        "--requirepass",
                        self.password,
                        "--masterauth",
                        self.password,
                    ],
                )
            )

    @property
    def url(self) -> str:
        return f"rediss://:{self.password}@127.0.0.1:{self.nodes[0].port}/0?ssl_ca_certs={self.certificate}"

    def _cli(self, *args: str) -> str:
        command = [
            _find_binary("redis-cli"),
            "--tls",
            "--cacert",
            str(self.certificate),
            "-a",
            self.password,
            "--no-auth-warning",
            *args,
        ]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=START_TIMEOUT_SECONDS, check=False
        )
        if done.returncode != 0:
            raise EmbeddedServerError(
                f"redis-cli {' '.join(args)} failed: {done.stdout}{done.stderr}"
            )
        return done.stdout

    def start(self) -> None:
        formed = (self.nodes[0].folder / "nodes.conf").exists()
        for node in self.nodes:
            node.start()
        if not formed:
            self._cli(
                "--cluster",
                "create",
                *(f"127.0.0.1:{node.port}" for node in self.nodes),
                "--cluster-replicas",
                "0",
                "--cluster-yes",
            )
        self._wait_until_ok()

    def _wait_until_ok(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not all(
            "cluster_state:ok" in self._cli("-p", str(node.port), "cluster", "info")
            for node in self.nodes
        ):
            if time.monotonic() > deadline:
                raise EmbeddedServerError(
                    f"the Redis Cluster in {self.folder} is not ok after"
                    f" {START_TIMEOUT_SECONDS:.0f}s"
                )
            time.sleep(0.1)

    def stop(self, kill: bool = False) -> None:
        for node in self.nodes:
            node.stop(kill)


def _postgres_user() -> tuple[int, int] | None:
    """As root, the (uid, gid) of an unprivileged user for PostgreSQL's processes."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            user = pwd.getpwnam(name)
        except KeyError:
            continue
        return user.pw_uid, user.pw_gid
    raise EmbeddedServerError(
        "running as root needs a 'postgres' or 'nobody' user to run PostgreSQL"
    )


@dataclass
class EmbeddedPostgres:
    folder: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    # Whether `start(recovering=True)` wrote standby.signal: a later `start()` removes only that
    # one, never the signal of a streaming replica's data folder (pg_basebackup -R writes it).
    wrote_standby_signal: bool = field(default=False, init=False, repr=False)

    @property
    def url(self) -> str:
        return f"postgresql://ticketing@127.0.0.1:{self.port}/postgres"

    def start(self, recovering: bool = False) -> None:
        """Starts (or restarts, on the same port) the server. `recovering` starts it as a standby
        with no primary and hot standby off: it listens but refuses every connection with
        "the database system is not accepting connections", as a server replaying its WAL after a
        crash or a replica being promoted does."""
        data, log_path = self.folder / "pgdata", self.folder / "postgres.log"
        run_as = _postgres_user()
        if run_as is not None:
            # initdb and the server run as the postgres user; Redis (root) still writes beside them
            os.chown(self.folder, *run_as)
        if not data.exists():
            uid, gid = run_as or (None, None)
            subprocess.run(
                [
                    _find_binary("initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "ticketing",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                    "--no-instructions",
                ],
                check=True,
                capture_output=True,
                user=uid,
                group=gid,
            )
        standby_signal = data / "standby.signal"
        if recovering:
            standby_signal.touch()
            self.wrote_standby_signal = True
        elif self.wrote_standby_signal:
            standby_signal.unlink(missing_ok=True)
            self.wrote_standby_signal = False
        with open(log_path, "ab") as log_file:
            self.process = _start_server(
                [
                    _find_binary("postgres"),
                    "-D",
                    str(data),
                    "-p",
                    str(self.port),
                    "-k",
                    str(self.folder),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    "max_connections=300",
                    "-c",
                    f"hot_standby={'off' if recovering else 'on'}",
                ],
                log_file,
                run_as,
            )
        _wait_for_port(self.port, self.process, "postgres", log_path)
        if not recovering:
            self._wait_until_accepting()

    def _wait_until_accepting(self) -> None:
        """The port opens before recovery finishes; pg_isready says when connections are
        accepted.
        """
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        command = [
            _find_binary("pg_isready"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "ticketing",
            "-q",
        ]
        while subprocess.run(command, check=False).returncode != 0:
            if time.monotonic() > deadline:
                raise EmbeddedServerError(
                    f"postgres did not accept connections within {START_TIMEOUT_SECONDS:.0f}s"
                )
            time.sleep(0.05)

    def stop(self, kill: bool = False) -> None:
        _stop(self.process, kill)


@dataclass
class EmbeddedServers:
    """A Redis and a PostgreSQL in one temporary folder, removed on stop. Start them from a thread
    that lives as long as they should: on Linux they stop when it ends."""

    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="ticketing-")))
    redis: EmbeddedRedis = field(init=False)
    postgres: EmbeddedPostgres = field(init=False)

    def __post_init__(self) -> None:
        self.redis = EmbeddedRedis(self.folder)
        self.postgres = EmbeddedPostgres(self.folder)

    def start(self) -> "EmbeddedServers":
        try:
            self.redis.start()
            self.postgres.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        self.redis.stop()
        self.postgres.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
