"""Where `switchover` and `failover` act: Aurora through boto3, or a local PostgreSQL pair (the DR
drill, `ops.dr.local_postgres`).

Every backend answers in the shape of RDS DescribeGlobalClusters, so `aurora.plan_promotion` and
its safety checks are one code for both.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

from ops.dr import aurora, status
from ops.dr.clients import ClientFactory


class DatabaseBackend(Protocol):
    def describe(self) -> dict[str, Any]:
        """The global cluster as DescribeGlobalClusters shows one of its entries."""
        ...

    def replication_lag_ms(self, member_arn: str) -> float | None:
        """The member's last known replication lag, None when unknown."""
        ...

    def promote(self, promotion: aurora.Promotion) -> dict[str, Any]:
        """Starts the promotion; returns the global cluster as the request left it."""
        ...


@dataclass(frozen=True)
class AuroraBackend:
    clients: ClientFactory
    region: str
    global_cluster: str

    def describe(self) -> dict[str, Any]:
        return status.describe_global_cluster(self.clients, self.region, self.global_cluster)

    def replication_lag_ms(self, member_arn: str) -> float | None:
        return status.replication_lag_ms(self.clients, member_arn, dt.datetime.now(dt.UTC))

    def promote(self, promotion: aurora.Promotion) -> dict[str, Any]:
        rds = self.clients("rds", self.region)
        response = getattr(rds, promotion.operation)(**promotion.request())
        return dict(response["GlobalCluster"])
