"""Argument parsing and the four commands; exit 0 done, 1 refused, problems found or AWS error, 2
bad usage.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from botocore.exceptions import BotoCoreError, ClientError

from components.routing_weights import DESTINATIONS
from ops.dr import aurora, plan, status
from ops.dr.backends import AuroraBackend, DatabaseBackend
from ops.dr.clients import ClientFactory, boto3_clients
from ops.dr.errors import OpsError
from ops.dr.local_postgres import LocalPostgresBackend
from ops.dr.stack_file import read_stack_file, region_of

ROUTING_OWNER = "dr"
GLOBAL_CLUSTER_ENV = "TICKETING_GLOBAL_CLUSTER"
DEFAULT_WAIT_SECONDS = 900.0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ops.dr",
        description="DR routing and Aurora global database commands for on-call.",
    )
    parser.add_argument(
        "--stack", default=ROUTING_OWNER, help="the stack that owns routing (default: dr)"
    )
    parser.add_argument(
        "--project-dir",
        type=Path,
        default=Path.cwd(),
        help="folder with Pulumi.<stack>.yaml (default: current)",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    status_parser = commands.add_parser(
        "status", help="health checks, live vs configured weights, replication lag"
    )
    _global_cluster_argument(status_parser, required=False)
    status_parser.add_argument("--max-lag-ms", type=float, default=status.DEFAULT_MAX_LAG_MS)

    plan_parser = commands.add_parser("plan", help="the safe sequence of commands to reach a phase")
    plan_parser.add_argument("--to", required=True, choices=DESTINATIONS, dest="destination")
    _global_cluster_argument(plan_parser, required=False)

    for kind, help_text in (
        (aurora.SWITCHOVER, "planned writer move, no data loss"),
        (aurora.FAILOVER, "disaster writer move, may lose data"),
    ):
        promote_parser = commands.add_parser(kind, help=help_text)
        _global_cluster_argument(promote_parser, required=True)
        promote_parser.add_argument(
            "--to-region",
            help="region whose cluster becomes the writer (default: the stack's region)",
        )
        promote_parser.add_argument(
            "--dry-run", action="store_true", help="check and print the API call without making it"
        )
        promote_parser.add_argument(
            "--yes", action="store_true", help="do not ask for confirmation"
        )
        promote_parser.add_argument(
            "--wait", action="store_true", help="wait until the new writer is in place"
        )
        promote_parser.add_argument("--wait-seconds", type=float, default=DEFAULT_WAIT_SECONDS)
        promote_parser.add_argument(
            "--local-cluster",
            type=Path,
            help="act on the local PostgreSQL pair this JSON file describes (the DR drill),"
            " not on Aurora",
        )
        if kind == aurora.FAILOVER:
            promote_parser.add_argument(
                "--allow-data-loss",
                action="store_true",
                help="required: acknowledges that unreplicated writes are lost",
            )
    return parser


def _global_cluster_argument(parser: argparse.ArgumentParser, required: bool) -> None:
    default = os.environ.get(GLOBAL_CLUSTER_ENV)
    parser.add_argument(
        "--global-cluster",
        default=default,
        required=required and default is None,
        help=f"Aurora global cluster identifier (env {GLOBAL_CLUSTER_ENV})",
    )


def _status(args: argparse.Namespace, clients: ClientFactory, out: TextIO) -> int:
    stack_file = read_stack_file(args.project_dir, args.stack)
    routing = stack_file.routing
    health = status.routing_health(clients, routing.zone, routing.record_name)
    replication = (
        status.replication(clients, stack_file.region, args.global_cluster, dt.datetime.now(dt.UTC))
        if args.global_cluster
        else None
    )
    configured = routing.effective_weights()
    issues = status.problems(health, configured, replication, args.max_lag_ms)
    out.write(status.render(routing.record_name, health, configured, replication, issues))
    return 1 if issues else 0


def _plan(args: argparse.Namespace, out: TextIO) -> int:
    stack_file = read_stack_file(args.project_dir, args.stack)
    primary_stack = stack_file.primary_stack or "prod"
    primary_region = region_of(args.project_dir, primary_stack.rsplit("/", 1)[-1])
    context = plan.PlanContext(stack_file, primary_stack, primary_region, args.global_cluster)
    try:
        steps = plan.build_plan(context, args.destination)
    except ValueError as error:
        raise OpsError(str(error)) from error
    out.write(plan.render(context, args.destination, steps))
    return 0


def _promote(
    args: argparse.Namespace, clients: ClientFactory, out: TextIO, ask: Callable[[str], str]
) -> int:
    if args.command == aurora.FAILOVER and not args.allow_data_loss:
        raise OpsError(
            "failover promotes a secondary without waiting for replication and can lose writes: "
            "pass --allow-data-loss, or use switchover while the primary region is healthy"
        )
    region = args.to_region or read_stack_file(args.project_dir, args.stack).region
    backend: DatabaseBackend = (
        LocalPostgresBackend.from_file(args.local_cluster, args.global_cluster)
        if args.local_cluster
        else AuroraBackend(clients, region, args.global_cluster)
    )
    described = backend.describe()
    promotion = aurora.plan_promotion(described, args.command, region)
    if promotion is None:
        out.write(
            f"Nothing to do: the cluster in {region} already writes for {args.global_cluster}.\n"
        )
        return 0
    out.write(promotion.describe() + "\n")
    if promotion.kind == aurora.FAILOVER:
        lag = backend.replication_lag_ms(promotion.to_arn)
        out.write(
            f"Last replication lag of the target: {'unknown' if lag is None else f'{lag:.0f} ms'}"
            " (about what may be lost)\n"
        )
    if args.dry_run:
        out.write(
            f"dry run: would call rds.{promotion.operation}({promotion.request()}) in {region}\n"
        )
        return 0
    if not args.yes and not _confirmed(ask, args.global_cluster):
        out.write("Not confirmed; nothing changed.\n")
        return 1
    state = backend.promote(promotion)
    out.write(
        f"Requested; global cluster status {state.get('Status')!r}, failover state"
        f" {state.get('FailoverState', {}).get('Status')!r}.\n"
    )
    if args.wait:
        aurora.wait_for_writer(backend, promotion, args.wait_seconds)
        out.write(f"Done: {promotion.to_arn} is the writer.\n")
    out.write(
        "Next: point traffic with python -m ops.dr plan, and check python -m ops.dr status.\n"
    )
    return 0


def _confirmed(ask: Callable[[str], str], global_cluster: str) -> bool:
    try:
        return (
            ask(f"Type the global cluster identifier ({global_cluster}) to proceed: ").strip()
            == global_cluster
        )
    except EOFError:
        return False


def main(
    argv: Sequence[str] | None = None,
    clients: ClientFactory = boto3_clients,
    out: TextIO | None = None,
    ask: Callable[[str], str] = input,
) -> int:
    args = _parser().parse_args(argv)
    out = out or sys.stdout
    try:
        if args.command == "status":
            return _status(args, clients, out)
        if args.command == "plan":
            return _plan(args, out)
        return _promote(args, clients, out, ask)
    except OpsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except (BotoCoreError, ClientError) as error:
        print(f"error: AWS refused or could not be reached: {error}", file=sys.stderr)
        return 1
