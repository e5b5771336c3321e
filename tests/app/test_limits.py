"""Per-process abuse limits: joins per client address per second (X-Forwarded-For believed only
from trusted proxies) and availability WebSockets per address, each a 429 JSON with Retry-After."""

import asyncio
import ipaddress
from collections.abc import AsyncIterator, Sequence

import httpx
import pytest
import websockets

from tests.app.conftest import ADMIN, AppProcess, Stores, event_body
from ticketing.config import LimitSettings, Settings, SettingsError
from ticketing.limits import client_address

JOINS_PER_SECOND = 5
SOCKETS_PER_ADDRESS = 3


@pytest.fixture(scope="module")
async def limited(
    stores: Stores, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[AppProcess, AppProcess]]:
    """Two apps with small limits: one trusting nobody's X-Forwarded-For, one trusting
    127.0.0.1 (as if the tests were the load balancer)."""
    limits = {
        "TICKETING_JOINS_PER_IP_PER_SECOND": str(JOINS_PER_SECOND),
        "TICKETING_WEBSOCKETS_PER_IP": str(SOCKETS_PER_ADDRESS),
    }
    folder = tmp_path_factory.mktemp("limited")
    apps = (
        AppProcess(stores, folder, env=limits),
        AppProcess(stores, folder, env={**limits, "TICKETING_TRUSTED_PROXIES": "127.0.0.0/8"}),
    )
    try:
        for app in apps:
            await app.ready()
        async with httpx.AsyncClient(base_url=apps[0].url) as http:
            response = await http.put("/api/v1/events/limited", json=event_body(), headers=ADMIN)
            assert response.status_code in (200, 201), response.text
        yield apps
    finally:
        for app in apps:
            app.stop()


async def _burst(url: str, forwarded_for: Sequence[str | None]) -> list[httpx.Response]:
    """One join per entry, all at once, each as a new client, with that X-Forwarded-For."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        return await asyncio.gather(
            *(
                http.post(
                    "/api/v1/events/limited/queue",
                    headers={"X-Forwarded-For": header} if header else {},
                )
                for header in forwarded_for
            )
        )


def _statuses(responses: list[httpx.Response]) -> list[int]:
    return [response.status_code for response in responses]


async def test_joins_per_address_per_second(limited: tuple[AppProcess, AppProcess]) -> None:
    responses = await _burst(limited[0].url, [None] * 30)
    statuses = _statuses(responses)
    # one burst may straddle the turn of a second: two windows at most
    assert 1 <= statuses.count(201) <= 2 * JOINS_PER_SECOND, statuses
    assert set(statuses) == {201, 429}, statuses
    refused = next(response for response in responses if response.status_code == 429)
    assert refused.json()["error"] == "rate_limited"
    assert refused.headers["retry-after"] == "1"
    await asyncio.sleep(1.1)
    assert _statuses(await _burst(limited[0].url, [None])) == [201]


async def test_forwarded_for_is_ignored_from_an_untrusted_peer(
    limited: tuple[AppProcess, AppProcess],
) -> None:
    spoofed = [f"198.51.100.{index}" for index in range(30)]
    statuses = _statuses(await _burst(limited[0].url, spoofed))
    assert statuses.count(201) <= 2 * JOINS_PER_SECOND, statuses


async def test_forwarded_for_names_the_client_behind_a_trusted_proxy(
    limited: tuple[AppProcess, AppProcess],
) -> None:
    # each client its own budget...
    distinct = [f"198.51.100.{index}" for index in range(30)]
    assert set(_statuses(await _burst(limited[1].url, distinct))) == {201}
    # ...and what a client writes in front of the proxy's entry changes nothing
    one_client = [f"203.0.113.{index}, 192.0.2.7" for index in range(30)]
    statuses = _statuses(await _burst(limited[1].url, one_client))
    assert statuses.count(201) <= 2 * JOINS_PER_SECOND and 429 in statuses, statuses


async def test_availability_websockets_per_address(limited: tuple[AppProcess, AppProcess]) -> None:
    url = limited[0].url.replace("http", "ws") + "/api/v1/events/limited/availability/ws"
    sockets = [await websockets.connect(url) for _ in range(SOCKETS_PER_ADDRESS)]
    try:
        for socket in sockets:
            assert "slots" in await asyncio.wait_for(socket.recv(), 10)
        async with websockets.connect(url) as refused:
            assert '"error":"rate_limited"' in await asyncio.wait_for(refused.recv(), 10)
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(refused.recv(), 10)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4429
        await sockets.pop().close()
        await asyncio.sleep(0.2)  # the server notices the close
        sockets.append(await websockets.connect(url))
        assert "slots" in await asyncio.wait_for(sockets[-1].recv(), 10)
    finally:
        for socket in sockets:
            await socket.close()


TRUSTED = (ipaddress.ip_network("10.0.0.0/16"), ipaddress.ip_network("fd00::/8"))


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "address"),
    [
        ("198.51.100.1", "203.0.113.9", "198.51.100.1"),  # peer not a proxy: header ignored
        ("10.0.3.4", "203.0.113.9", "203.0.113.9"),  # through the ALB
        ("10.0.3.4", "1.1.1.1, 203.0.113.9", "203.0.113.9"),  # the client's own entry ignored
        ("10.0.3.4", "203.0.113.9, 10.0.9.9", "203.0.113.9"),  # through two trusted proxies
        ("10.0.3.4", "10.0.9.9", "10.0.9.9"),  # nothing but proxies: the first of them
        ("10.0.3.4", "not-an-address", "10.0.3.4"),
        ("10.0.3.4", None, "10.0.3.4"),
        ("fd00::1", "2001:db8::7", "2001:db8::7"),
        (None, "203.0.113.9", "unknown"),
    ],
)
def test_client_address(peer: str | None, forwarded_for: str | None, address: str) -> None:
    assert client_address(peer, forwarded_for, TRUSTED) == address


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TICKETING_JOINS_PER_IP_PER_SECOND", "-1"),
        ("TICKETING_JOINS_PER_IP_PER_SECOND", "many"),
        ("TICKETING_WEBSOCKETS_PER_IP", "2.5"),
        ("TICKETING_UNKNOWN_EVENT_TTL_SECONDS", "forever"),
        ("TICKETING_TRUSTED_PROXIES", "10.0.0.0/16,10.1.0.0/33"),
    ],
)
def test_bad_limit_settings_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        LimitSettings.from_env()


def test_limit_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "TICKETING_REDIS_URL": "redis://127.0.0.1:1/0",
        "TICKETING_DATABASE_URL": "postgresql://x@127.0.0.1:1/x",
        "TICKETING_ADMIN_TOKEN": "admin",
        "TICKETING_SECRET": "0123456789abcdef",
        "TICKETING_JOINS_PER_IP_PER_SECOND": "0",
        "TICKETING_WEBSOCKETS_PER_IP": "7",
        "TICKETING_UNKNOWN_EVENT_TTL_SECONDS": "2.5",
        "TICKETING_TRUSTED_PROXIES": "10.0.0.0/20, 10.0.16.0/20",
    }.items():
        monkeypatch.setenv(name, value)
    assert Settings.from_env().limits == LimitSettings(
        0, 7, 2.5, (ipaddress.ip_network("10.0.0.0/20"), ipaddress.ip_network("10.0.16.0/20"))
    )
