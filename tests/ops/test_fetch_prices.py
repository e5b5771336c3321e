"""The price-table refresh against botocore's Stubber: the real client's request validation and
response shapes, no AWS account."""

from __future__ import annotations

import datetime as dt
import json

import boto3
import pytest
from botocore.stub import Stubber

from ops.cost.fetch_prices import FetchError, refresh, write_prices
from ops.cost.prices import Price, PriceTable, load_prices

TODAY = dt.date(2027, 1, 15)
EC2_ROW = Price(
    "ap-northeast-2", "ec2:c7i.xlarge", "hour", 0.2016, "https://aws.amazon.com/ec2/pricing/"
)
KMS_ROW = Price("ap-northeast-2", "kms-key", "month", 1.0, "https://aws.amazon.com/kms/pricing/")


def product(usd: str) -> str:
    return json.dumps(
        {
            "product": {"attributes": {"instanceType": "c7i.xlarge"}},
            "terms": {
                "OnDemand": {
                    "TERM.1": {"priceDimensions": {"DIM.1": {"pricePerUnit": {"USD": usd}}}}
                }
            },
        }
    )


@pytest.fixture
def client():
    return boto3.client(
        "pricing",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 -- the Stubber answers; nothing is sent
    )


def expected_ec2_request() -> dict:
    attributes = {
        "operatingSystem": "Linux",
        "tenancy": "Shared",
        "preInstalledSw": "NA",
        "capacitystatus": "Used",
        "instanceType": "c7i.xlarge",
        "regionCode": "ap-northeast-2",
    }
    return {
        "ServiceCode": "AmazonEC2",
        "Filters": [
            {"Type": "TERM_MATCH", "Field": field, "Value": value}
            for field, value in attributes.items()
        ],
        "MaxResults": 10,
    }


def test_an_instance_price_comes_from_the_price_list_api(client, tmp_path):
    table = PriceTable("2026-12-01", False, 730, (EC2_ROW, KMS_ROW))
    with Stubber(client) as stubber:
        stubber.add_response(
            "get_products",
            {"PriceList": [product("0.0000000000"), product("0.2110000000")]},
            expected_ec2_request(),
        )
        refreshed, kept = refresh(table, client, TODAY)
        stubber.assert_no_pending_responses()
    assert refreshed.rows[0].price == 0.211
    assert refreshed.rows[1] == KMS_ROW
    assert kept == ["kms-key (ap-northeast-2)"]
    assert (refreshed.as_of, refreshed.fetched) == ("2027-01-15", False)

    written = tmp_path / "prices.yaml"
    write_prices(refreshed, written)
    assert load_prices(written) == refreshed


def test_a_table_fully_answered_is_marked_fetched(client):
    table = PriceTable("2026-12-01", False, 730, (EC2_ROW,))
    with Stubber(client) as stubber:
        stubber.add_response(
            "get_products", {"PriceList": [product("0.2110000000")]}, expected_ec2_request()
        )
        refreshed, kept = refresh(table, client, TODAY)
    assert kept == [] and refreshed.fetched is True
    assert "fetched from the AWS Price List API" in refreshed.provenance()


def test_a_refusal_names_the_row_and_writes_nothing(client):
    table = PriceTable("2026-12-01", False, 730, (EC2_ROW,))
    with Stubber(client) as stubber:
        stubber.add_client_error("get_products", "AccessDeniedException", "not allowed")
        with pytest.raises(FetchError, match="ec2:c7i.xlarge in ap-northeast-2"):
            refresh(table, client, TODAY)


def test_the_committed_table_has_every_price_the_stacks_need_and_its_date():
    table = load_prices()
    assert table.as_of == "2026-12-01" and table.fetched is False
    assert "not fetched" in table.provenance()
    assert all(row.source.startswith("https://aws.amazon.com/") for row in table.rows)
