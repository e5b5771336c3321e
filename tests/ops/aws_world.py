"""An AWS account under moto shaped like a deployed pair of stacks: the weighted records with
their health checks, and an Aurora global database with its writer in prod and reader in dr."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import boto3

from tests.ops.stack_files import DR_REGION, PROD_REGION

GLOBAL_CLUSTER = "ticketing-global"
PROD_CLUSTER_ARN = f"arn:aws:rds:{PROD_REGION}:123456789012:cluster:prod-db"
DR_CLUSTER_ARN = f"arn:aws:rds:{DR_REGION}:123456789012:cluster:dr-db"
ENDPOINTS = {
    "prod": "prod-alb.ap-northeast-2.elb.amazonaws.com",
    "dr": "dr-alb.ap-northeast-1.elb.amazonaws.com",
}


@dataclass(frozen=True)
class World:
    zone_id: str
    health_check_ids: dict[str, str]


def build_world(weights: dict[str, int], lag_ms: float | None = 420.0) -> World:
    route53 = boto3.client("route53", region_name="us-east-1")
    zone_id = route53.create_hosted_zone(Name="example.com", CallerReference="zone")["HostedZone"][
        "Id"
    ]
    health_check_ids = {}
    changes = []
    for target, endpoint in ENDPOINTS.items():
        health_check_ids[target] = route53.create_health_check(
            CallerReference=target,
            HealthCheckConfig={
                "Type": "HTTPS",
                "FullyQualifiedDomainName": endpoint,
                "Port": 443,
                "ResourcePath": "/readyz",
                "RequestInterval": 10,
                "FailureThreshold": 3,
            },
        )["HealthCheck"]["Id"]
        changes.append(
            {
                "Action": "CREATE",
                "ResourceRecordSet": {
                    "Name": "tickets.example.com",
                    "Type": "CNAME",
                    "TTL": 60,
                    "SetIdentifier": target,
                    "Weight": weights[target],
                    "HealthCheckId": health_check_ids[target],
                    "ResourceRecords": [{"Value": endpoint}],
                },
            }
        )
    changes.append(
        {
            "Action": "CREATE",
            "ResourceRecordSet": {
                "Name": "www.example.com",
                "Type": "A",
                "TTL": 300,
                "ResourceRecords": [{"Value": "192.0.2.1"}],
            },
        }
    )
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})

    boto3.client("rds", region_name=PROD_REGION).create_global_cluster(
        GlobalClusterIdentifier=GLOBAL_CLUSTER, Engine="aurora-postgresql"
    )
    for region, identifier in ((PROD_REGION, "prod-db"), (DR_REGION, "dr-db")):
        boto3.client("rds", region_name=region).create_db_cluster(
            DBClusterIdentifier=identifier,
            Engine="aurora-postgresql",
            MasterUsername="ticketing",
            MasterUserPassword="not-a-real-secret",
            GlobalClusterIdentifier=GLOBAL_CLUSTER,
        )
    if lag_ms is not None:
        boto3.client("cloudwatch", region_name=DR_REGION).put_metric_data(
            Namespace="AWS/RDS",
            MetricData=[
                {
                    "MetricName": "AuroraGlobalDBReplicationLag",
                    "Dimensions": [{"Name": "DBClusterIdentifier", "Value": "dr-db"}],
                    "Value": lag_ms,
                    "Timestamp": dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2),
                }
            ],
        )
    return World(zone_id.rsplit("/", 1)[-1], health_check_ids)
