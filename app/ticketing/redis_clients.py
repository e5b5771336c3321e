"""The Redis clients of a process: one for commands and scripts, one for pub/sub subscriptions.

A single node (the default) serves both from one pooled `Redis`. With `TICKETING_REDIS_CLUSTER=true`
(e.g. ElastiCache with cluster mode enabled) commands go through `RedisCluster`, which routes each
one by the hash slot of its keys: every key of one event shares one (see keys.py), so each script
and each pipeline of one event lands on one shard. Subscriptions use a plain connection to the
URL's host instead: a cluster forwards every PUBLISH to every node, so one node hears all channels.
"""

from typing import NamedTuple

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

REDIS_MAX_CONNECTIONS = 200
# The cluster client has no blocking pool: past this many connections to one node a command fails
# at once, so the bound sits well above what a burst needs (scripts share pipelines, batching.py).
CLUSTER_MAX_CONNECTIONS_PER_NODE = 1000
HEALTH_CHECK_SECONDS = 10
# A stalled Redis (failover, SIGSTOP, a long script) answers nothing: past this a call fails with
# TimeoutError, which callers answer 503. A timeout is never a blind resend: state-changing scripts
# carry request ids (scripts.py), so the batch sender's one resend gets the recorded outcome.
# `?socket_timeout=` in the URL overrides it.
SOCKET_TIMEOUT_SECONDS = 2.0


class RedisClients(NamedTuple):
    commands: Redis | RedisCluster
    subscriber: Redis  # the same client as `commands` on a single node


def _retry() -> Retry:
    # After a Redis restart, pooled connections are stale and fail once each. Not on a timeout:
    # the server is stalled, and each retry would add another SOCKET_TIMEOUT_SECONDS to the answer.
    return Retry(
        ExponentialBackoff(cap=0.5, base=0.01), 3, supported_errors=(RedisConnectionError,)
    )


def _single_node(redis_url: str) -> Redis:
    # Blocking: a burst waits for a free connection instead of failing with "too many connections".
    pool = BlockingConnectionPool.from_url(
        redis_url,
        max_connections=REDIS_MAX_CONNECTIONS,
        timeout=10,
        health_check_interval=HEALTH_CHECK_SECONDS,
        retry=_retry(),
        retry_on_error=[RedisConnectionError],
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
    )
    return Redis(connection_pool=pool)


def _cluster(redis_url: str) -> RedisCluster:
    return RedisCluster.from_url(
        redis_url,
        max_connections=CLUSTER_MAX_CONNECTIONS_PER_NODE,
        health_check_interval=HEALTH_CHECK_SECONDS,
        retry=_retry(),
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
    )


def connect_redis(redis_url: str, cluster: bool) -> RedisClients:
    """TLS (`rediss://`) and AUTH (`redis://user:password@host`) come from the URL in both modes."""
    if not cluster:
        redis = _single_node(redis_url)
        return RedisClients(redis, redis)
    return RedisClients(_cluster(redis_url), _single_node(redis_url))
