"""Open-loop HTTP load at a fixed rate, for latency at a given load (wrk2 is not packaged in
Debian).

Requests are scheduled at fixed intervals whether or not earlier ones have finished, and each
latency counts from its scheduled time, so a slow server cannot slow the generator down and hide its
own queueing (no coordinated omission). Prints one JSON object.
"""

import argparse
import asyncio
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import cast

import uvloop

from app.bench.report import percentile

TICK_S = 0.001


@dataclass
class Tally:
    latencies_s: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    lost_connections: int = 0


class Connection(asyncio.Protocol):
    def __init__(self, generator: "OpenLoop") -> None:
        self.generator = generator
        self.buffer = bytearray()
        self.scheduled_at = 0.0
        self.transport: asyncio.WriteTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.WriteTransport, transport)

    def send(self, request: bytes, scheduled_at: float) -> None:
        if self.transport is None:
            raise RuntimeError("send before the connection was made")
        self.scheduled_at = scheduled_at
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        header_end = self.buffer.find(b"\r\n\r\n")
        if header_end < 0:
            return
        total = header_end + 4 + content_length(bytes(self.buffer[:header_end]))
        if len(self.buffer) < total:
            return
        status = int(self.buffer[9:12])
        del self.buffer[:total]
        self.generator.completed(self, status)

    def connection_lost(self, exc: Exception | None) -> None:
        self.generator.lost(self)


def content_length(head: bytes) -> int:
    marker = b"\r\ncontent-length:"
    lowered = head.lower()
    start = lowered.find(marker)
    if start < 0:
        raise ValueError("response without Content-Length; the open-loop client reads only those")
    start += len(marker)
    end = lowered.find(b"\r\n", start)
    return int(head[start : end if end >= 0 else len(head)])


class OpenLoop:
    def __init__(self, path: str, client_prefix: str, host: str) -> None:
        self.template = (
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nX-Client-Id: %s\r\n\r\n"
        ).encode()
        self.client_prefix = client_prefix.encode()
        self.idle: deque[Connection] = deque()
        self.waiting: deque[float] = deque()
        self.sent = 0
        self.tally = Tally()

    def request(self) -> bytes:
        self.sent += 1
        return self.template % (self.client_prefix + str(self.sent).encode())

    def dispatch(self) -> None:
        while self.waiting and self.idle:
            self.idle.popleft().send(self.request(), self.waiting.popleft())

    def completed(self, connection: Connection, status: int) -> None:
        self.tally.latencies_s.append(time.perf_counter() - connection.scheduled_at)
        self.tally.statuses[status] = self.tally.statuses.get(status, 0) + 1
        self.idle.append(connection)
        self.dispatch()

    def lost(self, connection: Connection) -> None:
        self.tally.lost_connections += 1
        if connection in self.idle:
            self.idle.remove(connection)

    async def run(
        self, host: str, port: int, rate: float, duration_s: float, connections: int
    ) -> float:
        loop = asyncio.get_running_loop()
        for _ in range(connections):
            _, connection = await loop.create_connection(lambda: Connection(self), host, port)
            self.idle.append(connection)
        start = time.perf_counter()
        total = int(rate * duration_s)
        scheduled = 0
        while scheduled < total:
            due = min(total, int((time.perf_counter() - start) * rate) + 1)
            self.waiting.extend(start + index / rate for index in range(scheduled, due))
            scheduled = due
            self.dispatch()
            await asyncio.sleep(TICK_S)
        drain_deadline = time.perf_counter() + 5.0
        while len(self.tally.latencies_s) < total and time.perf_counter() < drain_deadline:
            await asyncio.sleep(0.01)
        return time.perf_counter() - start


def summary(tally: Tally, target_rps: float, elapsed_s: float, connections: int) -> dict:
    latencies_ms = sorted(latency * 1000 for latency in tally.latencies_s)
    return {
        "generator": "app.bench.open_loop (Python, uvloop, open loop)",
        "target_rps": target_rps,
        "achieved_rps": len(latencies_ms) / elapsed_s,
        "connections": connections,
        "completed": len(latencies_ms),
        "p50_ms": percentile(latencies_ms, 50),
        "p99_ms": percentile(latencies_ms, 99),
        "max_ms": latencies_ms[-1] if latencies_ms else None,
        "statuses": tally.statuses,
        "lost_connections": tally.lost_connections,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m app.bench.open_loop")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--client-prefix", required=True)
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=128)
    args = parser.parse_args()
    if args.rate <= 0 or args.duration <= 0:
        parser.error("--rate and --duration must be positive")
    generator = OpenLoop(args.path, args.client_prefix, args.host)
    elapsed = uvloop.run(
        generator.run(args.host, args.port, args.rate, args.duration, args.connections)
    )
    print(json.dumps(summary(generator.tally, args.rate, elapsed, args.connections)))


if __name__ == "__main__":
    main()
