"""Live pushes: a client's place in the queue, and slot availability."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from ticketing import queue
from ticketing.backends import Backends
from ticketing.errors import ApiError
from ticketing.events import read_availability, read_event
from ticketing.tokens import Claims
from ticketing.updates import Mailbox, Serving
from ticketing.web.error_handlers import DEPENDENCY_ERRORS, unavailable
from ticketing.web.inputs import client_address_of, event_id_of, verified

# Without a broadcast for this long (e.g. pub/sub reconnecting) the state is read again.
POLL_SECONDS = 5.0


async def _send(websocket: WebSocket, body: Any) -> None:
    await websocket.send_text(orjson.dumps(body).decode())


async def _refuse(websocket: WebSocket, error: ApiError) -> None:
    """Errors travel as the usual JSON body, then a close code of 4000 + HTTP status."""
    await _send(websocket, {"error": error.code, "detail": error.detail})
    await websocket.close(code=4000 + error.status)


async def _until_disconnect(websocket: WebSocket) -> None:
    while (await websocket.receive())["type"] != "websocket.disconnect":
        pass


async def _next(inbox: Mailbox, closed: asyncio.Task[None]) -> Any:
    """The next broadcast, None after POLL_SECONDS without one; raises when the client left."""
    message = await inbox.get(POLL_SECONDS)
    if closed.done():
        raise WebSocketDisconnect()
    return message


def _wake_on_close(inbox: Mailbox, closed: asyncio.Task[None]) -> None:
    closed.add_done_callback(lambda _: inbox.wake())


async def _status(backends: Backends, event_id: str, claims: Claims) -> dict[str, Any]:
    return await queue.status(
        backends, event_id, claims.client_id, claims.number, claims.generation
    )


async def _push_place(
    websocket: WebSocket, event_id: str, claims: Claims, closed: asyncio.Task[None]
) -> None:
    backends, hub = websocket.app.backends, websocket.app.hub
    async with hub.subscribe(event_id, Serving) as inbox:
        _wake_on_close(inbox, closed)
        body = await _status(backends, event_id, claims)
        await _send(websocket, body)
        while not body["admitted"]:
            if "ticket" in body:  # reclaimed after a Redis loss: the place is the new ticket's
                claims = backends.tokens.verify(body["ticket"], "ticket", event_id)
            message = await _next(inbox, closed)
            update = queue.status_at(backends, event_id, body, message.serving) if message else None
            if update is None:
                update = await _status(backends, event_id, claims)
            if update != body:
                body = update
                await _send(websocket, body)
    await closed


async def _serve(
    websocket: WebSocket, push: Callable[[WebSocket, asyncio.Task[None]], Awaitable[None]]
) -> None:
    """Accepts, then runs `push` until the client leaves; an ApiError is sent as the refusal, and
    Redis or PostgreSQL away as a 503 one (the client reconnects after its Retry-After)."""
    await websocket.accept()
    closed = asyncio.ensure_future(_until_disconnect(websocket))
    try:
        await push(websocket, closed)
    except ApiError as error:
        await _refuse(websocket, error)
    except DEPENDENCY_ERRORS as error:
        await _refuse(websocket, unavailable(error, websocket.url.path))
    except WebSocketDisconnect:
        pass
    finally:
        closed.cancel()


async def _push_queue(websocket: WebSocket, closed: asyncio.Task[None]) -> None:
    event_id = event_id_of(websocket)
    ticket = websocket.query_params.get("ticket")
    if not ticket:
        raise ApiError(401, "missing_token", "connect with ?ticket=<ticket from joining the queue>")
    claims = verified(websocket, ticket, "ticket", event_id)
    await _push_place(websocket, event_id, claims, closed)


async def _push_availability(websocket: WebSocket, closed: asyncio.Task[None]) -> None:
    event_id = event_id_of(websocket)
    with websocket.app.backends.limits.sockets.held(client_address_of(websocket)):
        await _push_slots(websocket, event_id, closed)


async def _push_slots(websocket: WebSocket, event_id: str, closed: asyncio.Task[None]) -> None:
    backends, hub = websocket.app.backends, websocket.app.hub
    await read_event(backends, event_id)
    async with hub.subscribe(event_id, dict) as inbox:
        _wake_on_close(inbox, closed)
        body: dict[str, Any] = {"slots": await read_availability(backends, event_id)}
        await _send(websocket, body)
        while True:
            message = await _next(inbox, closed)
            update = message or {"slots": await read_availability(backends, event_id)}
            if update != body:
                body = update
                await _send(websocket, body)


async def queue_updates(websocket: WebSocket) -> None:
    await _serve(websocket, _push_queue)


async def availability_updates(websocket: WebSocket) -> None:
    await _serve(websocket, _push_availability)


routes = [
    WebSocketRoute("/api/v1/events/{event_id}/queue/ws", queue_updates),
    WebSocketRoute("/api/v1/events/{event_id}/availability/ws", availability_updates),
]
