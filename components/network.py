"""Multi-AZ VPC: public subnets for the ALB and NAT only, private subnets for everything else, flow
logs.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from components.config import NetworkConfig
from components.kms import encryption_key


def subnet_blocks(cidr: str, zones: int) -> tuple[list[str], list[str]]:
    """(private, public) CIDRs: three quarters of the VPC for private subnets (pods take VPC IPs),
    small public ones.
    """
    network = ipaddress.ip_network(cidr)
    quarters: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = list(
        network.subnets(prefixlen_diff=2)
    )
    public = list(quarters[3].subnets(prefixlen_diff=3))
    return [str(block) for block in quarters[:zones]], [str(block) for block in public[:zones]]


class Network(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        config: NetworkConfig,
        region: str,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("ticketing:network:Network", name, None, opts)
        self._tags = dict(tags)
        child = pulumi.ResourceOptions(parent=self)
        self.cidr = config.cidr
        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=config.cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags=self._named(f"{name}-vpc"),
            opts=child,
        )
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=self.vpc.id,
            tags=self._named(f"{name}-default-deny"),
            opts=child,
        )
        zones = aws.get_availability_zones_output(state="available").names
        private_blocks, public_blocks = subnet_blocks(config.cidr, config.availability_zones)
        self.public_subnets = [
            self._subnet(
                f"{name}-public-{index}", block, zones[index], {"kubernetes.io/role/elb": "1"}
            )
            for index, block in enumerate(public_blocks)
        ]
        self.private_subnets = [
            self._subnet(
                f"{name}-private-{index}",
                block,
                zones[index],
                {"kubernetes.io/role/internal-elb": "1"},
            )
            for index, block in enumerate(private_blocks)
        ]
        self._routes(name, config.nat_gateways)
        self._flow_logs(name, region, config.flow_log_retention_days)
        self.vpc_id = self.vpc.id
        self.public_subnet_ids = [subnet.id for subnet in self.public_subnets]
        self.public_cidrs = public_blocks  # the ALB's addresses: the app's trusted proxies
        self.private_subnet_ids = [subnet.id for subnet in self.private_subnets]
        self.register_outputs(
            {
                "vpcId": self.vpc_id,
                "publicSubnetIds": self.public_subnet_ids,
                "privateSubnetIds": self.private_subnet_ids,
            }
        )

    def _named(self, name: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        return {**self._tags, "Name": name, **(extra or {})}

    def _subnet(
        self, name: str, block: str, zone: pulumi.Input[str], extra_tags: Mapping[str, str]
    ) -> aws.ec2.Subnet:
        return aws.ec2.Subnet(
            name,
            vpc_id=self.vpc.id,
            cidr_block=block,
            availability_zone=zone,
            map_public_ip_on_launch=False,
            tags=self._named(name, extra_tags),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _routes(self, name: str, nat_layout: str) -> None:
        child = pulumi.ResourceOptions(parent=self)
        gateway = aws.ec2.InternetGateway(
            f"{name}-igw",
            vpc_id=self.vpc.id,
            tags=self._named(f"{name}-igw"),
            opts=child,
        )
        public_table = aws.ec2.RouteTable(
            f"{name}-public-rt",
            vpc_id=self.vpc.id,
            routes=[
                aws.ec2.RouteTableRouteArgs(
                    cidr_block="0.0.0.0/0",
                    gateway_id=gateway.id,
                )
            ],
            tags=self._named(f"{name}-public-rt"),
            opts=child,
        )
        nat_subnets = self.public_subnets if nat_layout == "per-az" else self.public_subnets[:1]
        nat_gateways = []
        for index, subnet in enumerate(nat_subnets):
            address = aws.ec2.Eip(
                f"{name}-nat-eip-{index}",
                domain="vpc",
                tags=self._named(f"{name}-nat-eip-{index}"),
                opts=child,
            )
            nat_gateways.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{index}",
                    allocation_id=address.id,
                    subnet_id=subnet.id,
                    tags=self._named(f"{name}-nat-{index}"),
                    opts=pulumi.ResourceOptions(
                        parent=self,
                        depends_on=[gateway],
                    ),
                )
            )
        for index, subnet in enumerate(self.public_subnets):
            aws.ec2.RouteTableAssociation(
                f"{name}-public-rta-{index}",
                subnet_id=subnet.id,
                route_table_id=public_table.id,
                opts=child,
            )
        for index, subnet in enumerate(self.private_subnets):
            nat = nat_gateways[index % len(nat_gateways)]
            table = aws.ec2.RouteTable(
                f"{name}-private-rt-{index}",
                vpc_id=self.vpc.id,
                routes=[
                    aws.ec2.RouteTableRouteArgs(
                        cidr_block="0.0.0.0/0",
                        nat_gateway_id=nat.id,
                    )
                ],
                tags=self._named(f"{name}-private-rt-{index}"),
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-rta-{index}",
                subnet_id=subnet.id,
                route_table_id=table.id,
                opts=child,
            )

    def _flow_logs(self, name: str, region: str, retention_days: int) -> None:
        child = pulumi.ResourceOptions(parent=self)
        key = encryption_key(
            f"{name}-flow-logs",
            "VPC flow logs",
            self,
            self._tags,
            service_principals=[f"logs.{region}.amazonaws.com"],
        )
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=f"/ticketing/{name}/vpc-flow-logs",
            retention_in_days=retention_days,
            kms_key_id=key.arn,
            tags=self._tags,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-flow-logs-role",
            assume_role_policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
            tags=self._tags,
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs-write",
            role=role.id,
            policy=log_group.arn.apply(
                lambda arn: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": [
                                    "logs:CreateLogStream",
                                    "logs:PutLogEvents",
                                    "logs:DescribeLogStreams",
                                ],
                                "Resource": [arn, f"{arn}:log-stream:*"],
                            }
                        ],
                    }
                )
            ),
            opts=child,
        )
        self.flow_log = aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags=self._tags,
            opts=child,
        )
