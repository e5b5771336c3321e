"""PostgreSQL connection pool and schema migrations (applied once, under an advisory lock)."""

from importlib import resources

import asyncpg

# Any fixed number shared by every replica: only one of them migrates at a time.
MIGRATION_LOCK_ID = 7_410_420_001
# The advisory lock a rebuild of one event in Redis takes exclusively and a confirm shared.
REBUILD_LOCK_KEY = "hashtextextended({event_id}, 7410420002)"
# Bounds a stuck statement, well inside the 30 s after which Redis resolves an unfinished confirm.
STATEMENT_TIMEOUT_SECONDS = 10


async def create_pool(database_url: str, max_size: int = 20) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        database_url, min_size=1, max_size=max_size, command_timeout=STATEMENT_TIMEOUT_SECONDS
    )


def _migration_files() -> list[tuple[str, str]]:
    folder = resources.files("ticketing").joinpath("migrations")
    names = sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".sql"))
    return [(name.removesuffix(".sql"), folder.joinpath(name).read_text()) for name in names]


async def migrate(pool: asyncpg.Pool) -> list[str]:
    """Applies the migrations not applied yet; returns their versions.

    A read-only server (the dr region's Aurora secondary, a hot standby) gets its schema by
    replication from the primary, so nothing is applied there.
    """
    applied: list[str] = []
    async with pool.acquire() as connection:
        if await connection.fetchval("SELECT current_setting('transaction_read_only') = 'on'"):
            return applied
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK_ID)
        await connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {
            row["version"]
            for row in await connection.fetch("SELECT version FROM schema_migrations")
        }
        for version, sql in _migration_files():
            if version not in done:
                await connection.execute(sql)
                await connection.execute(
                    "INSERT INTO schema_migrations (version) VALUES ($1)", version
                )
                applied.append(version)
    return applied
