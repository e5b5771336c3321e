"""The Lua scripts of the hot paths, each prefixed with the shared prelude `lua/common.lua`.

Every script may run twice: the batch sender resends a batch on a new connection when the first
one dropped or timed out, and Redis may still run the first copy. The scripts are written so that
this changes nothing. Those that change state in a way a second run would repeat (`ONCE_SCRIPTS`)
get a request id as their last ARGV and run inside common.lua's `once`, which answers a copy with
the recorded reply. The others are idempotent by what they are: join keeps a client's number,
status and reap settle only what is due, admit admits by the time elapsed on Redis's clock under
max_active, install_event installs only a missing event, assign_opening writes the same
deterministic places, reconcile sets absolute values, and reclaim orders a client once, by its
lowest claim.
"""

import asyncio
import itertools
import secrets
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.commands.core import AsyncScript

from ticketing.batching import ScriptBatcher, sender_for
from ticketing.keys import event_keys

# One client id per call, one reply per client (lua/common.lua's per_client): merged per batch.
PER_CLIENT_SCRIPTS = frozenset({"join", "status"})
ONCE_SCRIPTS = frozenset(
    {"hold", "abandon", "release", "begin_confirm", "end_confirm", "apply_event"}
)
SCRIPT_NAMES = (
    "join",
    "status",
    "admit",
    "reap",
    "hold",
    "abandon",
    "release",
    "begin_confirm",
    "end_confirm",
    "install_event",
    "apply_event",
    "assign_opening",
    "reconcile_begin",
    "reconcile",
    "reclaim",
)


def _source(name: str) -> str:
    return resources.files("ticketing").joinpath("lua", f"{name}.lua").read_text()


def script_text(name: str) -> str:
    body = _source(name)
    if name in ONCE_SCRIPTS:
        body = f"return once(function()\n{body}\nend)"
    return _source("common") + "\n" + body


@dataclass
class RequestIds:
    """Unique per call across replicas: a random prefix per process and a counter."""

    prefix: str = field(default_factory=lambda: secrets.token_hex(8))
    counter: "itertools.count[int]" = field(default_factory=itertools.count)

    def next(self) -> str:
        return f"{self.prefix}.{next(self.counter)}"


@dataclass(frozen=True)
class EventScripts:
    """Registered scripts; `run` calls one with the event's keys, in a batch with the other calls
    made meanwhile (batching.py; per-client scripts merged into one run per event)."""

    scripts: dict[str, AsyncScript]
    batcher: ScriptBatcher
    request_ids: RequestIds = field(default_factory=RequestIds)

    def run(self, name: str, event_id: str, *args: Any) -> asyncio.Future[Any]:
        """Queues the call at once; the future resolves with its reply (no coroutine in between:
        this is on every hot path)."""
        keys = list(event_keys(event_id))
        if name in PER_CLIENT_SCRIPTS:
            (client_id,) = args
            return self.batcher.call_per_client(self.scripts[name], keys, client_id)
        call_args = [*args, self.request_ids.next()] if name in ONCE_SCRIPTS else list(args)
        return self.batcher.call(self.scripts[name], keys, call_args)


def register_scripts(redis: Redis | RedisCluster) -> EventScripts:
    scripts = {name: redis.register_script(script_text(name)) for name in SCRIPT_NAMES}
    return EventScripts(scripts, ScriptBatcher(sender_for(redis)))
