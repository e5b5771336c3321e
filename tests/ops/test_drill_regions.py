"""Drill regions on real servers: a replica is a hot standby streaming from its source (not a copy
that started on its own as a second primary), and an app takes the whole drill's load from the one
address HAProxy connects from."""

from __future__ import annotations

import asyncio
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ops.dr.local_postgres import psql_query
from ops.drill.regions import Region
from ops.drill.scenario import Drill, DrillSettings
from ticketing.config import LimitSettings
from ticketing.embedded import EmbeddedPostgres, free_port

REPO = Path(__file__).resolve().parents[2]
REPLAY_TIMEOUT_SECONDS = 30.0
# More joins at once than the app's default per-address limit lets through in a second.
BURST_JOINS = 3 * LimitSettings().joins_per_ip_per_second


@pytest.fixture(scope="module")
def regions() -> Iterator[tuple[Region, Region]]:
    # as the drill does: PostgreSQL's user (as root) must enter it, which pytest's tmp_path forbids
    folder = Path(tempfile.mkdtemp(prefix="ticketing-drill-regions-"))
    folder.chmod(0o755)
    shared = {
        "TICKETING_ADMIN_TOKEN": secrets.token_urlsafe(24),
        "TICKETING_SECRET": secrets.token_urlsafe(32),
    }
    seoul = Region("seoul", "prod", "ap-northeast-2", folder / "seoul", shared)
    tokyo = Region("tokyo", "dr", "ap-northeast-1", folder / "tokyo", shared)
    try:
        seoul.start_primary()
        tokyo.start_replica_of(seoul)
        yield seoul, tokyo
    finally:
        tokyo.stop()
        seoul.stop()
        shutil.rmtree(folder, ignore_errors=True)


def test_a_replica_region_streams_its_sources_writes(regions: tuple[Region, Region]) -> None:
    seoul, tokyo = regions
    assert tokyo.in_recovery()
    assert psql_query(tokyo.member, "SELECT status FROM pg_stat_wal_receiver") == "streaming"
    psql_query(seoul.member, "CREATE TABLE written_in_seoul ()")
    deadline = time.monotonic() + REPLAY_TIMEOUT_SECONDS
    while psql_query(tokyo.member, "SELECT to_regclass('written_in_seoul') IS NOT NULL") != "t":
        assert time.monotonic() < deadline, "seoul's write never reached tokyo"
        time.sleep(0.1)


async def _joins(url: str, event_id: str, count: int) -> list[int]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        responses = await asyncio.gather(
            *(http.post(f"/api/v1/events/{event_id}/queue") for _ in range(count))
        )
    return [response.status_code for response in responses]


def test_a_region_takes_a_burst_of_joins_from_one_address(regions: tuple[Region, Region]) -> None:
    seoul, _ = regions
    seoul.start_app()
    seoul.create_event("burst", {"a": 10})
    statuses = asyncio.run(_joins(seoul.url, "burst", BURST_JOINS))
    assert 429 not in statuses and set(statuses) <= {200, 201}, statuses


def test_bookings_are_not_counted_lost_when_a_region_does_not_answer() -> None:
    """An unreachable PostgreSQL is an error, not an empty answer that loses every booking."""
    drill = Drill(REPO, DrillSettings())
    try:
        drill.tokyo.postgres = EmbeddedPostgres(drill.folder, port=free_port())  # never started
        with pytest.raises(RuntimeError, match="tokyo's PostgreSQL did not answer"):
            drill.lost_in(drill.tokyo, ["b_acknowledged_by_seoul"])
    finally:
        drill.stop()
