"""The Lua scripts of the hot paths, each prefixed with the shared prelude `lua/common.lua`."""

import asyncio
from dataclasses import dataclass
from importlib import resources
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.commands.core import AsyncScript

from ticketing.batching import ScriptBatcher, sender_for
from ticketing.keys import event_keys

# One client id per call, one reply per client (lua/common.lua's per_client): merged per batch.
PER_CLIENT_SCRIPTS = frozenset({"join", "status"})
SCRIPT_NAMES = (
    "join",
    "status",
    "admit",
    "reap",
    "hold",
    "release",
    "begin_confirm",
    "end_confirm",
    "install_event",
    "apply_event",
    "assign_opening",
)


def _source(name: str) -> str:
    return resources.files("ticketing").joinpath("lua", f"{name}.lua").read_text()


@dataclass(frozen=True)
class EventScripts:
    """Registered scripts; `run` calls one with the event's keys, in a batch with the other calls
    made meanwhile (batching.py; per-client scripts merged into one run per event)."""

    scripts: dict[str, AsyncScript]
    batcher: ScriptBatcher

    def run(self, name: str, event_id: str, *args: Any) -> asyncio.Future[Any]:
        """Queues the call at once; the future resolves with its reply (no coroutine in between:
        this is on every hot path)."""
        keys = list(event_keys(event_id))
        if name in PER_CLIENT_SCRIPTS:
            (client_id,) = args
            return self.batcher.call_per_client(self.scripts[name], keys, client_id)
        return self.batcher.call(self.scripts[name], keys, list(args))


def register_scripts(redis: Redis | RedisCluster) -> EventScripts:
    prelude = _source("common")
    scripts = {name: redis.register_script(prelude + "\n" + _source(name)) for name in SCRIPT_NAMES}
    return EventScripts(scripts, ScriptBatcher(sender_for(redis)))
