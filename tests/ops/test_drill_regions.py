"""A drill region made as a replica is a hot standby streaming from its source (real PostgreSQL),
not a copy that started on its own as a second primary."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ops.dr.local_postgres import psql_query
from ops.drill.regions import Region

REPLAY_TIMEOUT_SECONDS = 30.0


@pytest.fixture
def regions() -> Iterator[tuple[Region, Region]]:
    # as the drill does: PostgreSQL's user (as root) must enter it, which pytest's tmp_path forbids
    folder = Path(tempfile.mkdtemp(prefix="ticketing-drill-regions-"))
    folder.chmod(0o755)
    seoul = Region("seoul", "prod", "ap-northeast-2", folder / "seoul", {})
    tokyo = Region("tokyo", "dr", "ap-northeast-1", folder / "tokyo", {})
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
