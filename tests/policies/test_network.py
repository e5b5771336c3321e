import pytest
from pulumi.output import Unknown
from pulumi_policy import ResourceValidationPolicy
from pulumi_policy.proxy import UNKNOWN_NUMBER_VALUE, UNKNOWN_STRING_VALUE, unknown_checking_proxy

from policies.rules import network
from policies.rules.network import (
    CLASSIC_LOAD_BALANCER,
    CLOUDFRONT_DISTRIBUTION,
    DEFAULT_NETWORK_ACL,
    DEFAULT_SECURITY_GROUP,
    DEFAULT_SUBNET,
    DEFAULT_VPC,
    FLOW_LOG,
    NETWORK_ACL,
    NETWORK_ACL_RULE,
    SECURITY_GROUP,
    SECURITY_GROUP_RULE,
    SUBNET,
    VPC,
    VPC_EGRESS_RULE,
    VPC_INGRESS_RULE,
    WAF_ASSOCIATION,
    WAF_LOGGING,
    WEB_ACL,
    is_public_cidr,
)
from tests.policies.harness import (
    as_cli_delivers,
    resource_violations,
    stack_resource,
    stack_violations,
)
from tests.policies.malformed import messages_for_malformed

RULES = {policy.name: policy for policy in network.POLICIES}
LB = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
HTTPS_REDIRECT = [
    {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}
]


def violations(rule: str, resource_type: str, props) -> list[str]:
    policy = RULES[rule]
    assert isinstance(policy, ResourceValidationPolicy)
    return resource_violations(policy, resource_type, props)


def sg_entry(port_from, port_to, cidrs=("0.0.0.0/0",), protocol="tcp", **extra):
    return {
        "protocol": protocol,
        "fromPort": port_from,
        "toPort": port_to,
        "cidrBlocks": list(cidrs),
        **extra,
    }


def test_public_cidr_detection():
    assert (
        is_public_cidr("0.0.0.0/0") and is_public_cidr("::/0") and is_public_cidr("203.0.113.7/32")
    )
    assert (
        not is_public_cidr("10.0.0.0/16")
        and not is_public_cidr("100.64.0.0/16")
        and not is_public_cidr("fd00::/8")
    )
    assert not is_public_cidr("not-a-cidr")


# public ingress: only TCP 80/443 from the internet


@pytest.mark.parametrize(
    "port, name", [(22, "SSH"), (3389, "RDP"), (5432, "PostgreSQL"), (6379, "Redis")]
)
def test_admin_and_data_ports_open_to_the_internet_are_flagged(port, name):
    messages = violations(
        "aws-ec2-no-public-ingress-sgr", SECURITY_GROUP, {"ingress": [sg_entry(port, port)]}
    )
    assert messages == [
        f"ingress[0] allows tcp port {port}, including admin/data ports {port} ({name}) from"
        " 0.0.0.0/0; only TCP 80/443 may be public"
    ]


def test_all_traffic_from_ipv6_anywhere_is_flagged():
    props = {
        "ingress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "ipv6CidrBlocks": ["::/0"]}]
    }
    assert (
        "ingress[0] allows all traffic from ::/0"
        in violations("aws-ec2-no-public-ingress-sgr", SECURITY_GROUP, props)[0]
    )


def test_alb_web_ports_from_the_internet_are_allowed():
    props = {
        "ingress": [sg_entry(443, 443), sg_entry(80, 80, ("0.0.0.0/0", "::/0"))],
        "egress": [sg_entry(0, 0, protocol="-1")],
    }
    assert violations("aws-ec2-no-public-ingress-sgr", SECURITY_GROUP, props) == []


def test_private_sources_and_port_ranges_spanning_web_ports():
    rule = "aws-ec2-no-public-ingress-sgr"
    assert (
        violations(rule, SECURITY_GROUP, {"ingress": [sg_entry(5432, 5432, ("10.0.0.0/16",))]})
        == []
    )
    assert (
        violations(rule, SECURITY_GROUP, {"ingress": [sg_entry(80, 443)]}) != []
    )  # 80-443 is not "80 and 443"


