"""`make bench`: the ceiling and the ticketing services, side by side in one run, on loopback."""

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

from app.bench import scenarios
from app.bench.plot import write_plot
from app.bench.processes import CpuSplit, raise_open_files_limit
from app.bench.quantities import chart_cpu_limit
from app.bench.report import Sizing, markdown_table, profile_text, size_for_target, sizing_text
from app.bench.wrk import ensure_wrk

BUILD_DIR = Path("build")
CHART_VALUES = Path(__file__).resolve().parents[1] / "chart" / "values.yaml"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m app.bench", description=__doc__)
    parser.add_argument("--duration", type=int, default=4, help="seconds per measured load run")
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="interleaved (ceiling, app) rounds per throughput measure: the best app "
        "round is reported, the ratio is the median of the paired rounds' ratios, "
        "open-loop loads are fractions of the median app round",
    )
    parser.add_argument("--connections", type=int, default=64, help="wrk connections")
    parser.add_argument("--ws-clients", type=int, default=10_000)
    parser.add_argument(
        "--ws-deflate",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="WebSocket clients offer permessage-deflate, as browsers do",
    )
    parser.add_argument(
        "--server-cores",
        type=int,
        default=1,
        help="CPUs the server is pinned to; the rest drive the load",
    )
    parser.add_argument(
        "--vcpus-per-pod",
        type=float,
        default=chart_cpu_limit(CHART_VALUES),
        help="CPU per pod for the pod count (default: the chart's CPU limit)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also record py-spy profiles of queue entry, position reads and the WebSocket stage",
    )
    parser.add_argument(
        "--opening-users",
        type=int,
        default=20_000,
        help="buyers of the opening scenario (ticketing surge --scenario opening)",
    )
    parser.add_argument(
        "--arrival-seconds", type=float, default=10.0, help="the opening's buyers arrive within"
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=scenarios.SCENARIO_NAMES,
        default=list(scenarios.SCENARIO_NAMES),
        help="run only these scenarios",
    )
    parser.add_argument("--out", type=Path, default=BUILD_DIR)
    args = parser.parse_args(argv)
    for name in (
        "duration",
        "rounds",
        "connections",
        "ws_clients",
        "server_cores",
        "opening_users",
    ):
        if getattr(args, name) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be positive")
    if args.vcpus_per_pod <= 0:
        parser.error("--vcpus-per-pod must be positive")
    return args


def derive(results: dict, vcpus_per_pod: float) -> None:
    if "enqueue" in results:
        sizing = size_for_target(results["enqueue"]["rps"], results["cores"], vcpus_per_pod)
        results["sizing"] = vars(sizing)


def write_outputs(results: dict, out: Path) -> str:
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    text = markdown_table(results)
    if "sizing" in results:
        text += "\n\n" + sizing_text(Sizing(**results["sizing"]), results["cores"])
    profiles = dict(results.get("profiles", {}))
    if "profile" in results.get("websocket", {}):
        profiles["websocket"] = results["websocket"]["profile"]
    if profiles:
        text += "\n\n" + profile_text(profiles)
    (out / "bench.md").write_text(text + "\n")
    write_plot(results, out / "bench.png")
    return text


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    raise_open_files_limit(args.ws_clients * 2 + 4096)
    ensure_wrk()
    split = CpuSplit.for_machine(args.server_cores)
    args.out.mkdir(parents=True, exist_ok=True)
    results: dict = {
        "cores": len(split.server),
        "server_cpus": sorted(split.server),
        "load_cpus": sorted(split.load),
        "duration_s": args.duration,
        "connections": args.connections,
        "load_average_at_start": os.getloadavg()[0],
    }
    try:
        asyncio.run(scenarios.run_all(split, args, results))
    except Exception as error:  # the ceiling and whatever was measured are still written
        results["error"] = f"{type(error).__name__}: {error}"
    derive(results, args.vcpus_per_pod)
    print(write_outputs(results, args.out))
    if "error" in results:
        print(f"\nbench incomplete: {results['error']}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
