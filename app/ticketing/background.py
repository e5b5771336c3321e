"""Helpers for the background loops, which stop on an event rather than by cancellation alone
(a client library that swallows a CancelledError would otherwise keep a loop alive forever)."""

import asyncio
import contextlib


async def wait_or_stop(stopping: asyncio.Event, seconds: float) -> bool:
    """Sleeps up to `seconds`; True when it is time to stop."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), timeout=max(0.0, seconds))
    return stopping.is_set()
