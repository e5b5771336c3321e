"""What the program's recorded resources cost: each billable resource becomes priced lines, summed
per component (the `ticketing:<module>` component that owns it), per month at steady state and per
hour at peak size (node groups at their maximum)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from ops.cost.prices import PriceTable
from policies.program_runner import ProgramRun, RegisteredResource

# Charged by use, not by what the program declares: left out of the estimate and named in it.
USAGE_PRICED = {
    "aws:s3/bucket:Bucket": "S3 storage and requests",
    "aws:cloudwatch/logGroup:LogGroup": "CloudWatch Logs ingestion and storage",
    "aws:ec2/flowLog:FlowLog": "VPC flow log delivery",
    "aws:sns/topic:Topic": "SNS deliveries",
    "aws:rds/cluster:Cluster": "Aurora storage and I/O",
    "aws:lb/loadBalancer:LoadBalancer": "ALB load balancer capacity units",
    "aws:wafv2/webAcl:WebAcl": "WAF requests",
    "aws:ec2/natGateway:NatGateway": "NAT data processing and all data transfer",
}


@dataclass(frozen=True)
class Line:
    """`steady` and `peak` units of `item`, billed per the price table's unit."""

    component: str
    item: str
    steady: float
    peak: float


@dataclass
class Estimate:
    stack: str
    region: str
    monthly: dict[str, float] = field(default_factory=dict)
    peak_hourly: dict[str, float] = field(default_factory=dict)
    steady_hourly: dict[str, float] = field(default_factory=dict)
    not_priced: list[str] = field(default_factory=list)

    @property
    def monthly_total(self) -> float:
        return sum(self.monthly.values())

    @property
    def opening_hour(self) -> float:
        """What one hour at peak size adds to the steady state."""
        return sum(self.peak_hourly.values()) - sum(self.steady_hourly.values())


def _component(run: ProgramRun, resource: RegisteredResource) -> str:
    by_urn = {item.urn: item for item in run.resources}
    parent = by_urn.get(resource.parent_urn)
    while parent is not None:
        if parent.type.startswith("ticketing:"):
            return parent.type.split(":")[1]
        parent = by_urn.get(parent.parent_urn)
    return "stack"


def _node_group_lines(run: ProgramRun, group: RegisteredResource, component: str) -> Iterator[Line]:
    scaling = group.inputs["scalingConfig"]
    steady, peak = float(scaling["minSize"]), float(scaling["maxSize"])
    yield Line(component, f"ec2:{group.inputs['instanceTypes'][0]}", steady, peak)
    by_urn = {item.urn: item for item in run.resources}
    for urn in group.property_dependencies.get("launchTemplate", ()):
        template = by_urn[urn]
        for mapping in template.inputs.get("blockDeviceMappings", []):
            ebs = mapping["ebs"]
            size = float(ebs["volumeSize"])
            yield Line(component, f"ebs:{ebs['volumeType']}", size * steady, size * peak)


def lines_of(run: ProgramRun, resource: RegisteredResource) -> Iterator[Line]:
    component = _component(run, resource)
    inputs = resource.inputs

    def fixed(item: str, count: float = 1) -> Line:
        return Line(component, item, count, count)

    match resource.type:
        case "eks:index:Cluster":
            yield fixed("eks-cluster")
        case "eks:index:ManagedNodeGroup":
            yield from _node_group_lines(run, resource, component)
        case "aws:ec2/natGateway:NatGateway":
            yield fixed("nat-gateway")
        case "aws:lb/loadBalancer:LoadBalancer":
            yield fixed("alb")
        case "aws:elasticache/replicationGroup:ReplicationGroup":
            nodes = float(inputs["numNodeGroups"]) * (1 + float(inputs["replicasPerNodeGroup"]))
            yield fixed(f"elasticache:{inputs['nodeType']}", nodes)
        case "aws:rds/clusterInstance:ClusterInstance":
            yield fixed(f"aurora-postgresql:{inputs['instanceClass']}")
        case "aws:kms/key:Key":
            yield fixed("kms-key")
        case "aws:cloudwatch/metricAlarm:MetricAlarm":
            yield fixed("cloudwatch-alarm")
        case "aws:cloudwatch/dashboard:Dashboard":
            yield fixed("cloudwatch-dashboard")
        case "aws:wafv2/webAcl:WebAcl":
            yield fixed("waf-web-acl")
            yield fixed("waf-rule", len(inputs.get("rules", [])))
        case "aws:secretsmanager/secret:Secret":
            yield fixed("secretsmanager-secret")
        case "aws:route53/zone:Zone":
            yield fixed("route53-hosted-zone")
        case "aws:route53/healthCheck:HealthCheck":
            yield fixed(f"route53-health-check-{str(inputs['type']).lower()}")


def estimate(run: ProgramRun, prices: PriceTable) -> Estimate:
    region = run.config["aws:region"]
    result = Estimate(run.stack, region)
    monthly: dict[str, float] = defaultdict(float)
    peak: dict[str, float] = defaultdict(float)
    steady: dict[str, float] = defaultdict(float)
    hours = prices.hours_per_month
    for resource in run.resources:
        if resource.type in USAGE_PRICED:
            result.not_priced.append(USAGE_PRICED[resource.type])
        for line in lines_of(run, resource):
            price = prices.price(region, line.item)
            per_hour = price.price if price.unit == "hour" else price.price / hours
            monthly[line.component] += line.steady * per_hour * hours
            steady[line.component] += line.steady * per_hour
            peak[line.component] += line.peak * per_hour
    result.monthly, result.peak_hourly, result.steady_hourly = (
        dict(monthly),
        dict(peak),
        dict(steady),
    )
    result.not_priced = sorted(set(result.not_priced))
    return result
