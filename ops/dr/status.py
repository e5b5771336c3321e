"""`ops.dr status`: what Route53 and Aurora say right now, the pre-flight before any change.

Route53: the live weighted records of the public name (weights as applied, not as configured)
and their health checks' checker reports. Aurora: who writes, and each secondary's replication
lag (`AuroraGlobalDBReplicationLag`, in the secondary's region).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from components.routing_weights import TARGETS
from ops.dr.clients import ROUTE53_REGION, ClientFactory, name_of_cluster_arn, region_of_arn
from ops.dr.errors import OpsError

# Route53 calls an endpoint healthy when more than 18 % of its checkers report it healthy.
HEALTHY_CHECKER_SHARE = 0.18
LAG_METRIC = "AuroraGlobalDBReplicationLag"
LAG_WINDOW = dt.timedelta(minutes=10)
DEFAULT_MAX_LAG_MS = 1000.0


@dataclass(frozen=True)
class TargetHealth:
    target: str
    weight: int
    health_check_id: str | None
    checkers_ok: int
    checkers: int

    @property
    def healthy(self) -> bool:
        return self.checkers > 0 and self.checkers_ok / self.checkers > HEALTHY_CHECKER_SHARE


@dataclass(frozen=True)
class Member:
    arn: str
    is_writer: bool
    lag_ms: float | None

    @property
    def region(self) -> str:
        return region_of_arn(self.arn)


@dataclass(frozen=True)
class Replication:
    global_cluster: str
    status: str
    failover_state: dict[str, Any] | None
    members: list[Member]


def _zone_id(route53: Any, zone: str) -> str:
    zones = route53.list_hosted_zones_by_name(DNSName=zone)["HostedZones"]
    public = [
        z
        for z in zones
        if z["Name"].rstrip(".") == zone and not z.get("Config", {}).get("PrivateZone")
    ]
    if not public:
        raise OpsError(f"no public hosted zone {zone!r} in this account")
    return str(public[0]["Id"]).rsplit("/", 1)[-1]


def weighted_records(route53: Any, zone: str, record_name: str) -> dict[str, dict[str, Any]]:
    """Live weighted record sets of `record_name`, by set identifier (= target)."""
    zone_id = _zone_id(route53, zone)
    records: dict[str, dict[str, Any]] = {}
    paginator = route53.get_paginator("list_resource_record_sets")
    for page in paginator.paginate(HostedZoneId=zone_id, StartRecordName=record_name):
        for record in page["ResourceRecordSets"]:
            if record["Name"].rstrip(".") != record_name:
                return records
            if "Weight" in record and "SetIdentifier" in record:
                records[record["SetIdentifier"]] = record
    return records


def _endpoint_check_id(route53: Any, health_check_id: str) -> str:
    """With ARC the record's check is CALCULATED; the endpoint's checker reports are on its HTTPS
    child.
    """
    config = route53.get_health_check(HealthCheckId=health_check_id)["HealthCheck"][
        "HealthCheckConfig"
    ]
    if config["Type"] != "CALCULATED":
        return health_check_id
    for child in config.get("ChildHealthChecks", []):
        if route53.get_health_check(HealthCheckId=child)["HealthCheck"]["HealthCheckConfig"][
            "Type"
        ].startswith("HTTP"):
            return str(child)
    raise OpsError(f"calculated health check {health_check_id} has no HTTP(S) child to read")


def target_health(route53: Any, target: str, record: dict[str, Any] | None) -> TargetHealth:
    if record is None:
        return TargetHealth(target, 0, None, 0, 0)
    health_check_id = record.get("HealthCheckId")
    if not health_check_id:
        return TargetHealth(target, int(record["Weight"]), None, 0, 0)
    observations = route53.get_health_check_status(
        HealthCheckId=_endpoint_check_id(route53, health_check_id)
    )["HealthCheckObservations"]
    ok = sum(
        1
        for observation in observations
        if observation["StatusReport"]["Status"].startswith("Success")
    )
    return TargetHealth(target, int(record["Weight"]), health_check_id, ok, len(observations))


def routing_health(clients: ClientFactory, zone: str, record_name: str) -> list[TargetHealth]:
    route53 = clients("route53", ROUTE53_REGION)
    records = weighted_records(route53, zone, record_name)
    return [target_health(route53, target, records.get(target)) for target in TARGETS]


def replication_lag_ms(clients: ClientFactory, cluster_arn: str, now: dt.datetime) -> float | None:
    cloudwatch = clients("cloudwatch", region_of_arn(cluster_arn))
    datapoints = cloudwatch.get_metric_statistics(
        Namespace="AWS/RDS",
        MetricName=LAG_METRIC,
        Dimensions=[{"Name": "DBClusterIdentifier", "Value": name_of_cluster_arn(cluster_arn)}],
        StartTime=now - LAG_WINDOW,
        EndTime=now,
        Period=60,
        Statistics=["Maximum"],
    )["Datapoints"]
    if not datapoints:
        return None
    return float(max(datapoints, key=lambda point: point["Timestamp"])["Maximum"])


def describe_global_cluster(
    clients: ClientFactory, region: str, global_cluster: str
) -> dict[str, Any]:
    rds = clients("rds", region)
    not_found = OpsError(f"global cluster {global_cluster!r} not found (asked {region})")
    try:
        clusters = rds.describe_global_clusters(GlobalClusterIdentifier=global_cluster)[
            "GlobalClusters"
        ]
    except rds.exceptions.GlobalClusterNotFoundFault as error:
        raise not_found from error
    matching = [
        cluster for cluster in clusters if cluster["GlobalClusterIdentifier"] == global_cluster
    ]
    if not matching:
        raise not_found
    cluster: dict[str, Any] = matching[0]
    return cluster


def writer_arn(described: dict[str, Any]) -> str | None:
    return next(
        (m["DBClusterArn"] for m in described.get("GlobalClusterMembers", []) if m.get("IsWriter")),
        None,
    )


def replication(
    clients: ClientFactory, region: str, global_cluster: str, now: dt.datetime
) -> Replication:
    described = describe_global_cluster(clients, region, global_cluster)
    members = [
        Member(
            arn=member["DBClusterArn"],
            is_writer=bool(member.get("IsWriter")),
            lag_ms=(
                None
                if member.get("IsWriter")
                else replication_lag_ms(clients, member["DBClusterArn"], now)
            ),
        )
        for member in described.get("GlobalClusterMembers", [])
    ]
    return Replication(
        global_cluster, described.get("Status", "unknown"), described.get("FailoverState"), members
    )


def problems(
    health: list[TargetHealth],
    configured: dict[str, int],
    replication_state: Replication | None,
    max_lag_ms: float,
) -> list[str]:
    """What should stop a weight change or a switchover; empty when all is well."""
    found = []
    for target in health:
        if target.weight > 0 and not target.healthy:
            found.append(
                f"{target.target} has weight {target.weight} but its health check is failing"
            )
        if target.weight != configured.get(target.target, 0):
            found.append(
                f"{target.target}: live weight {target.weight}, stack file says"
                f" {configured.get(target.target, 0)} (pulumi up pending?)"
            )
    if replication_state is not None:
        if replication_state.failover_state:
            found.append(
                f"a {replication_state.failover_state.get('Status', 'failover')} is in progress on"
                f" {replication_state.global_cluster}"
            )
        for member in replication_state.members:
            if not member.is_writer and (member.lag_ms is None or member.lag_ms > max_lag_ms):
                lag = "unknown" if member.lag_ms is None else f"{member.lag_ms:.0f} ms"
                found.append(
                    f"replication lag of {member.arn} is {lag} (limit {max_lag_ms:.0f} ms)"
                )
    return found


def render(
    record_name: str,
    health: list[TargetHealth],
    configured: dict[str, int],
    replication_state: Replication | None,
    issues: list[str],
) -> str:
    lines = [f"Route53 {record_name}", f"  {'target':<8}{'live':>6}{'config':>8}  health"]
    for target in health:
        verdict = (
            "healthy"
            if target.healthy
            else "UNHEALTHY"
            if target.health_check_id
            else "no health check"
        )
        detail = (
            f" ({target.checkers_ok}/{target.checkers} checkers ok, check {target.health_check_id})"
            if target.health_check_id
            else ""
        )
        lines.append(
            f"  {target.target:<8}{target.weight:>6}{configured.get(target.target, 0):>8} "
            f" {verdict}{detail}"
        )
    if replication_state is None:
        lines.append("Aurora: not checked (pass --global-cluster)")
    else:
        lines.append(
            f"Aurora global database {replication_state.global_cluster}"
            f" ({replication_state.status})"
        )
        for member in replication_state.members:
            role = "writer" if member.is_writer else "reader"
            lag = (
                ""
                if member.is_writer
                else "  lag " + ("unknown" if member.lag_ms is None else f"{member.lag_ms:.0f} ms")
            )
            lines.append(f"  {role}  {member.region:<16}{member.arn}{lag}")
    if issues:
        lines.append("Problems:")
    elif replication_state is None:
        lines.append(
            "OK for routing: nothing blocks a weight change; check Aurora (--global-cluster) before"
            " moving the writer"
        )
    else:
        lines.append("OK: nothing blocks a change")
    lines.extend(f"  - {issue}" for issue in issues)
    return "\n".join(lines) + "\n"