def test_standalone_rule_resources_are_checked():
    rule = "aws-ec2-no-public-ingress-sgr"
    assert violations(rule, SECURITY_GROUP_RULE, {"type": "ingress", **sg_entry(22, 22)}) != []
    assert violations(rule, SECURITY_GROUP_RULE, {"type": "egress", **sg_entry(22, 22)}) == []
    assert violations(
        rule,
        VPC_INGRESS_RULE,
        {"ipProtocol": "tcp", "fromPort": 6379, "toPort": 6379, "cidrIpv4": "0.0.0.0/0"},
    ) == [
        "allows tcp port 6379, including admin/data ports 6379 (Redis) from 0.0.0.0/0; only TCP"
        " 80/443 may be public"
    ]
    assert violations(rule, VPC_INGRESS_RULE, {"ipProtocol": "-1", "cidrIpv6": "::/0"}) != []
    assert (
        violations(
            rule,
            VPC_INGRESS_RULE,
            {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "0.0.0.0/0"},
        )
        == []
    )
    assert (
        violations(
            rule,
            VPC_INGRESS_RULE,
            {
                "ipProtocol": "tcp",
                "fromPort": 22,
                "toPort": 22,
                "referencedSecurityGroupId": "sg-1",
            },
        )
        == []
    )


def test_public_egress_is_flagged():
    rule = "aws-ec2-no-public-egress-sgr"
    assert violations(rule, VPC_EGRESS_RULE, {"ipProtocol": "-1", "cidrIpv4": "0.0.0.0/0"}) == [
        "allows all traffic to 0.0.0.0/0"
    ]
    assert violations(rule, SECURITY_GROUP, {"egress": [sg_entry(443, 443, ("10.0.0.0/8",))]}) == []


def test_descriptions():
    assert violations("aws-ec2-add-description-to-security-group", SECURITY_GROUP, {}) == [
        "description is not set; say what the group admits and why"
    ]
    assert (
        violations(
            "aws-ec2-add-description-to-security-group",
            SECURITY_GROUP,
            {"description": "Managed by Pulumi"},
        )
        != []
    )
    assert (
        violations(
            "aws-ec2-add-description-to-security-group",
            SECURITY_GROUP,
            {"description": "ALB: HTTPS from the internet"},
        )
        == []
    )
    rule = "aws-ec2-add-description-to-security-group-rule"
    assert violations(rule, SECURITY_GROUP, {"ingress": [sg_entry(443, 443)]}) == [
        "ingress[0] description is not set"
    ]
    assert (
        violations(
            rule,
            SECURITY_GROUP,
            {"ingress": [sg_entry(443, 443, description="HTTPS from clients")]},
        )
        == []
    )
    assert violations(rule, VPC_EGRESS_RULE, {"ipProtocol": "tcp"}) == ["description is not set"]


def test_default_security_group_must_be_empty():
    rule = "aws-ec2-restrict-all-in-default-sg"
    assert violations(
        rule,
        DEFAULT_SECURITY_GROUP,
        {"ingress": [{"protocol": "-1", "self": True, "fromPort": 0, "toPort": 0}]},
    ) == ["ingress[0] allows all traffic; the default security group must allow nothing"]
    assert violations(rule, DEFAULT_SECURITY_GROUP, {"vpcId": "vpc-1"}) == []


# network ACLs


def test_acl_allowing_everything_from_the_internet():
    rule = "aws-ec2-no-excessive-port-access"
    everything = {
        "protocol": "-1",
        "action": "allow",
        "cidrBlock": "0.0.0.0/0",
        "fromPort": 0,
        "toPort": 0,
        "ruleNo": 100,
    }
    assert violations(rule, DEFAULT_NETWORK_ACL, {"ingress": [everything]}) == [
        "ingress[0] allows all protocols and ports from 0.0.0.0/0"
    ]
    assert violations(rule, NETWORK_ACL, {"ingress": [dict(everything, action="deny")]}) == []
    assert (
        violations(
            rule,
            NETWORK_ACL_RULE,
            {"protocol": "-1", "ruleAction": "allow", "cidrBlock": "0.0.0.0/0", "egress": False},
        )
        != []
    )
    tcp_web = dict(everything, protocol="tcp", fromPort=443, toPort=443)
    assert (
        violations(
            rule,
            NETWORK_ACL,
            {"ingress": [tcp_web], "egress": [dict(tcp_web, fromPort=1024, toPort=65535)]},
        )
        == []
    )


