"""Script calls issued in the same event-loop tick travel to Redis as one pipeline.

Under a burst, hundreds of requests reach their script call in the same tick; sending them as
one pipeline costs one connection checkout, one write and one read instead of one per request.
"""

import asyncio
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError

Call = tuple[AsyncScript, list[Any], asyncio.Future[Any]]


class ScriptBatcher:
    def __init__(self, redis: Redis | RedisCluster) -> None:
        self._redis = redis
        self._pending: list[Call] = []
        self._sending: set[asyncio.Task[None]] = set()

    def call(self, script: AsyncScript, keys: list[str], args: list[Any]) -> asyncio.Future[Any]:
        """Queues one EVALSHA; the returned future resolves with its reply (or its error)."""
        future = asyncio.get_running_loop().create_future()
        if not self._pending:
            # the task first runs after every request ready in this tick has queued its call
            task = asyncio.create_task(self._send())
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)
        self._pending.append((script, [len(keys), *keys, *args], future))
        return future

    async def _send(self) -> None:
        batch, self._pending = self._pending, []
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for script, arguments, _ in batch:
                    # not `pipe.evalsha`: a cluster pipeline refuses that method, yet routes the
                    # raw command by its keys' slot like any other
                    pipe.execute_command("EVALSHA", script.sha, *arguments)
                replies = await pipe.execute(raise_on_error=False)
        except Exception as error:
            replies = [error] * len(batch)
        for (script, arguments, future), reply in zip(batch, replies):
            if isinstance(reply, NoScriptError):  # Redis restarted and forgot the script
                try:
                    reply = await script(keys=arguments[1:1 + arguments[0]], args=arguments[1 + arguments[0]:])
                except Exception as error:
                    reply = error
            if future.done():  # the caller went away
                continue
            if isinstance(reply, Exception):
                future.set_exception(reply)
            else:
                future.set_result(reply)
