"""`python -m ops.cost`: the program's recorded resources priced from the dated table."""

from __future__ import annotations

import pytest
import yaml

from ops.cost import cli
from ops.cost.estimate import Line, estimate, lines_of
from ops.cost.prices import PriceError, PriceTable, load_prices
from policies.program_runner import run_program

REPO_ROOT = cli.REPO_ROOT
SEED_REAL_BILL_PER_MONTH = 2_257


@pytest.fixture(scope="module")
def prices() -> PriceTable:
    return load_prices()


@pytest.fixture(scope="module")
def runs():
    return {stack: run_program(REPO_ROOT, stack) for stack in cli.README_STACKS}


@pytest.fixture(scope="module")
def estimates(runs, prices):
    return {stack: estimate(run, prices) for stack, run in runs.items()}


def stack_config(stack: str) -> dict:
    return yaml.safe_load((REPO_ROOT / f"Pulumi.{stack}.yaml").read_text())


def test_the_readme_table_is_the_computation(estimates, prices):
    readme = (REPO_ROOT / "README.md").read_text()
    computed = cli.readme_table([estimates[stack] for stack in cli.README_STACKS], prices)
    assert cli.readme_section(readme) == computed, (
        "README.md's cost table is stale: paste `python -m ops.cost --readme` over it"
    )


def test_prod_between_openings_costs_at_most_the_seeds_real_bill(estimates):
    assert estimates["prod"].monthly_total <= SEED_REAL_BILL_PER_MONTH


def test_an_opening_hour_prices_the_node_groups_at_their_maximum(estimates, prices):
    prod = stack_config("prod")["config"]
    app = prod["ticketing:cluster"]["nodeGroups"]["app"]
    system = prod["ticketing:cluster"]["nodeGroups"]["system"]
    region = prod["aws:region"]

    def node_hour(group: dict) -> float:
        return prices.price(region, f"ec2:{group['instanceTypes'][0]}").price

    def disk_hour(group: dict) -> float:
        gb_month = prices.price(region, "ebs:gp3").price
        return group["diskSizeGb"] * gb_month / prices.hours_per_month

    added = sum(
        (group["maxSize"] - group["minSize"]) * (node_hour(group) + disk_hour(group))
        for group in (app, system)
    )
    assert estimates["prod"].opening_hour == pytest.approx(added)


def test_each_redis_node_is_priced(runs):
    cache = stack_config("prod")["config"]["ticketing:cache"]
    (group,) = runs["prod"].of_type("aws:elasticache/replicationGroup:ReplicationGroup")
    assert list(lines_of(runs["prod"], group)) == [
        Line(
            "cache",
            f"elasticache:{cache['nodeType']}",
            steady=cache["shards"] * (1 + cache["replicasPerShard"]),
            peak=cache["shards"] * (1 + cache["replicasPerShard"]),
        )
    ]


def test_compare_prints_the_monthly_difference_of_another_config(tmp_path, prices, capsys):
    document = stack_config("prod")
    document["config"]["ticketing:cache"]["replicasPerShard"] = 2
    other = tmp_path / "Pulumi.prod-more-replicas.yaml"
    other.write_text(yaml.safe_dump(document))

    assert cli.main(["--stack", "prod", "--compare", str(other)]) == cli.EXIT_OK

    node_month = prices.price("ap-northeast-2", "elasticache:cache.m7g.large").price * 730
    output = capsys.readouterr().out
    assert "prices as of 2026-12-01" in output
    difference = output.split("Monthly cost of prod:")[1]
    cache_line = next(line for line in difference.splitlines() if line.startswith("cache "))
    assert cache_line.split()[-1] == f"{node_month:+,.2f}"


def test_a_missing_price_names_the_item_and_region(runs, prices):
    run = runs["dev"]
    without_nat = PriceTable(
        prices.as_of,
        prices.fetched,
        prices.hours_per_month,
        tuple(row for row in prices.rows if row.item != "nat-gateway"),
    )
    with pytest.raises(PriceError, match="nat-gateway in ap-northeast-2"):
        estimate(run, without_nat)


def test_a_bad_config_exits_2_with_the_reason(tmp_path, capsys):
    document = stack_config("dev")
    document["config"]["ticketing:services"]["peakRps"] = "lots"
    bad = tmp_path / "Pulumi.dev-bad.yaml"
    bad.write_text(yaml.safe_dump(document))
    assert cli.main(["--stack", "dev", "--config-file", str(bad)]) == cli.EXIT_ERROR
    assert "services.peakRps" in capsys.readouterr().err
