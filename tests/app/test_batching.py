"""Script batching against real Redis: what one tick's calls send, and that every caller gets its
own reply (or the error) whatever the batch looked like."""

import asyncio
import secrets
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from tests.app.conftest import Stores
from ticketing import batching
from ticketing.batching import Command, ScriptBatcher, Sender, sender_for
from ticketing.keys import event_keys
from ticketing.scripts import EventScripts, register_scripts


class RecordingSender:
    """The real sender, recording each batch's commands."""

    def __init__(self, sender: Sender) -> None:
        self.sender = sender
        self.batches: list[list[Command]] = []

    async def send(self, commands: Sequence[Command]) -> list[Any]:
        self.batches.append(list(commands))
        return await self.sender.send(commands)

    async def aclose(self) -> None:
        await self.sender.aclose()


@pytest.fixture
async def redis(stores: Stores) -> AsyncIterator[Redis]:
    client = Redis.from_url(stores.redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def recorded(redis: Redis) -> AsyncIterator[tuple[EventScripts, RecordingSender]]:
    recording = RecordingSender(sender_for(redis))
    yield EventScripts(register_scripts(redis).scripts, ScriptBatcher(recording)), recording
    await recording.aclose()


async def loaded_event(redis: Redis) -> str:
    """The least of an event the queue scripts read: its config (no opening), an empty queue."""
    event_id = "batch-" + secrets.token_hex(4)
    await redis.hset(event_keys(event_id).config, mapping={"admit_per_second": 5, "opens_at_ms": 0})
    return event_id


def evalsha_client_counts(batch: list[Command]) -> list[int]:
    """Per EVALSHA: how many ARGV it carried (after the sha, the key count and the keys)."""
    return [len(command) - 3 - command[2] for command in batch if command[0] == "EVALSHA"]


async def test_one_ticks_joins_of_an_event_are_one_script_run(redis: Redis, recorded) -> None:
    scripts, recording = recorded
    event_id = await loaded_event(redis)
    clients = [f"client-{index:04d}" for index in range(300)]
    replies = await asyncio.gather(*(scripts.run("join", event_id, client) for client in clients))
    assert [evalsha_client_counts(batch) for batch in recording.batches] == [[300]]
    assert [(outcome, number) for outcome, number, *_ in replies] == [
        (b"new", n) for n in range(1, 301)
    ]
    assert {tuple(reply[2:]) for reply in replies} == {(0, 300, b"5", b"0", 0)}, (
        "one queue state, after all joins"
    )


async def test_the_same_client_twice_in_one_run_keeps_its_number(redis: Redis, recorded) -> None:
    scripts, _ = recorded
    event_id = await loaded_event(redis)
    first, again, other = await asyncio.gather(
        scripts.run("join", event_id, "client-same"),
        scripts.run("join", event_id, "client-same"),
        scripts.run("join", event_id, "client-other"),
    )
    assert (first[:2], again[:2], other[:2]) == ([b"new", 1], [b"existing", 1], [b"new", 2])


async def test_runs_are_bounded_and_other_events_and_scripts_share_the_batch(
    redis: Redis, recorded
) -> None:
    scripts, recording = recorded
    event_id, other_event = await loaded_event(redis), await loaded_event(redis)
    count = batching.MAX_CLIENTS_PER_RUN * 2 + 7
    joins = [scripts.run("join", event_id, f"client-{index}") for index in range(count)]
    results = await asyncio.gather(
        *joins, scripts.run("status", other_event, "nobody"), scripts.run("admit", other_event)
    )
    (batch,) = recording.batches
    limit = batching.MAX_CLIENTS_PER_RUN
    assert sorted(evalsha_client_counts(batch)) == sorted([limit, limit, 7, 1, 0])
    assert sorted(number for _, number, *_ in results[:count]) == list(range(1, count + 1))
    assert results[count] == [b"unknown"]
    assert results[count + 1][0] == b"ok", "an admission step, on an empty queue"


async def test_an_unknown_event_answers_noevent_to_every_client(recorded) -> None:
    scripts, _ = recorded
    replies = await asyncio.gather(
        *(scripts.run("join", "batch-missing", f"c{index}") for index in range(3))
    )
    assert replies == [[b"noevent"]] * 3


async def test_a_script_redis_forgot_is_loaded_again_and_replies_still_split(
    redis: Redis, recorded
) -> None:
    scripts, _ = recorded
    event_id = await loaded_event(redis)
    await redis.script_flush()
    replies = await asyncio.gather(
        *(scripts.run("join", event_id, f"client-{index}") for index in range(5))
    )
    assert [number for _, number, *_ in replies] == [1, 2, 3, 4, 5]


async def test_an_error_reaches_every_caller_of_the_run(redis: Redis, recorded) -> None:
    scripts, _ = recorded
    event_id = await loaded_event(redis)
    await redis.set(
        event_keys(event_id).queue, "not a hash"
    )  # HINCRBY on it fails inside the script
    outcomes = await asyncio.gather(
        *(scripts.run("join", event_id, f"client-{index}") for index in range(4)),
        return_exceptions=True,
    )
    assert len(outcomes) == 4 and all(isinstance(outcome, ResponseError) for outcome in outcomes)


async def test_a_caller_that_went_away_does_not_disturb_the_others(redis: Redis, recorded) -> None:
    scripts, _ = recorded
    event_id = await loaded_event(redis)
    leaving = asyncio.ensure_future(scripts.run("join", event_id, "client-leaving"))
    staying = asyncio.ensure_future(scripts.run("join", event_id, "client-staying"))
    await asyncio.sleep(0)  # both have queued their call
    leaving.cancel()
    assert (await staying)[:2] == [b"new", 2]


async def test_calls_made_while_a_batch_is_out_go_together_in_the_next(
    redis: Redis, recorded
) -> None:
    scripts, recording = recorded
    event_id = await loaded_event(redis)
    first = asyncio.ensure_future(scripts.run("join", event_id, "client-first"))
    await asyncio.sleep(0)  # the first batch is on its way
    later = [
        asyncio.ensure_future(scripts.run("join", event_id, f"client-later-{index}"))
        for index in range(3)
    ]
    for _ in range(3):
        await asyncio.sleep(0)
        later.append(asyncio.ensure_future(scripts.run("status", event_id, "client-first")))
    await asyncio.gather(first, *later)
    assert [evalsha_client_counts(batch) for batch in recording.batches] == [[1], [3, 3]]


async def test_a_lost_connection_is_replaced_and_the_batch_sent_again(
    redis: Redis, recorded
) -> None:
    scripts, recording = recorded
    event_id = await loaded_event(redis)
    assert (await scripts.run("join", event_id, "client-before"))[:2] == [b"new", 1]
    (connection_id,) = await recording.sender.send([("CLIENT", "ID")])
    assert await redis.client_kill_filter(_id=connection_id) == 1
    assert (await scripts.run("join", event_id, "client-after"))[:2] == [b"new", 2]
    (new_connection_id,) = await recording.sender.send([("CLIENT", "ID")])
    assert new_connection_id != connection_id


async def test_closing_does_not_wait_forever_for_a_redis_that_stopped_answering(
    monkeypatch,
) -> None:
    class SilentSender:
        closed = False

        async def send(self, commands: Sequence[Command]) -> list[Any]:
            await asyncio.Event().wait()  # never answers
            return []

        async def aclose(self) -> None:
            self.closed = True

    monkeypatch.setattr(batching, "CLOSE_WAIT_SECONDS", 0.2)
    sender = SilentSender()
    batcher = ScriptBatcher(sender)
    script = register_scripts(Redis()).scripts[
        "admit"
    ]  # only its sha is read; nothing is sent to Redis
    call = batcher.call(script, list(event_keys("batch-silent")), [])
    await asyncio.sleep(0)
    await asyncio.wait_for(batcher.aclose(), 2)
    assert sender.closed
    with pytest.raises(RedisConnectionError, match="closed before this call was answered"):
        await call
