"""Script calls issued in the same event-loop tick travel to Redis as one pipeline.

Under a burst, hundreds of requests reach their script call in the same tick; sending them as
one pipeline costs one connection checkout, one write and one read instead of one per request.
Calls of a per-client script (one client id each, one reply per client) go further: those of the
same event in one tick become a single EVALSHA whose ARGV lists every client, so Redis runs the
script once and the client encodes one command and parses one reply for all of them.
"""

import asyncio
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError

# One merged run holds Redis for every client in it; past this many a tick's calls take another run.
MAX_CLIENTS_PER_RUN = 500


@dataclass
class Run:
    """One EVALSHA to send. `futures` holds one future, or one per client of a merged run."""

    script: AsyncScript
    keys: list[str]
    args: list[Any]
    futures: list[asyncio.Future[Any]] = field(default_factory=list)
    merged: bool = False

    def settle(self, reply: Any) -> None:
        if self.merged and not isinstance(reply, Exception):
            if not isinstance(reply, list) or len(reply) != len(self.futures):
                reply = RuntimeError(f"a per-client script answered {reply!r:.100} for {len(self.futures)} clients")
        for index, future in enumerate(self.futures):
            if future.done():  # the caller went away
                continue
            if isinstance(reply, Exception):
                future.set_exception(reply)
            else:
                future.set_result(reply[index] if self.merged else reply)


class ScriptBatcher:
    def __init__(self, redis: Redis | RedisCluster) -> None:
        self._redis = redis
        self._pending: list[Run] = []
        self._open_merged: dict[tuple[str, str], Run] = {}
        self._sending: set[asyncio.Task[None]] = set()

    def call(self, script: AsyncScript, keys: list[str], args: list[Any]) -> asyncio.Future[Any]:
        """Queues one EVALSHA; the returned future resolves with its reply (or its error)."""
        run = Run(script, keys, args)
        self._queue(run)
        return self._add_future(run)

    def call_per_client(self, script: AsyncScript, keys: list[str], client_id: str) -> asyncio.Future[Any]:
        """Queues `client_id` into this tick's run of `script` on `keys`; resolves with its own reply."""
        group = (script.sha, keys[0])
        run = self._open_merged.get(group)
        if run is None or len(run.futures) >= MAX_CLIENTS_PER_RUN:
            run = self._open_merged[group] = Run(script, keys, [], merged=True)
            self._queue(run)
        run.args.append(client_id)
        return self._add_future(run)

    def _queue(self, run: Run) -> None:
        if not self._pending:
            # the task first runs after every request ready in this tick has queued its call
            task = asyncio.create_task(self._send())
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)
        self._pending.append(run)

    @staticmethod
    def _add_future(run: Run) -> asyncio.Future[Any]:
        future = asyncio.get_running_loop().create_future()
        run.futures.append(future)
        return future

    async def _send(self) -> None:
        batch, self._pending, self._open_merged = self._pending, [], {}
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for run in batch:
                    # not `pipe.evalsha`: a cluster pipeline refuses that method, yet routes the
                    # raw command by its keys' slot like any other
                    pipe.execute_command("EVALSHA", run.script.sha, len(run.keys), *run.keys, *run.args)
                replies = await pipe.execute(raise_on_error=False)
        except Exception as error:
            replies = [error] * len(batch)
        for run, reply in zip(batch, replies):
            if isinstance(reply, NoScriptError):  # Redis restarted and forgot the script
                try:
                    reply = await run.script(keys=run.keys, args=run.args)
                except Exception as error:
                    reply = error
            run.settle(reply)
