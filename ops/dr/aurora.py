"""`ops.dr switchover` and `ops.dr failover`: move the Aurora global database's writer.

Pulumi cannot express this (the cluster's global membership is under `ignore_changes`); it is
an API operation. Switchover is planned and loses nothing (Aurora waits for the secondary to
catch up). Failover is for a lost primary region: writes not yet replicated are lost.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ops.dr.clients import region_of_arn
from ops.dr.errors import OpsError
from ops.dr.status import writer_arn

SWITCHOVER = "switchover"
FAILOVER = "failover"
WAIT_INTERVAL_SECONDS = 15.0


@dataclass(frozen=True)
class Promotion:
    kind: str
    global_cluster: str
    from_arn: str | None
    to_arn: str

    def request(self) -> dict[str, Any]:
        request: dict[str, Any] = {
            "GlobalClusterIdentifier": self.global_cluster,
            "TargetDbClusterIdentifier": self.to_arn,
        }
        if self.kind == FAILOVER:
            request["AllowDataLoss"] = True
        return request

    @property
    def operation(self) -> str:
        return "switchover_global_cluster" if self.kind == SWITCHOVER else "failover_global_cluster"

    def describe(self) -> str:
        loss = (
            "no data loss"
            if self.kind == SWITCHOVER
            else "ALLOWS DATA LOSS: writes not yet replicated are gone"
        )
        return (
            f"{self.kind} of {self.global_cluster}: writer {self.from_arn or '(none reachable)'} ->"
            f" {self.to_arn} ({loss})"
        )


def plan_promotion(described: dict[str, Any], kind: str, to_region: str) -> Promotion | None:
    """The promotion to `to_region`, None when its cluster already writes; refuses unsafe states."""
    members = described.get("GlobalClusterMembers", [])
    in_region = [m for m in members if region_of_arn(m["DBClusterArn"]) == to_region]
    identifier = described["GlobalClusterIdentifier"]
    if not in_region:
        raise OpsError(
            f"global cluster {identifier} has no member in {to_region}; members:"
            f" {', '.join(m['DBClusterArn'] for m in members) or 'none'}"
        )
    if in_region[0].get("IsWriter"):
        return None
    failover_state = described.get("FailoverState") or {}
    if failover_state.get("Status"):
        raise OpsError(
            f"global cluster {identifier} is already {failover_state['Status']}; wait for it to"
            " finish (python -m ops.dr status)"
        )
    if kind == SWITCHOVER and described.get("Status") != "available":
        raise OpsError(
            f"switchover needs global cluster {identifier} available, it is"
            f" {described.get('Status')!r}; if the primary region is down use failover"
            " --allow-data-loss"
        )
    return Promotion(kind, identifier, writer_arn(described), in_region[0]["DBClusterArn"])


class Describes(Protocol):
    def describe(self) -> dict[str, Any]: ...


def wait_for_writer(
    backend: Describes,
    promotion: Promotion,
    timeout_seconds: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    deadline = clock() + timeout_seconds
    while True:
        described = backend.describe()
        writer = writer_arn(described)
        if writer == promotion.to_arn and not (described.get("FailoverState") or {}).get("Status"):
            return
        if clock() >= deadline:
            raise OpsError(
                f"{promotion.kind} not finished after {timeout_seconds:.0f} s (writer {writer});"
                " keep watching: python -m ops.dr status"
            )
        sleep(WAIT_INTERVAL_SECONDS)
