"""Live pushes over WebSocket: queue position until admission, and slot availability."""

import asyncio
import secrets

import httpx
import orjson
import websockets

from tests.app.conftest import ADMIN, admitted_token, bearer, event_body, join, running_apps


def _ws_url(base_url: str, path: str) -> str:
    return base_url.replace("http://", "ws://") + path


async def _receive(socket: websockets.ClientConnection, timeout: float = 5) -> dict:
    return orjson.loads(await asyncio.wait_for(socket.recv(), timeout))


async def test_queue_socket_pushes_positions_then_the_access_token(
    http: httpx.AsyncClient, base_url: str, new_event
) -> None:
    event_id = await new_event(admit_per_second=3)
    await http.post(f"/api/v1/events/{event_id}/pause", headers=ADMIN)
    joined = [await join(http, event_id) for _ in range(4)]
    url = _ws_url(base_url, f"/api/v1/events/{event_id}/queue/ws?ticket={joined[-1]['ticket']}")
    async with websockets.connect(url) as socket:
        first = await _receive(socket)
        assert (first["number"], first["position"], first["admitted"], first["access_token"]) == (
            4,
            4,
            False,
            None,
        )
        await http.post(f"/api/v1/events/{event_id}/resume", headers=ADMIN)
        pushes = [first]
        while not pushes[-1]["admitted"]:
            pushes.append(await _receive(socket))
    positions = [push["position"] for push in pushes]
    assert len(pushes) >= 3, "positions are pushed on the way, not only at the end"
    assert positions == sorted(positions, reverse=True)
    token = pushes[-1]["access_token"]
    hold = await http.post(
        f"/api/v1/events/{event_id}/holds",
        json={"slot_id": "a", "quantity": 1},
        headers=bearer(token),
    )
    assert hold.status_code == 201


async def test_availability_socket_pushes_remaining_counts(
    http: httpx.AsyncClient, base_url: str, new_event
) -> None:
    event_id = await new_event()
    token = await admitted_token(http, event_id)
    async with websockets.connect(
        _ws_url(base_url, f"/api/v1/events/{event_id}/availability/ws")
    ) as socket:
        assert await _receive(socket) == {"slots": {"a": 50, "b": 10}}
        await http.post(
            f"/api/v1/events/{event_id}/holds",
            json={"slot_id": "b", "quantity": 4},
            headers=bearer(token),
        )
        assert await _receive(socket) == {"slots": {"a": 50, "b": 6}}


async def test_socket_refusals_are_json_with_a_close_code(
    base_url: str, new_event, http: httpx.AsyncClient
) -> None:
    event_id = await new_event()
    cases = {
        f"/api/v1/events/{event_id}/queue/ws": (4401, "missing_token"),
        f"/api/v1/events/{event_id}/queue/ws?ticket=forged.token": (4401, "invalid_token"),
        "/api/v1/events/no-such-event/availability/ws": (4404, "event_not_found"),
    }
    for path, (close_code, error) in cases.items():
        async with websockets.connect(_ws_url(base_url, path)) as socket:
            assert (await _receive(socket))["error"] == error
            await asyncio.wait_for(socket.wait_closed(), 5)
            assert socket.close_code == close_code


async def test_sockets_leave_no_line_per_connection_and_no_ticket_in_the_log(
    stores, tmp_path
) -> None:
    async with (
        running_apps(stores, tmp_path) as (app,),
        httpx.AsyncClient(base_url=app.url) as http,
    ):
        event_id = "ev-logs-" + secrets.token_hex(4)
        assert (
            await http.put(f"/api/v1/events/{event_id}", json=event_body(), headers=ADMIN)
        ).status_code == 201
        ticket = (await join(http, event_id))["ticket"]
        for _ in range(3):
            async with websockets.connect(
                _ws_url(app.url, f"/api/v1/events/{event_id}/queue/ws?ticket={ticket}")
            ) as socket:
                assert (await _receive(socket))["number"] == 1
        refused = _ws_url(app.url, f"/api/v1/events/{event_id}/queue/ws?ticket=forged.{ticket}")
        async with websockets.connect(refused) as socket:
            assert (await _receive(socket))["error"] == "invalid_token"
        await asyncio.sleep(0.2)  # the closes are logged after the sockets go
    log = app.log_path.read_text()
    assert "Application startup complete" in log, "uvicorn's own lines still come through"
    assert ticket not in log and ticket.split(".")[1] not in log
    assert (
        "connection open" not in log and "connection closed" not in log and '"WebSocket ' not in log
    )