def test_acl_allowing_everything_in_any_direction_or_cidr_as_trivy_0102_does():
    rule = "aws-ec2-no-excessive-port-access"
    everything = {
        "protocol": "all",
        "action": "allow",
        "cidrBlock": "10.0.0.0/16",
        "fromPort": 0,
        "toPort": 0,
    }
    assert violations(
        rule,
        NETWORK_ACL,
        {"ingress": [everything], "egress": [dict(everything, cidrBlock="0.0.0.0/0")]},
    ) == [
        "ingress[0] allows all protocols and ports from 10.0.0.0/16",
        "egress[0] allows all protocols and ports to 0.0.0.0/0",
    ]
    assert violations(
        rule,
        NETWORK_ACL_RULE,
        {"protocol": "-1", "ruleAction": "allow", "ipv6CidrBlock": "::/0", "egress": True},
    ) == ["allows all protocols and ports to ::/0"]


def test_acl_public_ingress_beyond_web_and_reply_ports():
    rule = "aws-ec2-no-public-ingress-acl"
    ssh = {
        "protocol": "tcp",
        "ruleAction": "allow",
        "cidrBlock": "0.0.0.0/0",
        "fromPort": 22,
        "toPort": 22,
    }
    assert violations(rule, NETWORK_ACL_RULE, ssh) == [
        "allows tcp port 22, including admin/data ports 22 (SSH) from 0.0.0.0/0"
    ]
    assert violations(rule, NETWORK_ACL_RULE, dict(ssh, fromPort=1024, toPort=65535)) == []
    assert violations(rule, NETWORK_ACL_RULE, dict(ssh, fromPort=443, toPort=443)) == []
    assert violations(rule, NETWORK_ACL_RULE, dict(ssh, egress=True)) == []


# VPCs and subnets


def test_default_vpc_and_public_ip_subnets():
    assert violations("aws-ec2-no-default-vpc", DEFAULT_VPC, {}) != []
    assert violations("aws-ec2-no-default-vpc", VPC, {"cidrBlock": "10.0.0.0/16"}) == []
    rule = "aws-ec2-no-public-ip-subnet"
    assert violations(rule, SUBNET, {"mapPublicIpOnLaunch": True}) == [
        "mapPublicIpOnLaunch is True: every instance launched here gets a public IP"
    ]
    assert violations(rule, SUBNET, {"cidrBlock": "10.0.0.0/24"}) == []
    assert violations(rule, DEFAULT_SUBNET, {}) != []
    assert violations(rule, DEFAULT_SUBNET, {"mapPublicIpOnLaunch": False}) == []


def test_vpc_flow_logs_joined_by_id_or_dependency():
    rule = RULES["aws-ec2-require-vpc-flow-logs-for-all-vpcs"]
    main = stack_resource(VPC, "main", {"id": "vpc-0main", "cidrBlock": "10.0.0.0/16"})
    spare = stack_resource(VPC, "spare", {"id": "vpc-0spare", "cidrBlock": "10.1.0.0/16"})
    logged = stack_resource(FLOW_LOG, "main-flow", {"vpcId": "vpc-0main", "trafficType": "ALL"})
    assert stack_violations(rule, [main, spare, logged]) == [
        ("spare", "no aws.ec2.FlowLog has this VPC as its vpcId")
    ]
    by_dependency = stack_resource(FLOW_LOG, "spare-flow", {"vpcId": UNKNOWN_STRING_VALUE})
    by_dependency.property_dependencies = {"vpcId": [spare]}
    assert stack_violations(rule, [main, spare, logged, by_dependency]) == []


def test_unattributable_flow_log_is_not_a_violation():
    rule = RULES["aws-ec2-require-vpc-flow-logs-for-all-vpcs"]
    vpc = stack_resource(VPC, "main", {})
    assert (
        stack_violations(
            rule, [vpc, stack_resource(FLOW_LOG, "f", {"vpcId": UNKNOWN_STRING_VALUE})]
        )
        == []
    )


