"""The `ticketing` command: serve, surge, demo."""

import argparse
import asyncio
import os
import subprocess
import sys
import time

import httpx
import orjson
from rich.console import Console

from ticketing.demo_event import DEMO_EVENT_ID
from ticketing.limits import PER_ADDRESS_LIMITS_OFF
from ticketing.opening_load import passed, run_opening
from ticketing.prescale import prescale
from ticketing.serve import serve
from ticketing.surge import run_surge

READY_TIMEOUT_SECONDS = 60.0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ticketing", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve_command = commands.add_parser("serve", help="run the HTTP API and pages")
    serve_command.add_argument("--host", default="127.0.0.1")
    serve_command.add_argument("--port", type=int, default=8000)
    serve_command.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    surge_command = commands.add_parser(
        "surge", help="drive a ticket-opening burst against a server"
    )
    surge_command.add_argument("--url", required=True, help="base URL, e.g. http://127.0.0.1:8000")
    surge_command.add_argument("--event", default=DEMO_EVENT_ID)
    surge_command.add_argument("--clients", type=int, default=1000)
    surge_command.add_argument(
        "--concurrency", type=int, default=200, help="HTTP connections at most"
    )
    surge_command.add_argument(
        "--scenario",
        choices=("burst", "opening"),
        default="burst",
        help="opening: clients arrive over --arrival-seconds, hold both sockets, poll, hold 1-4"
        " seats and confirm 70%% of the time; prints the figures as JSON",
    )
    surge_command.add_argument("--arrival-seconds", type=float, default=10.0)
    prescale_command = commands.add_parser(
        "prescale", help="set the floor of the release's HPA (the pre-scaling CronJobs)"
    )
    prescale_command.add_argument("--hpa", required=True)
    prescale_command.add_argument("--min-replicas", type=int, required=True)
    demo_command = commands.add_parser(
        "demo", help="serve with private servers and surge against it"
    )
    demo_command.add_argument("--port", type=int, default=8000)
    demo_command.add_argument("--clients", type=int, default=1000)
    return parser


def _wait_until_ready(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the server at {url} did not become ready")


def demo(port: int, clients: int) -> int:
    """Serves (private servers) in a child process, surges against it, then keeps serving."""
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "ticketing.cli", "serve", "--port", str(port)],
        env={
            **{
                key: value
                for key, value in os.environ.items()
                if key not in ("TICKETING_REDIS_URL", "TICKETING_DATABASE_URL")
            },
            **PER_ADDRESS_LIMITS_OFF,  # the surge's clients all come from 127.0.0.1
        },
    )
    console = Console()
    try:
        _wait_until_ready(url, server)
        console.print(
            f"[bold]waiting room: {url}/?event={DEMO_EVENT_ID}[/] — surging {clients} clients"
        )
        status = asyncio.run(run_surge(url, DEMO_EVENT_ID, clients, 200, console))
        console.print(f"the page stays up at {url} — Ctrl-C to stop")
        server.wait()
        return status
    except KeyboardInterrupt:
        return 0
    finally:
        server.terminate()
        server.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return serve(args.host, args.port, args.workers)
    if args.command == "prescale":
        return prescale(args.hpa, args.min_replicas)
    if args.command == "surge" and args.scenario == "opening":
        report = asyncio.run(run_opening(args.url, args.event, args.clients, args.arrival_seconds))
        print(orjson.dumps(report).decode())
        return 0 if passed(report) else 1
    if args.command == "surge":
        return asyncio.run(
            run_surge(args.url, args.event, args.clients, args.concurrency, Console())
        )
    return demo(args.port, args.clients)


if __name__ == "__main__":
    sys.exit(main())
