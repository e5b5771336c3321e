"""The fast subset of `make chaos` (Redis stalled, its clients killed, Redis killed and restarted):
every invariant holds after each run."""

from pathlib import Path

from tests.chaos.harness import FAST_FAULTS, failures, run_all, table


async def test_invariants_hold_under_redis_faults(tmp_path: Path) -> None:
    results = await run_all(FAST_FAULTS, tmp_path)
    print(table(results))
    assert not failures(results), table(results)
