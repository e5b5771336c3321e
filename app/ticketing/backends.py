"""The connections a process shares: Redis (with the event scripts) and the PostgreSQL pool."""

from dataclasses import dataclass

import asyncpg
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ticketing.scripts import EventScripts, register_scripts

REDIS_MAX_CONNECTIONS = 200


@dataclass(frozen=True)
class Backends:
    redis: Redis
    pool: asyncpg.Pool
    scripts: EventScripts
    secret: bytes


def connect_redis(redis_url: str) -> Redis:
    # Blocking: a burst waits for a free connection instead of failing with "too many connections".
    # Retries: after a Redis restart, pooled connections are stale and fail once each.
    pool = BlockingConnectionPool.from_url(
        redis_url, max_connections=REDIS_MAX_CONNECTIONS, timeout=10, health_check_interval=10,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.01), 3),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
    )
    return Redis(connection_pool=pool)


def open_backends(redis_url: str, pool: asyncpg.Pool, secret: bytes) -> Backends:
    redis = connect_redis(redis_url)
    return Backends(redis, pool, register_scripts(redis), secret)
