"""Redis key names. Every key of one event shares the hash tag `{event_id}` (Redis Cluster slot)."""

import functools
from typing import NamedTuple


class EventKeys(NamedTuple):
    """The keys every event script receives, in the order `lua/common.lua` reads them."""

    config: str
    queue: str
    clients: str
    prejoin: str
    active: str
    available: str
    client_seats: str
    holds: str
    hold_timers: str
    updates: str
    done: str  # request id -> recorded reply of a state-changing script (lua/common.lua's once)
    done_timers: str
    live_seats: str  # slot -> seats in live holds (held or confirming), for reconciliation
    confirming: str  # ids of holds whose confirm is in flight
    reclaim: str  # client -> order during the reclaim window after a rebuild (lua/common.lua)


@functools.lru_cache(maxsize=4096)  # built on every script call of the hot paths
def event_keys(event_id: str) -> EventKeys:
    prefix = f"tkt:{{{event_id}}}:"
    return EventKeys(*(prefix + name for name in EventKeys._fields))


# The one key outside any event: which events exist (PostgreSQL has the durable list).
EVENT_IDS_KEY = "tkt:events"


def updates_channel(event_id: str) -> str:
    return event_keys(event_id).updates
