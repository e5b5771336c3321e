"""One process holding N idle queue WebSockets: server memory per connection, then the time from an
admission until each client has the push. Prints one JSON object.

The clients are raw asyncio protocols that only frame-parse and timestamp, so the client's own cost
per message (tens of microseconds) stays small next to what is measured. They offer
permessage-deflate as browsers do; the result says whether the server took it.
"""

import argparse
import asyncio
import base64
import contextlib
import json
import os
import time

import uvloop

from app.bench.api import Api, queue_path
from app.bench.processes import raise_open_files_limit, server_rss_bytes
from app.bench.report import percentile

OPEN_CONCURRENCY = 256
SETTLE_S = 2.0
OPCODE_CLOSE, OPCODE_PING = 0x8, 0x9
DATA_OPCODES = {0x0, 0x1, 0x2}


def pong(payload: bytes) -> bytes:
    """Client frames must be masked; the zero key leaves the payload as it is."""
    return bytes([0x80 | 0xA, 0x80 | len(payload)]) + b"\0\0\0\0" + payload


def next_frame(buffer: bytearray) -> tuple[int, bytes] | None:
    if len(buffer) < 2:
        return None
    opcode, length, offset = buffer[0] & 0x0F, buffer[1] & 0x7F, 2
    if length == 126:
        length, offset = int.from_bytes(buffer[2:4]), 4
    elif length == 127:
        length, offset = int.from_bytes(buffer[2:10]), 10
    if len(buffer) < offset + length:
        return None
    payload = bytes(buffer[offset : offset + length])
    del buffer[: offset + length]
    return opcode, payload


class QueueSocket(asyncio.Protocol):
    def __init__(self, clock: "PushClock", handshake: bytes) -> None:
        self.clock = clock
        self.handshake = handshake
        self.buffer = bytearray()
        self.upgraded = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.open = False
        self.deflate = False
        self.pushed_at: float | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        transport.write(self.handshake)

    def data_received(self, data: bytes) -> None:
        arrived = time.perf_counter()
        self.buffer += data
        if not self.open and not self.finish_handshake():
            return
        while (frame := next_frame(self.buffer)) is not None:
            opcode, payload = frame
            if opcode == OPCODE_PING:
                self.transport.write(pong(payload))
            elif opcode == OPCODE_CLOSE:
                self.transport.close()
            elif opcode in DATA_OPCODES and self.pushed_at is None and self.clock.triggered_at:
                self.pushed_at = arrived
                self.clock.received()

    def finish_handshake(self) -> bool:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = bytes(self.buffer[:end]).lower()
        del self.buffer[: end + 4]
        if not head.startswith(b"http/1.1 101"):
            self.upgraded.set_exception(ConnectionError(head.split(b"\r\n")[0].decode()))
            self.transport.close()
            return False
        self.open, self.deflate = True, b"permessage-deflate" in head
        self.upgraded.set_result(None)
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        if not self.upgraded.done():
            self.upgraded.set_exception(ConnectionError(f"closed during handshake: {exc}"))


class PushClock:
    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.count = 0
        self.triggered_at = 0.0
        self.all_received = asyncio.Event()

    def received(self) -> None:
        self.count += 1
        if self.count >= self.expected:
            self.all_received.set()


def handshake_request(host: str, port: int, path: str, deflate: bool) -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    extensions = (
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
        if deflate
        else ""
    )
    return (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"{extensions}\r\n"
    ).encode()


async def open_sockets(
    host: str, port: int, event_id: str, tickets: list[str], clock: PushClock, deflate: bool
) -> list[QueueSocket]:
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(OPEN_CONCURRENCY)

    async def one(ticket: str) -> QueueSocket | None:
        request = handshake_request(
            host, port, f"{queue_path(event_id)}/ws?ticket={ticket}", deflate
        )
        async with gate:
            try:
                _, socket = await loop.create_connection(
                    lambda: QueueSocket(clock, request), host, port
                )
                await asyncio.wait_for(socket.upgraded, 30)
                return socket
            except (TimeoutError, OSError, ConnectionError):
                return None

    return [
        socket for socket in await asyncio.gather(*(one(ticket) for ticket in tickets)) if socket
    ]


async def measure(args: argparse.Namespace) -> dict:
    api = Api(f"http://{args.host}:{args.port}", args.admin_token)
    try:
        client_ids = [f"{args.nonce}-ws-{index}" for index in range(args.clients)]
        tickets = await api.enqueue_many(args.event, client_ids)
        rss_before = server_rss_bytes(args.server_pid)
        started = time.perf_counter()
        clock = PushClock(args.clients)
        sockets = await open_sockets(args.host, args.port, args.event, tickets, clock, args.deflate)
        connect_s = time.perf_counter() - started
        await asyncio.sleep(SETTLE_S)
        rss_after = server_rss_bytes(args.server_pid)
        clock.expected = len(sockets)
        clock.triggered_at = time.perf_counter()
        await api.set_paused(args.event, paused=False)
        resume_ms = (time.perf_counter() - clock.triggered_at) * 1000
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(clock.all_received.wait(), args.push_timeout)
    finally:
        await api.close()
    delays_ms = sorted(
        (socket.pushed_at - clock.triggered_at) * 1000
        for socket in sockets
        if socket.pushed_at is not None
    )
    return {
        "requested": args.clients,
        "connections": sum(socket.open for socket in sockets),
        "opened": len(sockets),
        "connect_s": connect_s,
        "deflate": any(socket.deflate for socket in sockets),
        "rss_before_bytes": rss_before,
        "rss_after_bytes": rss_after,
        "bytes_per_connection": (rss_after - rss_before) / len(sockets) if sockets else None,
        "resume_call_ms": resume_ms,
        "pushed": len(delays_ms),
        "missed_pushes": len(sockets) - len(delays_ms),
        "push_p50_ms": percentile(delays_ms, 50),
        "push_p99_ms": percentile(delays_ms, 99),
        "push_max_ms": delays_ms[-1] if delays_ms else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m app.bench.ws_clients")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument(
        "--event", required=True, help="a paused event; resuming it is the admission"
    )
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--server-pid", type=int, required=True)
    parser.add_argument("--admin-token", required=True)
    parser.add_argument("--nonce", required=True)
    parser.add_argument("--push-timeout", type=float, default=10.0)
    parser.add_argument(
        "--deflate",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="offer permessage-deflate, as browsers do",
    )
    args = parser.parse_args()
    if args.clients <= 0:
        parser.error("--clients must be positive")
    raise_open_files_limit(args.clients + 1024)
    print(json.dumps(uvloop.run(measure(args))))


if __name__ == "__main__":
    main()
