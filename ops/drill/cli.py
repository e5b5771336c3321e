"""`python -m ops.drill`: run the DR drill and write build/drill.{json,md,png}; exit 0 when the
invariants hold (no oversell, traffic reached tokyo, failback lost nothing), 1 otherwise, 2 when
the drill could not run."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from subprocess import SubprocessError

import httpx

from ops.dr.errors import OpsError
from ops.drill import report
from ops.drill.scenario import Drill, DrillSettings


def _parser() -> argparse.ArgumentParser:
    defaults = DrillSettings()
    parser = argparse.ArgumentParser(prog="python -m ops.drill", description=__doc__)
    parser.add_argument("--project-dir", type=Path, default=Path.cwd(), help="stack files")
    parser.add_argument("--out", type=Path, default=Path("build"))
    parser.add_argument("--buyers-per-second", type=float, default=defaults.buyers_per_second)
    parser.add_argument("--steady-seconds", type=float, default=defaults.steady_seconds)
    parser.add_argument("--failover-seconds", type=float, default=defaults.failover_seconds)
    parser.add_argument(
        "--failback-step-seconds", type=float, default=defaults.failback_step_seconds
    )
    parser.add_argument(
        "--health-check-scale",
        type=float,
        default=defaults.health_check_scale,
        help="Route53's check interval times this (default 0.1: 10 s -> 1 s)",
    )
    parser.add_argument(
        "--remote-apply-seconds",
        type=float,
        default=20.0,
        help="seconds of alternating 5 s windows of synchronous_commit=remote_apply and async"
        " commit after the warm-up, to measure remote_apply's cost in confirm latency",
    )
    parser.add_argument(
        "--remote-apply-through-kill",
        action="store_true",
        help="keep remote_apply on when seoul is killed (zero-loss option)",
    )
    parser.add_argument(
        "--replica-stall-seconds",
        type=float,
        default=0.0,
        help="stop tokyo's WAL receiver this long before the kill: a lagging replica, to see"
        " what a failover then loses",
    )
    parser.add_argument("--keep-folder", action="store_true", help="keep servers' logs and data")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = DrillSettings(
        buyers_per_second=args.buyers_per_second,
        steady_seconds=args.steady_seconds,
        failover_seconds=args.failover_seconds,
        failback_step_seconds=args.failback_step_seconds,
        health_check_scale=args.health_check_scale,
        remote_apply_seconds=args.remote_apply_seconds,
        remote_apply_through_kill=args.remote_apply_through_kill,
        replica_stall_seconds=args.replica_stall_seconds,
    )
    try:
        drill = Drill(args.project_dir, settings, keep_folder=args.keep_folder)
    except (OpsError, OSError) as error:
        print(f"drill cannot start: {error}", file=sys.stderr)
        return 2
    try:
        drill.start()
        run = drill.run()
    except (RuntimeError, OSError, OpsError, SubprocessError, httpx.HTTPError) as error:
        print(f"drill failed: {error} (servers' logs: {drill.folder})", file=sys.stderr)
        drill.keep_folder = True
        return 2
    finally:
        drill.stop()
    doc = report.write(run, args.out)
    print(report.markdown(doc))
    print(f"written: {args.out / 'drill.json'}, {args.out / 'drill.md'}, {args.out / 'drill.png'}")
    result = doc["results"]
    held = (
        result["oversell"]["none"]
        and result["traffic_moved_seconds"] is not None
        and result["failback"]["lost_bookings"] == 0
    )
    return 0 if held else 1