# load balancers


def test_alb_headers_and_exposure():
    assert violations("aws-elb-drop-invalid-headers", LB, {}) == [
        "dropInvalidHeaderFields is not set"
    ]
    assert violations("aws-elb-drop-invalid-headers", LB, {"dropInvalidHeaderFields": True}) == []
    assert violations("aws-elb-drop-invalid-headers", LB, {"loadBalancerType": "network"}) == []
    assert violations("aws-elb-alb-not-public", LB, {"internal": False}) == [
        "internal is False: the load balancer is internet-facing"
    ]
    assert violations("aws-elb-alb-not-public", CLASSIC_LOAD_BALANCER, {"internal": True}) == []


def test_plain_http_listener_must_redirect():
    rule = "aws-elb-http-not-used"
    forward = [{"type": "forward", "targetGroupArn": "arn:tg"}]
    assert violations(
        rule, LISTENER, {"port": 80, "protocol": "HTTP", "defaultActions": forward}
    ) == [
        "protocol is 'HTTP' on port 80 and defaultActions ['forward'] do not all redirect to HTTPS"
    ]
    assert (
        violations(rule, LISTENER, {"port": 80, "defaultActions": forward}) != []
    )  # ALB default protocol is HTTP
    assert (
        violations(
            rule, LISTENER, {"port": 80, "protocol": "HTTP", "defaultActions": HTTPS_REDIRECT}
        )
        == []
    )
    assert (
        violations(rule, LISTENER, {"port": 443, "protocol": "HTTPS", "defaultActions": forward})
        == []
    )
    assert (
        violations(
            rule, CLASSIC_LOAD_BALANCER, {"listeners": [{"lbProtocol": "http", "lbPort": 80}]}
        )
        != []
    )
    assert (
        violations(
            rule, CLASSIC_LOAD_BALANCER, {"listeners": [{"lbProtocol": "https", "lbPort": 443}]}
        )
        == []
    )


def test_listener_tls_policy():
    rule = "aws-elb-use-secure-tls-policy"
    assert violations(rule, LISTENER, {"protocol": "HTTPS"}) == [
        "sslPolicy is not set; it must allow TLS 1.2+ only"
    ]
    assert (
        violations(rule, LISTENER, {"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-2016-08"})
        != []
    )
    assert (
        violations(
            rule, LISTENER, {"protocol": "TLS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-1-2021-06"}
        )
        != []
    )
    assert (
        violations(
            rule,
            LISTENER,
            {"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"},
        )
        == []
    )
    assert violations(rule, LISTENER, {"protocol": "HTTP", "defaultActions": HTTPS_REDIRECT}) == []


# CloudFront


def test_cloudfront_rules():
    https = {
        "defaultCacheBehavior": {"viewerProtocolPolicy": "redirect-to-https"},
        "orderedCacheBehaviors": [{"viewerProtocolPolicy": "allow-all"}],
    }
    assert violations("aws-cloudfront-enforce-https", CLOUDFRONT_DISTRIBUTION, https) == [
        "orderedCacheBehaviors[0].viewerProtocolPolicy is 'allow-all'"
    ]
    assert (
        violations(
            "aws-cloudfront-enforce-https",
            CLOUDFRONT_DISTRIBUTION,
            {"defaultCacheBehavior": https["defaultCacheBehavior"]},
        )
        == []
    )
    old_tls = {
        "viewerCertificate": {"acmCertificateArn": "arn:acm", "minimumProtocolVersion": "TLSv1"}
    }
    assert violations("aws-cloudfront-use-secure-tls-policy", CLOUDFRONT_DISTRIBUTION, old_tls) == [
        "viewerCertificate.minimumProtocolVersion is 'TLSv1'"
    ]
    new_tls = {
        "viewerCertificate": {
            "acmCertificateArn": "arn:acm",
            "minimumProtocolVersion": "TLSv1.2_2021",
        }
    }
    assert (
        violations("aws-cloudfront-use-secure-tls-policy", CLOUDFRONT_DISTRIBUTION, new_tls) == []
    )
    assert violations("aws-cloudfront-enable-logging", CLOUDFRONT_DISTRIBUTION, {}) == [
        "loggingConfig.bucket is not set"
    ]
    assert (
        violations(
            "aws-cloudfront-enable-logging",
            CLOUDFRONT_DISTRIBUTION,
            {"loggingConfig": {"bucket": "logs.s3.amazonaws.com"}},
        )
        == []
    )
    assert violations("aws-cloudfront-enable-waf", CLOUDFRONT_DISTRIBUTION, {}) == [
        "webAclId is not set"
    ]
    assert (
        violations(
            "aws-cloudfront-enable-waf", CLOUDFRONT_DISTRIBUTION, {"webAclId": "arn:aws:wafv2:acl"}
        )
        == []
    )


