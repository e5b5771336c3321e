"""The app in Redis Cluster mode (`TICKETING_REDIS_CLUSTER=true`) against three real cluster nodes
with TLS and AUTH: a representative subset of the app tests, collected here again with `stores` and
`base_url` pointing at the cluster and at a database of its own on the session's PostgreSQL server.

The database must be its own: the session's app (another Redis) lists every event in its
PostgreSQL and loads the ones its Redis lacks, which records its copy as the event's newest
(events.install_event), so confirms begun in the cluster's copy would book nothing (404)."""

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.exceptions import MovedError

from tests.app.conftest import Stores, database_url, one_app, private_database
from ticketing.batching import sender_for
from ticketing.embedded import EmbeddedRedisCluster
from ticketing.keys import event_keys

# The app's tests again, against Redis Cluster, collected in this order: the Redis restart last.
from tests.app.test_queue import (
    test_concurrent_joins_get_distinct_consecutive_numbers,
    test_join_is_idempotent_per_client,
    test_admission_follows_queue_numbers_in_order,
    test_max_active_caps_admissions_and_no_shows_free_their_place,
    test_pause_stops_and_resume_restarts_admissions,
)
from tests.app.test_opening import test_prejoiners_get_the_published_permutation_then_fifo
from tests.app.test_holds import (
    test_500_concurrent_holds_for_50_seats_have_exactly_50_winners,
    test_confirm_is_idempotent_per_key,
    test_hold_expires_and_its_seats_return,
)
from tests.app.test_replicas import test_three_replicas_never_double_admit
from tests.app.test_websockets import (
    test_queue_socket_pushes_positions_then_the_access_token,
    test_availability_socket_pushes_remaining_counts,
)
from tests.app.test_durability import (
    test_a_confirm_cut_short_by_a_crash_is_resolved_from_postgresql,
    test_bookings_survive_a_redis_restart_and_inventory_is_rebuilt,
)


@pytest.fixture(scope="module")
async def stores(stores: Stores, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stores]:
    cluster = EmbeddedRedisCluster(tmp_path_factory.mktemp("redis-cluster"))
    async with private_database(stores, "cluster") as name:
        try:
            cluster.start()
            yield Stores(
                cluster.url, database_url(stores.database_url, name), cluster, redis_cluster=True
            )
        finally:
            cluster.stop()


base_url = pytest.fixture(scope="module", name="base_url")(one_app)


async def test_events_spread_over_the_nodes_so_a_single_node_client_is_redirected(
    stores: Stores,
) -> None:
    single_node = Redis.from_url(stores.redis_url)
    try:
        with pytest.raises(MovedError):
            for index in range(10):
                await single_node.hget(event_keys(f"ev-{index}").config, "name")
    finally:
        await single_node.aclose()


async def test_the_batchers_own_connection_speaks_tls_and_auth_and_keeps_each_replys_error(
    stores: Stores,
) -> None:
    """The single-node sender (batching.ConnectionSender) over one node's TLS port, with AUTH from
    the
    URL: an error reply (here a redirect) stands in its command's place and the next replies follow.
    """
    single_node = Redis.from_url(stores.redis_url)
    sender = sender_for(single_node)
    try:
        commands = [
            ("PING",),
            *(("HGET", event_keys(f"ev-{index}").config, "name") for index in range(10)),
            ("ECHO", "after"),
        ]
        replies = await sender.send(commands)
        assert replies[0] == b"PONG" and replies[-1] == b"after"
        assert any(isinstance(reply, MovedError) for reply in replies[1:-1])
    finally:
        await sender.aclose()
        await single_node.aclose()
