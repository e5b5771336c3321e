"""Schema migrations on a writable primary and on a read-only replica (the dr standby's Aurora
secondary).
"""

import secrets
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from ticketing.database import create_pool, migrate


def _database_url(base_url: str, name: str) -> str:
    parts = urlsplit(base_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture
async def scratch_database(stores) -> AsyncIterator[str]:
    name = f"migrations_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(stores.database_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield name
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _tables(url: str) -> set[str]:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {row["tablename"] for row in rows}
    finally:
        await connection.close()


async def test_primary_gets_every_migration_once(stores, scratch_database):
    url = _database_url(stores.database_url, scratch_database)
    pool = await create_pool(url, max_size=2)
    try:
        first, second = await migrate(pool), await migrate(pool)
    finally:
        await pool.close()
    assert first and second == []
    assert "schema_migrations" in await _tables(url)


async def test_read_only_replica_is_left_alone(stores, scratch_database):
    url = _database_url(stores.database_url, scratch_database)
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