# malformed inputs

MALFORMED = [
    None,
    "odd",
    [1],
    {},
    {
        "ingress": Unknown(),
        "egress": UNKNOWN_STRING_VALUE,
        "description": Unknown(),
        "mapPublicIpOnLaunch": Unknown(),
        "defaultActions": Unknown(),
        "protocol": Unknown(),
        "sslPolicy": Unknown(),
        "viewerCertificate": Unknown(),
        "defaultCacheBehavior": Unknown(),
        "internal": Unknown(),
        "listeners": Unknown(),
        "cidrIpv4": Unknown(),
    },
    {
        "ingress": [
            {
                "protocol": "tcp",
                "fromPort": UNKNOWN_NUMBER_VALUE,
                "toPort": 22,
                "cidrBlocks": ["0.0.0.0/0"],
            },
            None,
            "x",
        ],
        "egress": 5,
        "type": 7,
        "fromPort": "22",
        "toPort": None,
        "cidrIpv4": ["0.0.0.0/0"],
        "defaultActions": [None, 3],
        "listeners": [None],
        "orderedCacheBehaviors": "x",
        "viewerCertificate": [],
        "loggingConfig": "x",
    },
]


@pytest.mark.parametrize("props", MALFORMED)
def test_malformed_inputs_never_raise(props):
    messages_for_malformed(network.POLICIES, props)


def test_malformed_stack_never_raises():
    rule = RULES["aws-ec2-require-vpc-flow-logs-for-all-vpcs"]
    resources = [
        stack_resource(VPC, "v", None),
        stack_resource(FLOW_LOG, "f", {"vpcId": 3}),
        stack_resource(FLOW_LOG, "g", None),
    ]
    assert stack_violations(rule, resources) == [
        ("v", "no aws.ec2.FlowLog has this VPC as its vpcId")
    ]


def test_unknown_ports_and_cidrs_are_not_violations():
    proxied = unknown_checking_proxy(
        {
            "type": "ingress",
            "protocol": "tcp",
            "fromPort": UNKNOWN_NUMBER_VALUE,
            "toPort": UNKNOWN_NUMBER_VALUE,
            "cidrBlocks": ["0.0.0.0/0"],
        }
    )
    assert violations("aws-ec2-no-public-ingress-sgr", SECURITY_GROUP_RULE, proxied) == []
    assert (
        violations(
            "aws-ec2-no-public-ingress-sgr",
            VPC_INGRESS_RULE,
            {"ipProtocol": "-1", "cidrIpv4": Unknown()},
        )
        == []
    )


def test_ports_arriving_as_floats_from_the_cli_are_read_as_ports():
    rule = "aws-ec2-no-public-ingress-sgr"
    web = as_cli_delivers({"ingress": [sg_entry(443, 443), sg_entry(80, 80)]})
    assert violations(rule, SECURITY_GROUP, web) == []
    ssh = as_cli_delivers({"ingress": [sg_entry(22, 22)]})
    assert violations(rule, SECURITY_GROUP, ssh) == [
        "ingress[0] allows tcp port 22, including admin/data ports 22 (SSH) from 0.0.0.0/0; only"
        " TCP 80/443 may be public"
    ]


