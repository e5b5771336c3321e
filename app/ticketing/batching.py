"""Script calls travel to Redis in batches: one batch in flight at a time, and every call made while
it is out goes in the next one (group commit).

Under a burst, hundreds of requests reach their script call within one round trip; sending them
together costs one write and one read instead of one per request. Calls of a per-client script
(one client id each, one reply per client) go further: those of the same event in one batch become
a single EVALSHA whose ARGV lists every client, so Redis runs the script once and the client
encodes one command and parses one reply for all of them.
"""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import hiredis
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

# One merged run holds Redis for every client in it; past this many a batch's calls take another
# run.
MAX_CLIENTS_PER_RUN = 500
CLOSE_WAIT_SECONDS = 2.0

Command = tuple[Any, ...]


class Sender(Protocol):
    async def send(self, commands: Sequence[Command]) -> list[Any]:
        """One reply per command, an exception object for a command that failed."""

    async def aclose(self) -> None: ...


class PipelineSender:
    """Through the client's pipeline, which routes each command by its keys' slot (Redis
    Cluster).
    """

    def __init__(self, redis: Redis | RedisCluster) -> None:
        self._redis = redis

    async def send(self, commands: Sequence[Command]) -> list[Any]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for command in commands:
                # not `pipe.evalsha`: a cluster pipeline refuses that method, yet routes the raw
                # command by its keys' slot like any other
                pipe.execute_command(*command)
            return await pipe.execute(raise_on_error=False)

    async def aclose(self) -> None:
        return None


class ConnectionSender:
    """Over one connection of its own, made with the client pool's settings (TLS, AUTH, timeouts,
    health checks). A pipeline checks a connection out of the pool and back in, probing the socket
    each time, which costs more CPU than the round trip itself. After a dropped connection the
    batch goes once more on a new connection, while Redis may still run the first copy: that resend
    is safe because every script is idempotent per call (scripts.py says how), so a caller gets the
    outcome of the one run rather than a second action. After a timeout it does not: the server is
    stalled and a resend would only wait out another timeout (the callers answer 503 and retry)."""

    def __init__(self, redis: Redis) -> None:
        self._connection = redis.connection_pool.make_connection()

    async def send(self, commands: Sequence[Command]) -> list[Any]:
        try:
            return await self._exchange(commands)
        except RedisTimeoutError:
            await self._connection.disconnect()  # its replies are still owed: never reuse it
            raise
        except RedisConnectionError:
            await self._connection.disconnect()
            return await self._exchange(commands)

    async def _exchange(self, commands: Sequence[Command]) -> list[Any]:
        await self._connection.send_packed_command(
            [hiredis.pack_command(command) for command in commands]
        )
        replies: list[Any] = []
        for _ in commands:
            try:
                replies.append(await self._connection.read_response())
            except ResponseError as error:  # that command's error reply; the next ones follow
                replies.append(error)
        return replies

    async def aclose(self) -> None:
        await self._connection.disconnect()


def sender_for(redis: Redis | RedisCluster) -> Sender:
    return PipelineSender(redis) if isinstance(redis, RedisCluster) else ConnectionSender(redis)


@dataclass
class Run:
    """One EVALSHA to send. `futures` holds one future, or one per client of a merged run."""

    script: AsyncScript
    keys: list[str]
    args: list[Any]
    futures: list[asyncio.Future[Any]] = field(default_factory=list)
    merged: bool = False

    def command(self) -> Command:
        return ("EVALSHA", self.script.sha, len(self.keys), *self.keys, *self.args)

    def settle(self, reply: Any) -> None:
        if (
            self.merged
            and not isinstance(reply, Exception)
            and (not isinstance(reply, list) or len(reply) != len(self.futures))
        ):
            reply = RuntimeError(
                f"a per-client script answered {reply!r:.100} for {len(self.futures)} clients"
            )
        for index, future in enumerate(self.futures):
            if future.done():  # the caller went away
                continue
            if isinstance(reply, Exception):
                future.set_exception(reply)
            else:
                future.set_result(reply[index] if self.merged else reply)


class ScriptBatcher:
    def __init__(self, sender: Sender) -> None:
        self._sender = sender
        self._pending: list[Run] = []
        self._open_merged: dict[tuple[str, str], Run] = {}
        self._sending: asyncio.Task[None] | None = None

    def call(self, script: AsyncScript, keys: list[str], args: list[Any]) -> asyncio.Future[Any]:
        """Queues one EVALSHA; the returned future resolves with its reply (or its error)."""
        run = Run(script, keys, args)
        self._queue(run)
        return self._add_future(run)

    def call_per_client(
        self, script: AsyncScript, keys: list[str], client_id: str
    ) -> asyncio.Future[Any]:
        """Queues `client_id` into the next batch's run of `script` on `keys`; resolves with its own
        reply.
        """
        group = (script.sha, keys[0])
        run = self._open_merged.get(group)
        if run is None or len(run.futures) >= MAX_CLIENTS_PER_RUN:
            run = self._open_merged[group] = Run(script, keys, [], merged=True)
            self._queue(run)
        run.args.append(client_id)
        return self._add_future(run)

    async def aclose(self) -> None:
        """Lets the batch in flight finish, for at most CLOSE_WAIT_SECONDS (a Redis that stopped
        answering must not hold up shutdown), then closes the sender."""
        if self._sending is not None:
            sending = self._sending
            _, pending = await asyncio.wait([sending], timeout=CLOSE_WAIT_SECONDS)
            if pending:
                sending.cancel()
                await asyncio.gather(sending, return_exceptions=True)
        await self._sender.aclose()

    def _queue(self, run: Run) -> None:
        self._pending.append(run)
        if self._sending is None:
            # the task first runs after every request ready in this tick has queued its call
            self._sending = asyncio.create_task(self._send_pending())

    @staticmethod
    def _add_future(run: Run) -> asyncio.Future[Any]:
        future = asyncio.get_running_loop().create_future()
        run.futures.append(future)
        return future

    async def _send_pending(self) -> None:
        try:
            while self._pending:
                batch, self._pending, self._open_merged = self._pending, [], {}
                await self._send(batch)
        finally:
            self._sending = None

    async def _send(self, batch: list[Run]) -> None:
        try:
            replies = await self._sender.send([run.command() for run in batch])
        except asyncio.CancelledError:  # closed with the batch unanswered: its callers answer 503
            for run in batch:
                run.settle(
                    RedisConnectionError("the Redis client closed before this call was answered")
                )
            raise
        except RedisTimeoutError as error:
            # The calls queued meanwhile would wait out the same stalled server: they fail with
            # this batch (unsent, they changed nothing), so a caller waits one timeout at most.
            batch, self._pending, self._open_merged = batch + self._pending, [], {}
            replies = [error] * len(batch)
        except Exception as error:
            replies = [error] * len(batch)
        for run, reply in zip(batch, replies, strict=True):
            if isinstance(reply, NoScriptError):  # Redis restarted and forgot the script
                try:
                    reply = await run.script(keys=run.keys, args=run.args)
                except Exception as error:
                    reply = error
            run.settle(reply)
