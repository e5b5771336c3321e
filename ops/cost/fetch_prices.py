"""`python -m ops.cost.fetch_prices`: refresh `prices.yaml` from the AWS Price List API.

Needs AWS credentials (any identity allowed `pricing:GetProducts`). Rows of services the API is
asked about here (EC2 instances, ElastiCache nodes, Aurora PostgreSQL instances: what sizing
changes) get today's on-demand price; the other rows keep theirs, and `fetched` stays false until
every row came from the API. Without credentials nothing is written and the committed table, with
its date, stays in use.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import boto3
import yaml
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from ops.cost.prices import GLOBAL_REGION, PRICE_FILE, Price, PriceTable, load_prices

# The Price List API answers in these regions only; us-east-1 has every service's prices.
PRICING_ENDPOINT_REGION = "us-east-1"
PRODUCT_FILTERS: dict[str, tuple[str, dict[str, str]]] = {
    "ec2": (
        "AmazonEC2",
        {
            "operatingSystem": "Linux",
            "tenancy": "Shared",
            "preInstalledSw": "NA",
            "capacitystatus": "Used",
        },
    ),
    "elasticache": ("AmazonElastiCache", {"cacheEngine": "Redis"}),
    "aurora-postgresql": (
        "AmazonRDS",
        {"databaseEngine": "Aurora PostgreSQL", "deploymentOption": "Single-AZ"},
    ),
}


class FetchError(Exception):
    """The API could not be asked (no credentials, refused); the message says why."""


def _filters(region: str, attributes: dict[str, str]) -> list[dict[str, str]]:
    return [
        {"Type": "TERM_MATCH", "Field": field, "Value": value}
        for field, value in {**attributes, "regionCode": region}.items()
    ]


def on_demand_hourly(client: Any, row: Price) -> float | None:
    """The row's on-demand USD price per hour from the API; None when the API does not price it."""
    family, _, size = row.item.partition(":")
    if family not in PRODUCT_FILTERS or row.region == GLOBAL_REGION or row.unit != "hour":
        return None
    service_code, attributes = PRODUCT_FILTERS[family]
    response = client.get_products(
        ServiceCode=service_code,
        Filters=_filters(row.region, {**attributes, "instanceType": size}),
        MaxResults=10,
    )
    for product_text in response["PriceList"]:
        product = json.loads(product_text)
        for term in product.get("terms", {}).get("OnDemand", {}).values():
            for dimension in term["priceDimensions"].values():
                price = float(dimension["pricePerUnit"]["USD"])
                if price > 0:
                    return price
    return None


def refresh(table: PriceTable, client: Any, today: dt.date) -> tuple[PriceTable, list[str]]:
    """The table with every price the API gave, and the rows it did not give."""
    rows, kept = [], []
    for row in table.rows:
        try:
            price = on_demand_hourly(client, row)
        except NoCredentialsError as error:
            raise FetchError(
                f"no AWS credentials: the committed table of {table.as_of} stays in use"
            ) from error
        except (BotoCoreError, ClientError) as error:
            raise FetchError(
                f"the Price List API refused {row.item} in {row.region}: {error}"
            ) from error
        if price is None:
            kept.append(f"{row.item} ({row.region})")
            rows.append(row)
        else:
            rows.append(dataclasses.replace(row, price=price))
    refreshed = PriceTable(today.isoformat(), not kept, table.hours_per_month, tuple(rows))
    return refreshed, kept


def write_prices(table: PriceTable, path: Path) -> None:
    header = (
        "# On-demand list prices the cost command (python -m ops.cost) multiplies the program's\n"
        "# resources by. USD, Linux, no reservations, before tax. Written by\n"
        f"# python -m ops.cost.fetch_prices on {table.as_of}; rows it could not ask the Price\n"
        "# List API about kept their earlier price (fetched: false until none is left).\n"
    )
    document = {
        "asOf": table.as_of,
        "fetched": table.fetched,
        "hoursPerMonth": table.hours_per_month,
        "prices": [dataclasses.asdict(row) for row in table.rows],
    }
    path.write_text(header + yaml.safe_dump(document, sort_keys=False, width=200))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.cost.fetch_prices", description=__doc__)
    parser.add_argument("--out", type=Path, default=PRICE_FILE)
    args = parser.parse_args(argv)
    client = boto3.client("pricing", region_name=PRICING_ENDPOINT_REGION)
    try:
        table, kept = refresh(load_prices(), client, dt.datetime.now(dt.UTC).date())
    except FetchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    write_prices(table, args.out)
    print(f"{args.out}: {len(table.rows) - len(kept)} prices fetched on {table.as_of}")
    if kept:
        print(f"kept (not asked of the API): {', '.join(kept)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