def test_internet_facing_alb_needs_a_waf_association():
    rule = RULES["aws-elb-public-alb-behind-waf"]
    edge = stack_resource(LB, "edge", {"arn": "arn:aws:elasticloadbalancing:alb/edge"})
    inside = stack_resource(LB, "inside", {"internal": True})
    network_lb = stack_resource(LB, "nlb", {"loadBalancerType": "network"})
    message = (
        "internet-facing application load balancer with no aws.wafv2.WebAclAssociation naming it"
        " as resourceArn"
    )
    assert stack_violations(rule, [edge, inside, network_lb]) == [("edge", message)]
    association = stack_resource(
        WAF_ASSOCIATION, "edge-waf", {"resourceArn": "arn:aws:elasticloadbalancing:alb/edge"}
    )
    assert stack_violations(rule, [edge, inside, network_lb, association]) == []
    by_dependency = stack_resource(WAF_ASSOCIATION, "w", {"resourceArn": UNKNOWN_STRING_VALUE})
    by_dependency.property_dependencies = {"resourceArn": [edge]}
    assert stack_violations(rule, [edge, by_dependency]) == []
    elsewhere = stack_resource(WAF_ASSOCIATION, "w", {"resourceArn": "arn:aws:apigateway:x"})
    assert stack_violations(rule, [edge, elsewhere]) == [("edge", message)]


def test_load_balancer_access_logs():
    rule = "aws-elb-enable-access-logs"
    assert violations(rule, LB, {}) == ["accessLogs.enabled is not set"]
    assert violations(rule, LB, {"accessLogs": {"enabled": True}}) == [
        "accessLogs.bucket is not set"
    ]
    assert violations(rule, LB, {"accessLogs": {"enabled": True, "bucket": "alb-logs"}}) == []


def test_load_balancer_deletion_protection():
    rule = "aws-elb-enable-deletion-protection"
    assert violations(rule, LB, {"enableDeletionProtection": False}) == [
        "enableDeletionProtection is False"
    ]
    assert violations(rule, LB, {"enableDeletionProtection": True}) == []


def test_web_acl_needs_a_logging_configuration():
    rule = RULES["aws-wafv2-enable-logging"]
    acl = stack_resource(WEB_ACL, "edge-waf", {"arn": "arn:aws:wafv2:acl/edge"})
    assert stack_violations(rule, [acl]) == [
        (
            "edge-waf",
            "no aws.wafv2.WebAclLoggingConfiguration names this web ACL as resourceArn: its blocks"
            " and matches are not recorded",
        )
    ]
    logging = stack_resource(
        WAF_LOGGING, "edge-waf-logging", {"resourceArn": "arn:aws:wafv2:acl/edge"}
    )
    assert stack_violations(rule, [acl, logging]) == []


def test_network_load_balancers_balance_across_zones():
    rule = "aws-elb-cross-zone-load-balancing"
    assert violations(rule, LB, {"loadBalancerType": "network"}) == [
        "enableCrossZoneLoadBalancing is not set"
    ]
    assert (
        violations(rule, LB, {"loadBalancerType": "network", "enableCrossZoneLoadBalancing": True})
        == []
    )
    assert violations(rule, LB, {"loadBalancerType": "application"}) == []


def test_desync_mitigation():
    rule = "aws-elb-desync-mitigation"
    assert violations(rule, LB, {"desyncMitigationMode": "monitor"}) == [
        "desyncMitigationMode is 'monitor': smuggled requests reach the targets"
    ]
    assert violations(rule, LB, {"desyncMitigationMode": "strictest"}) == []
    assert violations(rule, LB, {}) == []  # AWS's default is defensive


TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"


def test_target_groups_probe_a_readiness_path():
    rule = "aws-elb-target-group-health-check"
    assert violations(rule, TARGET_GROUP, {"protocol": "HTTPS"}) == [
        "healthCheck.path is not set: the load balancer probes '/', not a readiness endpoint"
    ]
    assert violations(
        rule, TARGET_GROUP, {"protocol": "HTTP", "healthCheck": {"enabled": False}}
    ) == ["healthCheck.enabled is False: unhealthy targets keep receiving requests"]
    ready = {"protocol": "HTTPS", "healthCheck": {"path": "/readyz"}}
    assert violations(rule, TARGET_GROUP, ready) == []
    assert violations(rule, TARGET_GROUP, {"protocol": "TCP"}) == []


