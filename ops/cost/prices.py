"""The committed, dated price table (`prices.yaml`): one row per region and priced item."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

PRICE_FILE = Path(__file__).resolve().parent / "prices.yaml"
GLOBAL_REGION = "global"  # Route53 is priced once for every region
UNITS = ("hour", "month", "GB-month")


class PriceError(Exception):
    """The table lacks a price the program needs, or a row is malformed; the message says which."""


@dataclass(frozen=True)
class Price:
    region: str
    item: str
    unit: str
    price: float
    source: str


@dataclass(frozen=True)
class PriceTable:
    as_of: str
    fetched: bool
    hours_per_month: int
    rows: tuple[Price, ...]

    def price(self, region: str, item: str) -> Price:
        for row in self.rows:
            if row.item == item and row.region in (region, GLOBAL_REGION):
                return row
        raise PriceError(
            f"no price for {item} in {region} in {PRICE_FILE.name}: add a row (or run"
            " python -m ops.cost.fetch_prices)"
        )

    def provenance(self) -> str:
        how = (
            "fetched from the AWS Price List API"
            if self.fetched
            else "typed from the AWS pricing pages, not fetched"
        )
        return f"prices as of {self.as_of} ({how})"


def _row(raw: Any, index: int) -> Price:
    if not isinstance(raw, dict) or set(raw) != {"region", "item", "unit", "price", "source"}:
        raise PriceError(f"prices[{index}]: expected region, item, unit, price and source")
    if raw["unit"] not in UNITS:
        raise PriceError(f"prices[{index}].unit: {raw['unit']!r} is not one of {UNITS}")
    if not isinstance(raw["price"], (int, float)) or raw["price"] < 0:
        raise PriceError(f"prices[{index}].price: {raw['price']!r} is not a price")
    return Price(raw["region"], raw["item"], raw["unit"], float(raw["price"]), raw["source"])


def load_prices(path: Path = PRICE_FILE) -> PriceTable:
    document = yaml.safe_load(path.read_text()) or {}
    return PriceTable(
        as_of=str(document["asOf"]),
        fetched=bool(document.get("fetched", False)),
        hours_per_month=int(document["hoursPerMonth"]),
        rows=tuple(_row(raw, index) for index, raw in enumerate(document["prices"])),
    )
