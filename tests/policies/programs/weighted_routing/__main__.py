"""`api` is a healthy weighted pair; `admin` is drained, slow to change and half unchecked."""

import pulumi_aws as aws

zone = aws.route53.Zone("tickets", name="tickets.example.com")
REGIONS = {"ap-northeast-2": "seoul", "ap-northeast-1": "tokyo"}
health_checks = {
    region: aws.route53.HealthCheck(
        f"{city}-health",
        fqdn=f"{city}.tickets.example.com",
        type="HTTPS",
        resource_path="/healthz",
        port=443,
    )
    for region, city in REGIONS.items()
}

for region, city in REGIONS.items():
    aws.route53.Record(
        f"api-{city}",
        zone_id=zone.zone_id,
        name="api.tickets.example.com",
        type="CNAME",
        ttl=60,
        set_identifier=region,
        records=[f"{city}-alb.example.com"],
        health_check_id=health_checks[region].id,
        weighted_routing_policies=[{"weight": 100 if city == "seoul" else 0}],
    )

aws.route53.Record(
    "admin-seoul",
    zone_id=zone.zone_id,
    name="admin.tickets.example.com",
    type="CNAME",
    ttl=300,
    set_identifier="primary",
    records=["seoul-alb.example.com"],
    health_check_id=health_checks["ap-northeast-2"].id,
    weighted_routing_policies=[{"weight": 0}],
)
aws.route53.Record(
    "admin-tokyo",
    zone_id=zone.zone_id,
    name="admin.tickets.example.com",
    type="CNAME",
    ttl=60,
    set_identifier="primary",
    records=["tokyo-alb.example.com"],
    weighted_routing_policies=[{"weight": 0}],
)
