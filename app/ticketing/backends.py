"""What a process shares: Redis (with the event scripts), the PostgreSQL pool and the queue
states.
"""

from dataclasses import dataclass, field

import asyncpg
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

from ticketing.chores import Chores
from ticketing.config import DEFAULT_DEPLOYMENT, DEFAULT_RECLAIM_SECONDS, Settings
from ticketing.event_ends import EventEnds
from ticketing.limits import Limits
from ticketing.queue_states import QueueStates
from ticketing.redis_clients import connect_redis
from ticketing.scripts import EventScripts, register_scripts
from ticketing.tokens import Tokens


@dataclass(frozen=True)
class Backends:
    redis: Redis | RedisCluster
    subscriber: Redis  # pub/sub (redis_clients.py says why it may differ from `redis`)
    pool: asyncpg.Pool
    scripts: EventScripts
    tokens: Tokens
    queue_states: QueueStates
    limits: Limits
    ends: EventEnds
    chores: Chores = field(default_factory=Chores)
    reclaim_seconds: float = DEFAULT_RECLAIM_SECONDS  # events.install_event
    deployment: str = DEFAULT_DEPLOYMENT  # whose Redis copies a confirm is fenced by (bookings.py)

    async def close_redis(self) -> None:
        await self.chores.aclose()
        await self.scripts.batcher.aclose()
        await self.redis.aclose()
        if self.subscriber is not self.redis:
            await self.subscriber.aclose()


def open_backends(settings: Settings, pool: asyncpg.Pool) -> Backends:
    redis, subscriber = connect_redis(settings.redis_url, settings.redis_cluster)
    return Backends(
        redis,
        subscriber,
        pool,
        register_scripts(redis),
        Tokens(settings.secret),
        QueueStates(),
        Limits(settings.limits),
        EventEnds(settings.end_grace_seconds),
        reclaim_seconds=settings.reclaim_seconds,
        deployment=settings.deployment,
    )
