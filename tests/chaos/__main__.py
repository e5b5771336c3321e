"""`make chaos`: every fault against a booking race and a queue burst; prints faults x invariants
and exits 1 when any invariant failed."""

import asyncio
import sys
import tempfile
from pathlib import Path

from tests.chaos.harness import FAULTS, failures, run_all, table


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="chaos-") as folder:
        results = asyncio.run(run_all(tuple(FAULTS), Path(folder)))
    print(table(results))
    return 1 if failures(results) else 0


if __name__ == "__main__":
    sys.exit(main())
