"""Redis or PostgreSQL away (killed, stopped, restarting, in recovery) is a 503 JSON error with
Retry-After on every route, HTTP and WebSocket, never a 500. The servers here are private to this
module: killing them does not disturb the other tests."""

import asyncio
import signal
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
import websockets
from redis.exceptions import ClusterDownError, RedisClusterException
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from starlette.requests import Request

from tests.app.conftest import (
    ADMIN,
    AppProcess,
    Stores,
    admitted_token,
    bearer,
    client_headers,
    event_body,
)
from ticketing.embedded import EmbeddedServers
from ticketing.web.error_handlers import error_response_for


@pytest.fixture(scope="module")
async def app(
    servers: EmbeddedServers, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[AppProcess]:
    stores = Stores(servers.redis.url, servers.postgres.url, servers.redis)
    process = AppProcess(stores, tmp_path_factory.mktemp("app"))
    try:
        yield await process.ready()
    finally:
        process.stop()


@pytest.fixture
async def http(app: AppProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=app.url, timeout=30) as client:
        yield client


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["error"] == "unavailable"
    assert int(response.headers["retry-after"]) >= 1


async def _until_served(http: httpx.AsyncClient, path: str, timeout: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while (await http.get(path)).status_code != 200:
        assert asyncio.get_running_loop().time() < deadline, f"{path} not served again"
        await asyncio.sleep(0.2)


async def _event_with_hold(http: httpx.AsyncClient, event_id: str) -> tuple[str, str]:
    """An event, an admitted client's access token and one hold of theirs."""
    created = await http.put(f"/api/v1/events/{event_id}", json=event_body(), headers=ADMIN)
    assert created.status_code == 201, created.text
    token = await admitted_token(http, event_id)
    hold = await http.post(
        f"/api/v1/events/{event_id}/holds",
        json={"slot_id": "a", "quantity": 1},
        headers=bearer(token),
    )
    assert hold.status_code == 201, hold.text
    return token, hold.json()["hold_id"]


async def _postgres_routes(http: httpx.AsyncClient, token: str, hold_id: str) -> None:
    """Every route that needs PostgreSQL answers 503."""
    assert_unavailable(
        await http.put("/api/v1/events/pg-down-new", json=event_body(), headers=ADMIN)
    )
    assert_unavailable(await http.post("/api/v1/events/pg-down-new/pause", headers=ADMIN))
    assert_unavailable(await http.get("/api/v1/events/never-seen-event"))  # Redis misses: SQL
    assert_unavailable(
        await http.post(
            f"/api/v1/holds/{hold_id}/confirm",
            headers={**bearer(token), "Idempotency-Key": "pg-down"},
        )
    )
    assert_unavailable(await http.get("/api/v1/bookings/b_unknown", headers=bearer(token)))


async def test_postgres_killed_is_503_then_served_again(
    http: httpx.AsyncClient, servers: EmbeddedServers
) -> None:
    token, hold_id = await _event_with_hold(http, "pg-killed")
    servers.postgres.stop(kill=True)
    try:
        await _postgres_routes(http, token, hold_id)
    finally:
        servers.postgres.start()
    await _until_served(http, "/readyz")
    confirmed = await http.post(
        f"/api/v1/holds/{hold_id}/confirm", headers={**bearer(token), "Idempotency-Key": "k1"}
    )
    assert confirmed.status_code == 201, confirmed.text


async def test_unknown_event_ids_are_remembered_without_postgres(
    http: httpx.AsyncClient, servers: EmbeddedServers
) -> None:
    """An id PostgreSQL did not have is answered 404 from memory for a few seconds: with
    PostgreSQL gone, it is still a 404, while an id never asked about needs PostgreSQL (503)."""
    assert (await http.get("/api/v1/events/no-such-event")).status_code == 404
    servers.postgres.stop(kill=True)
    try:
        for path in ("/api/v1/events/no-such-event", "/api/v1/events/no-such-event/queue"):
            response = await http.request("GET" if path.endswith("event") else "POST", path)
            assert (response.status_code, response.json()["error"]) == (404, "event_not_found")
        assert_unavailable(await http.get("/api/v1/events/another-unknown-event"))
    finally:
        servers.postgres.start()
    await _until_served(http, "/readyz")
    # creating the event ends the memory at once on this replica
    created = await http.put("/api/v1/events/no-such-event", json=event_body(), headers=ADMIN)
    assert created.status_code == 201, created.text
    assert (await http.get("/api/v1/events/no-such-event")).status_code == 200


async def test_postgres_in_recovery_is_503(
    http: httpx.AsyncClient, servers: EmbeddedServers, app: AppProcess
) -> None:
    token, hold_id = await _event_with_hold(http, "pg-recovering")
    servers.postgres.stop()
    servers.postgres.start(recovering=True)
    try:
        await _postgres_routes(http, token, hold_id)
    finally:
        servers.postgres.stop()
        servers.postgres.start()
    # the refusals were PostgreSQL's own "not accepting connections" (SQLSTATE 57P03)
    assert "CannotConnectNowError" in app.log_path.read_text()
    await _until_served(http, "/readyz")


async def test_redis_killed_is_503_on_http_and_websocket_routes(
    http: httpx.AsyncClient, servers: EmbeddedServers, app: AppProcess
) -> None:
    token, hold_id = await _event_with_hold(http, "redis-killed")
    joined = await http.post("/api/v1/events/redis-killed/queue", headers=client_headers())
    ticket = joined.json()["ticket"]
    servers.redis.stop(kill=True)
    try:
        assert_unavailable(await http.get("/api/v1/events/redis-killed"))
        assert_unavailable(
            await http.post("/api/v1/events/redis-killed/queue", headers=client_headers())
        )
        assert_unavailable(
            await http.post(
                "/api/v1/events/redis-killed/holds",
                json={"slot_id": "a", "quantity": 1},
                headers=bearer(token),
            )
        )
        assert_unavailable(await http.delete(f"/api/v1/holds/{hold_id}", headers=bearer(token)))
        assert_unavailable(
            await http.put("/api/v1/events/redis-killed", json=event_body(), headers=ADMIN)
        )
        ws_url = app.url.replace("http", "ws") + "/api/v1/events/redis-killed"
        for path in ("/availability/ws", f"/queue/ws?ticket={ticket}"):
            async with websockets.connect(ws_url + path) as socket:
                refusal = await asyncio.wait_for(socket.recv(), 30)
                assert '"error":"unavailable"' in refusal
                with pytest.raises(websockets.ConnectionClosed) as closed:
                    await asyncio.wait_for(socket.recv(), 30)
                assert closed.value.rcvd is not None and closed.value.rcvd.code == 4503
    finally:
        servers.redis.start()
    await _until_served(http, "/readyz")
    assert "internal_error" not in app.log_path.read_text()


# The app's Redis socket timeout (2 s, redis_clients.py) with room for a loaded machine. A timeout
# neither resends into the stalled server nor leaves the calls queued behind it waiting their own
# (batching.py); the redis-py default of 5 s with those took 10 s or more.
STALL_ANSWER_SECONDS = 6


async def _remaining(http: httpx.AsyncClient, event_id: str) -> int:
    shown = await http.get(f"/api/v1/events/{event_id}")
    assert shown.status_code == 200, shown.text
    return int(shown.json()["slots"][0]["remaining"])


async def _until_remaining(http: httpx.AsyncClient, event_id: str, expected: int) -> None:
    deadline = asyncio.get_running_loop().time() + 10
    while (shown := await _remaining(http, event_id)) != expected:
        assert asyncio.get_running_loop().time() < deadline, f"remaining {shown} != {expected}"
        await asyncio.sleep(0.2)


async def test_redis_stopped_is_503_in_bounded_time_then_converges(
    http: httpx.AsyncClient, servers: EmbeddedServers
) -> None:
    """A stalled Redis (SIGSTOP) answers nothing: requests get 503 with Retry-After once the socket
    timeout passes instead of hanging. Redis runs the stalled calls after SIGCONT; a hold retried
    with its Idempotency-Key gets that call's real outcome, a hold answered 503 without a key
    holds nothing, and the seats shown are PostgreSQL's remaining minus the live holds."""
    token, _ = await _event_with_hold(http, "redis-stopped")
    capacity = event_body()["slots"][0]["capacity"]
    hold_path = "/api/v1/events/redis-stopped/holds"
    seat = {"slot_id": "a", "quantity": 1}
    assert servers.redis.process is not None
    servers.redis.process.send_signal(signal.SIGSTOP)
    try:
        for request in (
            http.post(hold_path, json=seat, headers={**bearer(token), "Idempotency-Key": "k"}),
            http.post(hold_path, json=seat, headers=bearer(token)),
            http.post("/api/v1/events/redis-stopped/queue", headers=client_headers()),
            http.put("/api/v1/events/redis-new", json=event_body(), headers=ADMIN),
        ):
            assert_unavailable(await asyncio.wait_for(request, STALL_ANSWER_SECONDS))
    finally:
        servers.redis.process.send_signal(signal.SIGCONT)
    await _until_served(http, "/api/v1/events/redis-stopped")
    retried = await http.post(
        hold_path, json=seat, headers={**bearer(token), "Idempotency-Key": "k"}
    )
    assert retried.status_code in (200, 201), retried.text
    again = await http.post(hold_path, json=seat, headers={**bearer(token), "Idempotency-Key": "k"})
    assert again.status_code == 200 and again.json() == retried.json()
    # the first hold and the keyed one are live; the key-less 503 left nothing behind
    await _until_remaining(http, "redis-stopped", capacity - 2)


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator"),
        asyncpg.exceptions.TooManyConnectionsError("too many clients"),
        asyncpg.InternalClientError("cannot switch to state 15"),
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"),
        asyncpg.exceptions.ReadOnlySQLTransactionError("read-only transaction"),
        ConnectionResetError(104, "Connection reset by peer"),
        TimeoutError(),
        RedisConnectionError("Error 111 connecting"),
        RedisTimeoutError("Timeout reading from socket"),
        ClusterDownError("CLUSTERDOWN The cluster is down"),
        RedisClusterException("Redis Cluster cannot be connected"),
    ],
    ids=lambda error: type(error).__name__,
)
async def test_every_dependency_error_is_a_503_with_retry_after(error: Exception) -> None:
    """The errors no test server produces on demand, through the same handler table."""
    scope = {"type": "http", "method": "GET", "path": "/x", "headers": [], "query_string": b""}
    response = await error_response_for(Request(scope), error)
    assert response.status_code == 503
    assert (b"retry-after", b"1") in response.raw_headers