def test_target_groups_use_https():
    rule = "aws-elb-target-group-https"
    assert violations(rule, TARGET_GROUP, {"protocol": "HTTP"}) == [
        "protocol is 'HTTP': requests cross the VPC to the targets unencrypted"
    ]
    assert violations(rule, TARGET_GROUP, {"protocol": "HTTPS"}) == []


def test_no_peering_route_to_everything():
    rule = "aws-ec2-no-peering-route-to-everything"
    table = "aws:ec2/routeTable:RouteTable"
    everything = {"routes": [{"cidrBlock": "0.0.0.0/0", "vpcPeeringConnectionId": "pcx-1"}]}
    assert violations(rule, table, everything) == [
        "cidrBlock 0.0.0.0/0 goes through VPC peering: the peer reaches every address"
    ]
    peer_only = {"routes": [{"cidrBlock": "10.30.0.0/16", "vpcPeeringConnectionId": "pcx-1"}]}
    internet = {"routes": [{"cidrBlock": "0.0.0.0/0", "gatewayId": "igw-1"}]}
    assert violations(rule, table, peer_only) == []
    assert violations(rule, table, internet) == []
    route = {"destinationCidrBlock": "0.0.0.0/0", "vpcPeeringConnectionId": "pcx-1"}
    assert violations(rule, "aws:ec2/route:Route", route) != []


def test_security_groups_are_used():
    rule = RULES["aws-ec2-security-group-attached"]
    used = stack_resource(SECURITY_GROUP, "alb-sg", {"description": "alb"})
    spare = stack_resource(SECURITY_GROUP, "spare-sg", {"description": "spare"})
    alb = stack_resource(LB, "alb", {"securityGroups": ["alb-sg-id"]})
    ingress = stack_resource(VPC_INGRESS_RULE, "in", {"securityGroupId": "spare-sg-id"})
    assert stack_violations(rule, [used, spare, alb, ingress]) == [
        ("spare-sg", "no resource uses this security group: it guards nothing")
    ]
    cache = stack_resource(
        "aws:elasticache/replicationGroup:ReplicationGroup", "c", {"securityGroupIds": [Unknown()]}
    )
    assert stack_violations(rule, [used, spare, alb, cache]) == []


WAF_RULE = {
    "name": "bad-inputs",
    "overrideAction": {"none": {}},
    "statement": {
        "managedRuleGroupStatement": {
            "vendorName": "AWS",
            "name": "AWSManagedRulesKnownBadInputsRuleSet",
        }
    },
}


def test_web_acl_rules_have_actions():
    rule = "aws-wafv2-rules-with-actions"
    assert violations(rule, WEB_ACL, {"rules": []}) == [
        "rules is empty: the web ACL only applies its default action"
    ]
    assert violations(rule, WEB_ACL, {"rules": [{"name": "x", "statement": {}}]}) == [
        "rules[0] ('x') has neither action nor overrideAction"
    ]
    assert violations(rule, WEB_ACL, {"rules": [WAF_RULE]}) == []


def test_web_acl_blocks_known_bad_inputs():
    rule = "aws-wafv2-block-known-bad-inputs"
    rate_only = {"name": "rate", "action": {"block": {}}, "statement": {"rateBasedStatement": {}}}
    assert violations(rule, WEB_ACL, {"rules": [rate_only]}) == [
        "no rule uses the AWS managed group AWSManagedRulesKnownBadInputsRuleSet: Log4j JNDI"
        " lookups (CVE-2021-44228) and other known exploit inputs pass"
    ]
    assert violations(rule, WEB_ACL, {"rules": [rate_only, WAF_RULE]}) == []


def test_address_records_are_aliases():
    rule = "aws-route53-address-record-alias"
    record = "aws:route53/record:Record"
    assert violations(rule, record, {"type": "A", "records": ["203.0.113.7"]}) == [
        "the A record lists addresses ['203.0.113.7']: once they are released the name points at"
        " whoever gets them next"
    ]
    alias = {"type": "A", "aliases": [{"name": "edge.elb.amazonaws.com", "zoneId": "Z1"}]}
    assert violations(rule, record, alias) == []
    assert violations(rule, record, {"type": "CNAME", "records": ["x.example.com"]}) == []
