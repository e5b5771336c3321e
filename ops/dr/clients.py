"""How the commands get AWS clients: one factory, so tests can hand in moto or Stubber clients."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3

ClientFactory = Callable[[str, str], Any]
"""(service, region) -> boto3 client."""

ROUTE53_REGION = "us-east-1"


def boto3_clients(service: str, region: str) -> Any:
    return boto3.client(service, region_name=region)


def region_of_arn(arn: str) -> str:
    return arn.split(":")[3]


def name_of_cluster_arn(arn: str) -> str:
    return arn.rsplit(":", 1)[-1]
