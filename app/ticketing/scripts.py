"""The Lua scripts of the hot paths, each prefixed with the shared prelude `lua/common.lua`."""

from dataclasses import dataclass
from importlib import resources
from typing import Any

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from ticketing.keys import event_keys

SCRIPT_NAMES = (
    "join", "status", "admit", "reap", "hold", "release", "begin_confirm", "end_confirm",
    "install_event", "apply_event", "assign_opening",
)


def _source(name: str) -> str:
    return resources.files("ticketing").joinpath("lua", f"{name}.lua").read_text()


@dataclass(frozen=True)
class EventScripts:
    """Registered scripts; `run` calls one with the event's keys (on a client or a pipeline)."""

    scripts: dict[str, AsyncScript]

    async def run(self, name: str, event_id: str, *args: Any, client: Any = None) -> Any:
        """On a pipeline this only queues the call (redis-py loads missing scripts first)."""
        return await self.scripts[name](keys=list(event_keys(event_id)), args=list(args), client=client)


def register_scripts(redis: Redis) -> EventScripts:
    prelude = _source("common")
    return EventScripts({name: redis.register_script(prelude + "\n" + _source(name)) for name in SCRIPT_NAMES})
