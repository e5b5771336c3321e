"""A socket's mailbox: a wake is never lost, whether or not the socket is waiting yet."""

import asyncio

from ticketing.updates import Mailbox, Serving

NEVER_SECONDS = 60


async def test_a_wake_before_the_socket_waits_ends_its_next_wait() -> None:
    inbox = Mailbox(Serving)
    inbox.wake()  # e.g. the event's subscription went live before the socket first waited
    assert await asyncio.wait_for(inbox.get(NEVER_SECONDS), timeout=5) is None


async def test_the_latest_update_of_its_kind_is_delivered() -> None:
    inbox = Mailbox(Serving)
    inbox.put({"slots": {}})  # availability is not for a queue socket
    inbox.put(Serving(3, 9))
    inbox.put(Serving(4, 9))
    assert await asyncio.wait_for(inbox.get(NEVER_SECONDS), timeout=5) == Serving(4, 9)
