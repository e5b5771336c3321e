"""Live updates for WebSockets: one Redis pub/sub connection per process fans out per event.

Scripts publish `q <serving> <seq>` when admissions advance and `a` when availability changes;
availability is read at most once per FLUSH_SECONDS per event, however many holds happened.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from ticketing.backends import Backends
from ticketing.background import wait_or_stop
from ticketing.events import read_availability
from ticketing.keys import updates_channel

FLUSH_SECONDS = 0.25
RECONNECT_SECONDS = 0.5

log = logging.getLogger("ticketing.updates")


@dataclass(frozen=True)
class Serving:
    serving: int
    seq: int


class Mailbox:
    """One socket's latest update of the kind it wants (`Serving` or an availability dict): a newer
    one replaces an unread one, since only the latest state matters. No queue, no task per message.
    """

    def __init__(self, kind: type) -> None:
        self.kind = kind
        self._latest: Any = None
        self._woken = False
        self._waiter: asyncio.Future[None] | None = None

    def put(self, message: Any) -> None:
        if isinstance(message, self.kind):
            self._latest = message
            self.wake()

    def wake(self) -> None:
        """Ends the pending `get`, or the next one at once if none is pending."""
        self._woken = True
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def get(self, timeout: float) -> Any:
        """The latest update; None after `timeout` seconds without one, or when woken without
        one.
        """
        if not self._woken:
            self._waiter = asyncio.get_running_loop().create_future()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._waiter
            self._waiter = None
        self._woken = False
        message, self._latest = self._latest, None
        return message


class UpdateHub:
    def __init__(self, backends: Backends) -> None:
        self._backends = backends
        self._subscribers: dict[str, set[Mailbox]] = {}
        self._dirty: set[str] = set()
        self._pubsub: Any = None
        self._changed = asyncio.Event()

    @contextlib.asynccontextmanager
    async def subscribe(self, event_id: str, kind: type) -> AsyncIterator[Mailbox]:
        """Yields a mailbox receiving `Serving` or availability dicts (`{"slots": {...}}`)."""
        inbox = Mailbox(kind)
        first = event_id not in self._subscribers
        self._subscribers.setdefault(event_id, set()).add(inbox)
        if first:
            self._changed.set()
        try:
            yield inbox
        finally:
            listeners = self._subscribers.get(event_id, set())
            listeners.discard(inbox)
            if not listeners:
                self._subscribers.pop(event_id, None)
                self._changed.set()

    def _deliver(self, event_id: str, message: Any) -> None:
        for inbox in self._subscribers.get(event_id, ()):
            inbox.put(message)

    def _on_message(self, channel: bytes, data: bytes) -> None:
        event_id = channel.decode().split("{", 1)[1].split("}", 1)[0]
        if data.startswith(b"q "):
            _, serving, seq = data.split()
            # position reads of this process must not show a place this broadcast has passed
            self._backends.queue_states.advance(event_id, int(serving), int(seq))
            self._deliver(event_id, Serving(int(serving), int(seq)))
        else:
            self._dirty.add(event_id)

    def _missed_broadcasts(self, event_id: str) -> None:
        """Admissions and availability may have changed before the event's subscription was live
        (a buyer at position 1 is often admitted then): both are read from Redis once more.
        """
        self._dirty.add(event_id)
        self._backends.queue_states.forget(event_id)
        for inbox in self._subscribers.get(event_id, ()):
            if inbox.kind is Serving:
                inbox.wake()

    async def _sync_channels(self, subscribed: set[str]) -> set[str]:
        wanted = {updates_channel(event_id) for event_id in self._subscribers}
        if wanted - subscribed:
            await self._pubsub.subscribe(*(wanted - subscribed))
            for event_id in list(self._subscribers):
                if updates_channel(event_id) not in subscribed:
                    self._missed_broadcasts(event_id)
        if subscribed - wanted:
            await self._pubsub.unsubscribe(*(subscribed - wanted))
        return wanted

    async def _listen(self, redis: Redis, stopping: asyncio.Event) -> None:
        self._pubsub = redis.pubsub(ignore_subscribe_messages=True)
        subscribed: set[str] = set()
        try:
            while not stopping.is_set():
                if self._changed.is_set():
                    self._changed.clear()
                    subscribed = await self._sync_channels(subscribed)
                if not subscribed:
                    await wait_or_stop(stopping, 0.2)
                    continue
                message = await self._pubsub.get_message(timeout=0.2)
                if message and message["type"] == "message":
                    self._on_message(message["channel"], message["data"])
        finally:
            await self._pubsub.aclose()

    async def run_listener(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                await self._listen(self._backends.subscriber, stopping)
            except Exception:  # Redis restarted: resubscribe
                log.warning("pub/sub connection lost; reconnecting")
                self._changed.set()
                await wait_or_stop(stopping, RECONNECT_SECONDS)

    async def run_flusher(self, stopping: asyncio.Event) -> None:
        while not await wait_or_stop(stopping, FLUSH_SECONDS):
            dirty, self._dirty = self._dirty, set()
            for event_id in dirty & set(self._subscribers):
                try:
                    self._deliver(
                        event_id, {"slots": await read_availability(self._backends, event_id)}
                    )
                except Exception:
                    log.warning("availability read failed", extra={"event_id": event_id})
