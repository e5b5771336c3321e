"""Network: multi-AZ private subnets, NAT per the stack's layout, flow logs to an encrypted log
group.
"""

from tests.infra.recorded import one, statements


def test_each_az_gets_a_private_and_a_public_subnet(dev, prod, dr):
    for run, zones in ((dev, 2), (prod, 3), (dr, 3)):
        subnets = run.of_type("aws:ec2/subnet:Subnet")
        assert len([s for s in subnets if "-private-" in s.name]) == zones
        assert len([s for s in subnets if "-public-" in s.name]) == zones


def test_no_subnet_hands_out_public_ips(prod):
    assert all(
        subnet.inputs["mapPublicIpOnLaunch"] is False
        for subnet in prod.of_type("aws:ec2/subnet:Subnet")
    )


def test_dev_shares_one_nat_and_prod_has_one_per_az(dev, prod):
    assert len(dev.of_type("aws:ec2/natGateway:NatGateway")) == 1
    assert len(prod.of_type("aws:ec2/natGateway:NatGateway")) == 3


def test_private_route_tables_route_through_nat_not_the_internet_gateway(prod):
    private_tables = [
        table
        for table in prod.of_type("aws:ec2/routeTable:RouteTable")
        if "-private-" in table.name
    ]
    assert len(private_tables) == 3
    for table in private_tables:
        (route,) = table.inputs["routes"]
        assert route["natGatewayId"] and "gatewayId" not in route


def test_flow_logs_capture_all_traffic_into_a_cmk_encrypted_log_group(prod):
    flow_log = one(prod, "aws:ec2/flowLog:FlowLog", "ticketing-prod-network-flow-log")
    assert flow_log.inputs["trafficType"] == "ALL"
    log_group = one(prod, "aws:cloudwatch/logGroup:LogGroup", "ticketing-prod-network-flow-logs")
    assert flow_log.inputs["logDestination"].endswith("ticketing-prod-network-flow-logs")
    assert log_group.inputs["kmsKeyId"].endswith("key/ticketing-prod-network-flow-logs-key")
    assert log_group.inputs["retentionInDays"] == 365


def test_flow_log_role_is_trusted_only_by_the_flow_logs_service(prod):
    role = one(prod, "aws:iam/role:Role", "ticketing-prod-network-flow-logs-role")
    (trust,) = statements(role.inputs["assumeRolePolicy"])
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}


def test_default_security_group_is_emptied(prod):
    default_group = one(
        prod,
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
        "ticketing-prod-network-default-sg",
    )
    assert not default_group.inputs.get("ingress") and not default_group.inputs.get("egress")
