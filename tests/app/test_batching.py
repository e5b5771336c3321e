"""Script batching against real Redis: what one tick's calls send, and that every caller gets its
own reply (or the error) whatever the batch looked like."""

import asyncio
import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from ticketing import batching
from ticketing.batching import ScriptBatcher
from ticketing.keys import event_keys
from ticketing.scripts import EventScripts, register_scripts

from tests.app.conftest import Stores


class RecordingRedis:
    """The real client, recording each pipeline's commands as sent."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self.pipelines: list[list[tuple[Any, ...]]] = []

    def pipeline(self, transaction: bool) -> Any:
        pipe = self.redis.pipeline(transaction=transaction)
        sent: list[tuple[Any, ...]] = []
        self.pipelines.append(sent)
        send = pipe.execute_command

        def record(*args: Any, **options: Any) -> Any:
            sent.append(args)
            return send(*args, **options)

        pipe.execute_command = record
        return pipe


@pytest.fixture
async def redis(stores: Stores) -> AsyncIterator[Redis]:
    client = Redis.from_url(stores.redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def recorded(redis: Redis) -> tuple[EventScripts, RecordingRedis]:
    recording = RecordingRedis(redis)
    return EventScripts(register_scripts(redis).scripts, ScriptBatcher(recording)), recording


async def loaded_event(redis: Redis) -> str:
    """The least of an event the queue scripts read: its config (no opening), an empty queue."""
    event_id = "batch-" + secrets.token_hex(4)
    await redis.hset(event_keys(event_id).config, mapping={"admit_per_second": 5, "opens_at_ms": 0})
    return event_id


def evalsha_client_counts(pipeline: list[tuple[Any, ...]]) -> list[int]:
    """Per EVALSHA: how many ARGV it carried (after the sha, the key count and the keys)."""
    return [len(command) - 3 - command[2] for command in pipeline if command[0] == "EVALSHA"]


async def test_one_ticks_joins_of_an_event_are_one_script_run(redis: Redis, recorded) -> None:
    scripts, recording = recorded
    event_id = await loaded_event(redis)
    clients = [f"client-{index:04d}" for index in range(300)]
    replies = await asyncio.gather(*(scripts.run("join", event_id, client) for client in clients))
    assert [evalsha_client_counts(pipeline) for pipeline in recording.pipelines] == [[300]]
    assert [(outcome, number) for outcome, number, *_ in replies] == [(b"new", n) for n in range(1, 301)]
    assert {tuple(reply[2:]) for reply in replies} == {(0, 300, b"5", b"0")}, "one queue state, after all joins"


async def test_the_same_client_twice_in_one_run_keeps_its_number(redis: Redis, recorded) -> None:
    scripts, _ = recorded
    event_id = await loaded_event(redis)
    first, again, other = await asyncio.gather(scripts.run("join", event_id, "client-same"),
                                               scripts.run("join", event_id, "client-same"),
                                               scripts.run("join", event_id, "client-other"))
    assert (first[:2], again[:2], other[:2]) == ([b"new", 1], [b"existing", 1], [b"new", 2])


async def test_runs_are_bounded_and_other_events_and_scripts_share_the_pipeline(redis: Redis, recorded) -> None:
    scripts, recording = recorded
    event_id, other_event = await loaded_event(redis), await loaded_event(redis)
    count = batching.MAX_CLIENTS_PER_RUN * 2 + 7
    joins = [scripts.run("join", event_id, f"client-{index}") for index in range(count)]
    results = await asyncio.gather(*joins, scripts.run("status", other_event, "nobody"),
                                   scripts.run("admit", other_event))
    (pipeline,) = recording.pipelines
    limit = batching.MAX_CLIENTS_PER_RUN
    assert sorted(evalsha_client_counts(pipeline)) == sorted([limit, limit, 7, 1, 0])
    assert sorted(number for _, number, *_ in results[:count]) == list(range(1, count + 1))
    assert results[count] == [b"unknown"]
    assert results[count + 1][0] == b"ok", "an admission step, on an empty queue"


async def test_an_unknown_event_answers_noevent_to_every_client(recorded) -> None:
    scripts, _ = recorded
    replies = await asyncio.gather(*(scripts.run("join", "batch-missing", f"c{index}") for index in range(3)))
    assert replies == [[b"noevent"]] * 3


async def test_a_script_redis_forgot_is_loaded_again_and_replies_still_split(redis: Redis, recorded) -> None:
    scripts, _ = recorded
    event_id = await loaded_event(redis)
    await redis.script_flush()
    replies = await asyncio.gather(*(scripts.run("join", event_id, f"client-{index}") for index in range(5)))
    assert [number for _, number, *_ in replies] == [1, 2, 3, 4, 5]


async def test_an_error_reaches_every_caller_of_the_run(redis: Redis, recorded) -> None:
    scripts, _ = recorded
    event_id = await loaded_event(redis)
    await redis.set(event_keys(event_id).queue, "not a hash")  # HINCRBY on it fails inside the script
    outcomes = await asyncio.gather(*(scripts.run("join", event_id, f"client-{index}") for index in range(4)),
                                    return_exceptions=True)
    assert len(outcomes) == 4 and all(isinstance(outcome, ResponseError) for outcome in outcomes)


async def test_a_caller_that_went_away_does_not_disturb_the_others(redis: Redis, recorded) -> None:
    scripts, _ = recorded
    event_id = await loaded_event(redis)
    leaving = asyncio.ensure_future(scripts.run("join", event_id, "client-leaving"))
    staying = asyncio.ensure_future(scripts.run("join", event_id, "client-staying"))
    await asyncio.sleep(0)  # both have queued their call
    leaving.cancel()
    assert (await staying)[:2] == [b"new", 2]
