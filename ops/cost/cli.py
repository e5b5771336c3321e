"""`python -m ops.cost`: what a stack costs, priced from the resources its program declares.

Exit 0 printed, 2 the program, its config or the price table could not be used (the reason is
printed).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ops.cost.estimate import Estimate, estimate
from ops.cost.prices import PriceError, PriceTable, load_prices
from policies.program_runner import ProgramError, run_program

REPO_ROOT = Path(__file__).resolve().parents[2]
README_STACKS = ("dev", "prod", "dr")
README_BEGIN = "<!-- cost table: python -m ops.cost --readme -->"
README_END = "<!-- end of cost table -->"
EXIT_OK, EXIT_ERROR = 0, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ops.cost", description=__doc__)
    parser.add_argument("--stack", help="stack name; its config is Pulumi.<stack>.yaml")
    parser.add_argument("--config-file", type=Path, help="stack config to price instead")
    parser.add_argument(
        "--compare", type=Path, help="another config file of the stack: print the difference"
    )
    parser.add_argument(
        "--readme", action="store_true", help="print the README's cost table (dev, prod, dr)"
    )
    return parser


def stack_estimate(stack: str, prices: PriceTable, config_file: Path | None = None) -> Estimate:
    return estimate(run_program(REPO_ROOT, stack, config_file=config_file), prices)


def _money(amount: float) -> str:
    return f"${amount:,.2f}"


def report(result: Estimate, prices: PriceTable) -> str:
    lines = [
        f"ticketing {result.stack} ({result.region}): {prices.provenance()}",
        "",
        f"{'component':<12} {'per month, steady state':>24} {'per hour at peak size':>22}",
    ]
    for component in sorted(result.monthly):
        lines.append(
            f"{component:<12} {_money(result.monthly[component]):>24}"
            f" {_money(result.peak_hourly[component]):>22}"
        )
    lines += [
        f"{'total':<12} {_money(result.monthly_total):>24}"
        f" {_money(sum(result.peak_hourly.values())):>22}",
        "",
        f"A one-hour opening at peak size adds {_money(result.opening_hour)} to the steady state.",
        f"Not priced (charged by use): {', '.join(result.not_priced)}.",
    ]
    return "\n".join(lines)


def comparison(before: Estimate, after: Estimate) -> str:
    """The monthly difference, component by component, as a pull-request comment shows it."""
    change = after.monthly_total - before.monthly_total
    lines = [
        f"Monthly cost of {after.stack}: {_money(before.monthly_total)} ->"
        f" {_money(after.monthly_total)} ({'+' if change >= 0 else '-'}{_money(abs(change))})",
        "",
        f"{'component':<12} {'before':>14} {'after':>14} {'change':>14}",
    ]
    for component in sorted(set(before.monthly) | set(after.monthly)):
        old, new = before.monthly.get(component, 0.0), after.monthly.get(component, 0.0)
        if old != new:
            lines.append(
                f"{component:<12} {_money(old):>14} {_money(new):>14} {new - old:>+14,.2f}"
            )
    return "\n".join(lines)


def readme_table(estimates: Sequence[Estimate], prices: PriceTable) -> str:
    """The README's table, between its markers (the test compares it with the computation)."""
    header = " | ".join(f"{result.stack} ({result.region})" for result in estimates)
    lines = [
        README_BEGIN,
        f"Computed by `python -m ops.cost --readme`, {prices.provenance()}; per month at steady"
        " state (730 h), before usage charges (data transfer, ALB LCUs, Aurora storage and I/O,"
        " WAF requests, logs).",
        "",
        f"| component | {header} |",
        "|---|" + "---:|" * len(estimates),
    ]
    components = sorted({component for result in estimates for component in result.monthly})
    for component in components:
        cells = " | ".join(
            _money(result.monthly[component]) if component in result.monthly else "–"
            for result in estimates
        )
        lines.append(f"| {component} | {cells} |")
    totals = " | ".join(f"**{_money(result.monthly_total)}**" for result in estimates)
    openings = " | ".join(_money(result.opening_hour) for result in estimates)
    lines += [
        f"| **total per month** | {totals} |",
        f"| one-hour opening at peak size, added | {openings} |",
        README_END,
    ]
    return "\n".join(lines)


def readme_section(readme: str) -> str:
    """The table as the README has it now."""
    start, end = readme.find(README_BEGIN), readme.find(README_END)
    if start < 0 or end < 0:
        raise ValueError("README.md has no cost table markers")
    return readme[start : end + len(README_END)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not args.readme and not args.stack:
        parser.error("--stack is required (or --readme)")
    try:
        prices = load_prices()
        if args.readme:
            estimates = [stack_estimate(stack, prices) for stack in README_STACKS]
            print(readme_table(estimates, prices))
            return EXIT_OK
        result = stack_estimate(args.stack, prices, args.config_file)
        print(report(result, prices))
        if args.compare:
            print()
            print(comparison(result, stack_estimate(args.stack, prices, args.compare)))
    except (ProgramError, PriceError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK
