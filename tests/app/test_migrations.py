"""Schema migrations on a writable primary and on a read-only replica (the dr standby's Aurora
secondary).
"""

from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests.app.conftest import database_url, private_database
from ticketing.database import create_pool, migrate


@pytest.fixture
async def scratch_database(stores) -> AsyncIterator[str]:
    async with private_database(stores, "migrations") as name:
        yield name


async def _tables(url: str) -> set[str]:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {row["tablename"] for row in rows}
    finally:
        await connection.close()


async def test_primary_gets_every_migration_once(stores, scratch_database):
    url = database_url(stores.database_url, scratch_database)
    pool = await create_pool(url, max_size=2)
    try:
        first, second = await migrate(pool), await migrate(pool)
    finally:
        await pool.close()
    assert first and second == []
    assert "schema_migrations" in await _tables(url)


async def test_read_only_replica_is_left_alone(stores, scratch_database):
    url = database_url(stores.database_url, scratch_database)
    admin = await asyncpg.connect(stores.database_url)
    try:
        await admin.execute(
            f'ALTER DATABASE "{scratch_database}" SET default_transaction_read_only = on'
        )
    finally:
        await admin.close()
    pool = await create_pool(url, max_size=2)
    try:
        assert await migrate(pool) == []
    finally:
        await pool.close()
    assert await _tables(url) == set()
