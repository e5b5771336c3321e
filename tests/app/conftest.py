"""Real Redis and PostgreSQL for the app tests: private instances (embedded module) unless
TICKETING_TEST_REDIS_URL / TICKETING_TEST_DATABASE_URL point at running ones."""

import asyncio
import os
import secrets
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest

from ticketing.embedded import EmbeddedRedis, EmbeddedRedisCluster, EmbeddedServers, free_port
from ticketing.limits import PER_ADDRESS_LIMITS_OFF

ADMIN_TOKEN = "test-admin-token"
SECRET = b"test-secret-test-secret-0123456789"


class Stores:
    """The Redis and PostgreSQL the tests run against; `redis_server` only when private."""

    def __init__(
        self,
        redis_url: str,
        database_url: str,
        redis_server: EmbeddedRedis | EmbeddedRedisCluster | None,
        redis_cluster: bool = False,
    ) -> None:
        self.redis_url, self.database_url, self.redis_server = redis_url, database_url, redis_server
        self.redis_cluster = redis_cluster

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "TICKETING_REDIS_URL": self.redis_url,
            "TICKETING_DATABASE_URL": self.database_url,
            "TICKETING_REDIS_CLUSTER": str(self.redis_cluster).lower(),
            "TICKETING_ADMIN_TOKEN": ADMIN_TOKEN,
            "TICKETING_SECRET": SECRET.decode(),
            **PER_ADDRESS_LIMITS_OFF,  # every test client is 127.0.0.1 (test_limits.py sets them)
        }


@pytest.fixture(scope="session")
def stores() -> Iterator[Stores]:
    redis_url, database_url = (
        os.environ.get("TICKETING_TEST_REDIS_URL"),
        os.environ.get("TICKETING_TEST_DATABASE_URL"),
    )
    if redis_url and database_url:
        yield Stores(redis_url, database_url, None)
        return
    servers = EmbeddedServers().start()
    try:
        yield Stores(servers.redis.url, servers.postgres.url, servers.redis)
    finally:
        servers.stop()


@pytest.fixture(scope="module")
def servers() -> Iterator[EmbeddedServers]:
    """Redis and PostgreSQL of a module's own (not the session's stores), for tests that stop,
    kill or restart them, or that must not see other modules' events."""
    started = EmbeddedServers().start()
    try:
        yield started
    finally:
        started.stop()


class AppProcess:
    """One app instance: `ticketing serve` against the test stores, in its own process;
    over HTTPS when given a (certificate file, key file) pair."""

    def __init__(
        self,
        stores: Stores,
        log_folder: Path,
        tls: tuple[Path, Path] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.port = free_port()
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.log_path = log_folder / f"app-{self.port}.log"
        tls_env = (
            {}
            if tls is None
            else {"TICKETING_TLS_CERT_FILE": str(tls[0]), "TICKETING_TLS_KEY_FILE": str(tls[1])}
        )
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "ticketing.cli",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                env={**stores.env(), **tls_env, **(env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def ready(self, timeout: float = 30) -> "AppProcess":
        deadline = time.monotonic() + timeout
        # like the ALB, the probe does not validate the (self-signed) certificate of an HTTPS app
        async with httpx.AsyncClient(verify=False) as probe:
            while time.monotonic() < deadline:
                assert self.process.poll() is None, self.log_path.read_text()
                try:
                    if (await probe.get(f"{self.url}/readyz")).status_code == 200:
                        return self
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError(f"app not ready in {timeout}s: {self.log_path.read_text()}")

    def stop(self, kill: bool = False) -> None:
        if self.process.poll() is None:
            self.process.kill() if kill else self.process.terminate()
        self.process.wait(timeout=20)


@asynccontextmanager
async def running_apps(
    stores: Stores, log_folder: Path, count: int = 1, tls: tuple[Path, Path] | None = None
) -> AsyncIterator[list[AppProcess]]:
    apps = [AppProcess(stores, log_folder, tls) for _ in range(count)]
    try:
        yield [await app.ready() for app in apps]
    finally:
        for app in apps:
            app.stop()


async def one_app(stores: Stores, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """The URL of one app serving the tests; a fixture here per session (a module may narrow it)."""
    async with running_apps(stores, tmp_path_factory.mktemp("app")) as (app,):
        yield app.url


base_url = pytest.fixture(scope="session", name="base_url")(one_app)


def database_url(server_url: str, name: str) -> str:
    """The URL of database `name` on the server of `server_url`."""
    return urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))


@asynccontextmanager
async def private_database(stores: Stores, prefix: str) -> AsyncIterator[str]:
    """A new, empty database on the tests' PostgreSQL server (its name), dropped afterwards."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(stores.database_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield name
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
async def http(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=1000, max_keepalive_connections=1000)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:
        yield client


ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def event_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Test premiere",
        "slots": [
            {"id": "a", "label": "18:00", "capacity": 50},
            {"id": "b", "label": "21:00", "capacity": 10},
        ],
        "admit_per_second": 10_000,
        "max_active": 10_000,
        "access_ttl_seconds": 60,
        "hold_ttl_seconds": 60,
        "max_per_client": 4,
    }
    return {**body, **overrides}


@pytest.fixture
def new_event(http: httpx.AsyncClient) -> Callable[..., Any]:
    """Creates an event with a fresh id; keyword arguments override the body."""

    async def create(**overrides: Any) -> str:
        event_id = "ev-" + secrets.token_hex(6)
        response = await http.put(
            f"/api/v1/events/{event_id}", json=event_body(**overrides), headers=ADMIN
        )
        assert response.status_code == 201, response.text
        return event_id

    return create


def client_headers() -> dict[str, str]:
    return {"X-Client-Id": secrets.token_urlsafe(12)}


async def join(
    http: httpx.AsyncClient, event_id: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    response = await http.post(
        f"/api/v1/events/{event_id}/queue", headers=headers or client_headers()
    )
    assert response.status_code in (200, 201), response.text
    return response.json()


async def wait_for_access(
    http: httpx.AsyncClient, event_id: str, ticket: str, timeout: float = 20
) -> dict[str, Any]:
    """Polls the client's place until admitted; returns the last status."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        response = await http.get(
            f"/api/v1/events/{event_id}/queue/me", headers={"Authorization": f"Bearer {ticket}"}
        )
        assert response.status_code == 200, response.text
        place = response.json()
        if place["admitted"]:
            return place
        assert asyncio.get_running_loop().time() < deadline, f"not admitted in {timeout}s: {place}"
        await asyncio.sleep(0.25)


async def admitted_token(http: httpx.AsyncClient, event_id: str) -> str:
    joined = await join(http, event_id)
    return (await wait_for_access(http, event_id, joined["ticket"]))["access_token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
