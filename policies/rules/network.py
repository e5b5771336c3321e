"""Network rules: security groups and their rules, network ACLs, VPCs, subnets, flow logs,
load balancers and CloudFront.

Internet ingress policy: a security group may accept a public CIDR (0.0.0.0/0, ::/0 or any
other non-private range) only on TCP 80 and 443, the ALB's listeners; 80 exists only to
redirect to HTTPS, which `aws-elb-http-not-used` enforces on the listener itself. Any other
port from a public CIDR, and above all admin/data ports (22, 3389, 5432, 6379) or all traffic,
is a mandatory violation.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from pulumi_policy import EnforcementLevel, Policy, Severity, StackValidationArgs

from policies.rule import resource_rule, stack_rule
from policies.rules.values import (
    UNKNOWN,
    as_list,
    identities,
    is_true,
    is_unknown,
    lookup,
    must_be_true,
    plain,
    shown,
    strings,
    unattached,
    whole_number,
    with_plain_props,
)

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
VPC_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
VPC_EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
NETWORK_ACL = "aws:ec2/networkAcl:NetworkAcl"
DEFAULT_NETWORK_ACL = "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"
NETWORK_ACL_RULE = "aws:ec2/networkAclRule:NetworkAclRule"
VPC = "aws:ec2/vpc:Vpc"
DEFAULT_VPC = "aws:ec2/defaultVpc:DefaultVpc"
SUBNET = "aws:ec2/subnet:Subnet"
DEFAULT_SUBNET = "aws:ec2/defaultSubnet:DefaultSubnet"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
CLASSIC_LOAD_BALANCER = "aws:elb/loadBalancer:LoadBalancer"
LISTENERS = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
CLOUDFRONT_DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
WAF_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
TARGET_GROUPS = ("aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup")
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ROUTE = "aws:ec2/route:Route"
SAFE_DESYNC_MODES = frozenset({"defensive", "strictest"})
"""`monitor` lets request smuggling through; AWS's default is `defensive`."""
KNOWN_BAD_INPUTS_GROUP = "AWSManagedRulesKnownBadInputsRuleSet"
"""AWS managed group that blocks Log4j JNDI lookups (CVE-2021-44228), among other exploits."""
HTTP_TARGET_PROTOCOLS = frozenset({"HTTP", "HTTPS"})
DNS_RECORD = "aws:route53/record:Record"
ADDRESS_RECORD_TYPES = frozenset({"A", "AAAA"})
WAF_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"

SECURITY_GROUP_RULE_TYPES = (
    SECURITY_GROUP,
    DEFAULT_SECURITY_GROUP,
    SECURITY_GROUP_RULE,
    VPC_INGRESS_RULE,
    VPC_EGRESS_RULE,
)
NETWORK_ACL_TYPES = (NETWORK_ACL, DEFAULT_NETWORK_ACL, NETWORK_ACL_RULE)

PUBLIC_WEB_PORTS = frozenset({80, 443})
"""The only ports a security group may open to a public CIDR: the ALB's HTTP (redirect) and HTTPS
listeners.
"""
ADMIN_AND_DATA_PORTS = {22: "SSH", 3389: "RDP", 5432: "PostgreSQL", 6379: "Redis"}
EPHEMERAL_PORTS = (1024, 65535)
"""Network ACLs are stateless: replies to outbound connections come back on these ports."""
ALL_PORTS = (0, 65535)
PULUMI_DEFAULT_SG_DESCRIPTION = "Managed by Pulumi"

_PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(cidr)
    for cidr in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "fc00::/7",
        "fe80::/10",
        "::1/128",
    )
)
_SECURE_ELB_TLS_POLICY = re.compile(r"^ELBSecurityPolicy-(TLS13-1-[23]-|FS-1-2-|TLS-1-2-)")
"""TLS 1.2+ only policies (TLS13-1-2/1-3, FS-1-2, TLS-1-2 families); the default 2016-08 accepts TLS
1.0.
"""
SECURE_CLOUDFRONT_PROTOCOLS = frozenset({"TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025"})


def is_public_cidr(cidr: str) -> bool:
    """A CIDR that reaches beyond private, CGNAT, loopback and link-local space (0.0.0.0/0
    included).
    """
    try:
        network = ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        return False
    return not any(
        network.version == private.version and network.subnet_of(private)  # type: ignore[arg-type]
        for private in _PRIVATE_NETWORKS
    )


# --- traffic rules, whichever resource declares them --------------------------------------------


@dataclass(frozen=True)
class TrafficRule:
    """One security-group or network-ACL entry; `where` locates it inside its resource ('' when it
    is one).
    """

    where: str
    direction: Any
    protocol: Any
    from_port: Any
    to_port: Any
    cidrs: tuple[str, ...]
    description: Any = None
    action: Any = "allow"

    @property
    def label(self) -> str:
        return f"{self.where} " if self.where else ""

    @property
    def all_protocols(self) -> bool:
        return str(self.protocol).strip().lower() in ("-1", "all")

    @property
    def ports(self) -> tuple[int, int] | None:
        """(first, last) port; None when undecidable (unknown) or not set."""
        if self.all_protocols:
            return ALL_PORTS
        first, last = whole_number(self.from_port), whole_number(self.to_port)
        return (first, last) if first is not None and last is not None else None

    @property
    def public_cidrs(self) -> list[str]:
        return [cidr for cidr in self.cidrs if is_public_cidr(cidr)]

    def is_tcp_within(self, first: int, last: int) -> bool:
        ports = self.ports
        return (
            str(self.protocol).strip().lower() in ("tcp", "6")
            and ports is not None
            and first <= ports[0] <= ports[1] <= last
        )

    def describe(self) -> str:
        if self.all_protocols:
            return "all traffic"
        ports = self.ports
        if ports is None:
            return (
                f"protocol {shown(self.protocol)} ports"
                f" {shown(self.from_port)}-{shown(self.to_port)}"
            )
        span = f"port {ports[0]}" if ports[0] == ports[1] else f"ports {ports[0]}-{ports[1]}"
        exposed = [
            f"{port} ({name})"
            for port, name in ADMIN_AND_DATA_PORTS.items()
            if ports[0] <= port <= ports[1]
        ]
        return f"{self.protocol} {span}" + (
            f", including admin/data ports {', '.join(exposed)}" if exposed else ""
        )

    @property
    def undecidable(self) -> bool:
        return any(
            is_unknown(value)
            for value in (self.direction, self.protocol, self.from_port, self.to_port, self.action)
        )


def _cidrs(entry: Any, *fields: str) -> tuple[str, ...]:
    return tuple(cidr for field in fields for cidr in strings(lookup(entry, field)))


def _inline_rules(
    props: dict[str, Any], make: Callable[[str, str, Any], TrafficRule]
) -> list[TrafficRule]:
    return [
        make(f"{direction}[{index}]", direction, entry)
        for direction in ("ingress", "egress")
        for index, entry in enumerate(as_list(lookup(props, direction)))
    ]


def _security_group_entry(where: str, direction: Any, entry: Any) -> TrafficRule:
    return TrafficRule(
        where,
        direction,
        lookup(entry, "protocol"),
        lookup(entry, "fromPort"),
        lookup(entry, "toPort"),
        _cidrs(entry, "cidrBlocks", "ipv6CidrBlocks"),
        lookup(entry, "description"),
    )


def _network_acl_entry(where: str, direction: Any, entry: Any) -> TrafficRule:
    return TrafficRule(
        where,
        direction,
        lookup(entry, "protocol"),
        lookup(entry, "fromPort"),
        lookup(entry, "toPort"),
        _cidrs(entry, "cidrBlock", "ipv6CidrBlock"),
        action=lookup(entry, "action"),
    )


def traffic_rules(props: dict[str, Any], resource_type: str) -> list[TrafficRule]:
    if resource_type in (SECURITY_GROUP, DEFAULT_SECURITY_GROUP):
        return _inline_rules(props, _security_group_entry)
    if resource_type == SECURITY_GROUP_RULE:
        return [_security_group_entry("", lookup(props, "type"), props)]
    if resource_type in (VPC_INGRESS_RULE, VPC_EGRESS_RULE):
        direction = "ingress" if resource_type == VPC_INGRESS_RULE else "egress"
        return [
            TrafficRule(
                "",
                direction,
                lookup(props, "ipProtocol"),
                lookup(props, "fromPort"),
                lookup(props, "toPort"),
                _cidrs(props, "cidrIpv4", "cidrIpv6"),
                lookup(props, "description"),
            )
        ]
    if resource_type in (NETWORK_ACL, DEFAULT_NETWORK_ACL):
        return _inline_rules(props, _network_acl_entry)
    if resource_type == NETWORK_ACL_RULE:
        egress = lookup(props, "egress")
        direction = egress if is_unknown(egress) else ("egress" if is_true(egress) else "ingress")
        return [
            TrafficRule(
                "",
                direction,
                lookup(props, "protocol"),
                lookup(props, "fromPort"),
                lookup(props, "toPort"),
                _cidrs(props, "cidrBlock", "ipv6CidrBlock"),
                action=lookup(props, "ruleAction"),
            )
        ]
    return []


def _public_rules(
    props: dict[str, Any], resource_type: str, direction: str
) -> Iterator[TrafficRule]:
    for rule in traffic_rules(props, resource_type):
        if (
            rule.direction == direction
            and not rule.undecidable
            and rule.public_cidrs
            and str(rule.action).strip().lower() == "allow"
        ):
            yield rule


# --- security groups ----------------------------------------------------------------------------


def _is_public_web_listener_port(rule: TrafficRule) -> bool:
    ports = rule.ports
    return (
        ports is not None
        and ports[0] == ports[1]
        and ports[0] in PUBLIC_WEB_PORTS
        and rule.is_tcp_within(*ports)
    )


def _public_ingress_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    for rule in _public_rules(props, args.resource_type, "ingress"):
        if not _is_public_web_listener_port(rule):
            yield (
                f"{rule.label}allows {rule.describe()} from {', '.join(rule.public_cidrs)}; only"
                " TCP 80/443 may be public"
            )


def _public_egress_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    for rule in _public_rules(props, args.resource_type, "egress"):
        yield f"{rule.label}allows {rule.describe()} to {', '.join(rule.public_cidrs)}"


def _has_text(value: Any) -> bool:
    return is_unknown(value) or (isinstance(value, str) and bool(value.strip()))


def _group_description_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    description = lookup(props, "description")
    if not _has_text(description) or description == PULUMI_DEFAULT_SG_DESCRIPTION:
        yield f"description is {shown(description)}; say what the group admits and why"


def _rule_description_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    for rule in traffic_rules(props, args.resource_type):
        if not _has_text(rule.description):
            yield f"{rule.label}description is {shown(rule.description)}"


def _default_group_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    for rule in traffic_rules(props, args.resource_type):
        yield (
            f"{rule.where} allows {rule.describe()}; the default security group must allow nothing"
        )


# --- network ACLs -------------------------------------------------------------------------------


def _acl_all_ports_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    """Any allowed all-protocol entry, whatever its direction or CIDR (Trivy's AVD-AWS-0102)."""
    for rule in traffic_rules(props, args.resource_type):
        if rule.all_protocols and str(rule.action).strip().lower() == "allow":
            towards = "to" if rule.direction == "egress" else "from"
            yield (
                f"{rule.label}allows all protocols and ports {towards}"
                f" {', '.join(rule.cidrs) or 'its CIDR'}"
            )


def _acl_public_ingress_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    for rule in _public_rules(props, args.resource_type, "ingress"):
        if (
            rule.all_protocols
            or _is_public_web_listener_port(rule)
            or rule.is_tcp_within(*EPHEMERAL_PORTS)
        ):
            continue  # all-protocol entries are `aws-ec2-no-excessive-port-access`'s
        yield f"{rule.label}allows {rule.describe()} from {', '.join(rule.public_cidrs)}"


# --- VPCs, subnets, flow logs -------------------------------------------------------------------


def _default_vpc_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    yield (
        "the program manages the account's default VPC; build a dedicated VPC with private subnets"
        " instead"
    )


def _public_subnet_ip_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    value = lookup(props, "mapPublicIpOnLaunch")
    # default subnets hand out public IPs unless told otherwise
    if is_true(value) or (args.resource_type == DEFAULT_SUBNET and value is None):
        yield (
            f"mapPublicIpOnLaunch is {shown(value)}: every instance launched here gets a public IP"
        )


def _vpcs_without_flow_logs(args: StackValidationArgs) -> Iterator[tuple[Any, str]]:
    vpcs = [resource for resource in args.resources if resource.resource_type == VPC]
    flow_logs = [resource for resource in args.resources if resource.resource_type == FLOW_LOG]
    for vpc in unattached(vpcs, flow_logs, "vpcId"):
        yield vpc, "no aws.ec2.FlowLog has this VPC as its vpcId"


# --- load balancers -----------------------------------------------------------------------------


def _drop_invalid_headers_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    if lookup(props, "loadBalancerType") not in (None, "application"):
        return
    yield from must_be_true(props, "dropInvalidHeaderFields")


def _internet_facing_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    value = lookup(props, "internal")
    if not is_true(value) and not is_unknown(value):
        yield f"internal is {shown(value)}: the load balancer is internet-facing"


def _is_internet_facing_alb(resource: Any) -> bool:
    internal = lookup(resource.props, "internal")
    return (
        resource.resource_type in LOAD_BALANCERS
        and lookup(resource.props, "loadBalancerType") in (None, "application")
        and not is_true(internal)
        and not is_unknown(internal)
    )


def _public_albs_without_waf(args: StackValidationArgs) -> Iterator[tuple[Any, str]]:
    albs = [resource for resource in args.resources if _is_internet_facing_alb(resource)]
    associations = [
        resource for resource in args.resources if resource.resource_type == WAF_ASSOCIATION
    ]
    for alb in unattached(albs, associations, "resourceArn"):
        yield (
            alb,
            "internet-facing application load balancer with no"
            " aws.wafv2.WebAclAssociation naming it as resourceArn",
        )


def _access_log_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    logs = lookup(props, "accessLogs")
    if is_unknown(logs):
        return
    yield from must_be_true(logs, "enabled", "accessLogs.")
    bucket = lookup(logs, "bucket")
    if is_true(lookup(logs, "enabled")) and not _has_text(bucket):
        yield f"accessLogs.bucket is {shown(bucket)}"


def _deletion_protection_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    yield from must_be_true(props, "enableDeletionProtection")


def _web_acls_without_logging(args: StackValidationArgs) -> Iterator[tuple[Any, str]]:
    acls = [resource for resource in args.resources if resource.resource_type == WEB_ACL]
    logging = [resource for resource in args.resources if resource.resource_type == WAF_LOGGING]
    for acl in unattached(acls, logging, "resourceArn"):
        yield (
            acl,
            "no aws.wafv2.WebAclLoggingConfiguration names this web ACL as resourceArn: its"
            " blocks and matches are not recorded",
        )


def _cross_zone_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    kind = lookup(props, "loadBalancerType")
    if kind in ("network", "gateway"):
        yield from must_be_true(props, "enableCrossZoneLoadBalancing")


def _desync_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    mode = lookup(props, "desyncMitigationMode")
    if (
        lookup(props, "loadBalancerType") in (None, "application")
        and isinstance(mode, str)
        and not is_unknown(mode)
        and mode not in SAFE_DESYNC_MODES
    ):
        yield f"desyncMitigationMode is {mode!r}: smuggled requests reach the targets"


def _health_check_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    protocol, check = lookup(props, "protocol"), lookup(props, "healthCheck")
    if str(protocol).upper() not in HTTP_TARGET_PROTOCOLS or is_unknown(check):
        return
    enabled = lookup(check, "enabled")
    if enabled is not None and not is_true(enabled) and not is_unknown(enabled):
        yield f"healthCheck.enabled is {enabled!r}: unhealthy targets keep receiving requests"
    elif not _has_text(lookup(check, "path")):
        yield "healthCheck.path is not set: the load balancer probes '/', not a readiness endpoint"


def _plain_http_target_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    protocol = lookup(props, "protocol")
    if lookup(props, "targetType") != "lambda" and str(protocol).upper() == "HTTP":
        yield "protocol is 'HTTP': requests cross the VPC to the targets unencrypted"


def _routes(props: dict[str, Any], args: Any) -> list[Any]:
    return as_list(lookup(props, "routes")) if args.resource_type == ROUTE_TABLE else [props]


def _peering_route_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    for route in _routes(props, args):
        if lookup(route, "vpcPeeringConnectionId") is None:
            continue
        for field in ("cidrBlock", "destinationCidrBlock", "ipv6CidrBlock"):
            cidr = lookup(route, field)
            if cidr in ("0.0.0.0/0", "::/0"):
                yield f"{field} {cidr} goes through VPC peering: the peer reaches every address"


def _security_group_references(args: StackValidationArgs) -> tuple[set[str], set[str]]:
    """Every string in the inputs of resources other than security groups and their rules, and
    the URNs those resources depend on."""
    strings_seen: set[str] = set()
    depended_on: set[str] = set()
    for resource in args.resources:
        if resource.resource_type in SECURITY_GROUP_RULE_TYPES:
            continue
        strings_seen.update(_strings_in(plain(resource.props)))
        depended_on.update(
            getattr(dependency, "urn", "")
            for dependencies in (resource.property_dependencies or {}).values()
            for dependency in dependencies
        )
    return strings_seen, depended_on


def _strings_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings_in(item)


def _unattached_security_groups(args: StackValidationArgs) -> Iterator[tuple[Any, str]]:
    strings_seen, depended_on = _security_group_references(args)
    if UNKNOWN in strings_seen:
        return  # some reference is known only at deploy: it may be any of these groups
    for group in args.resources:
        if group.resource_type != SECURITY_GROUP or group.urn in depended_on:
            continue
        if not identities(group) & strings_seen:
            yield group, "no resource uses this security group: it guards nothing"


def _web_acl_rule_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    rules = lookup(props, "rules")
    if is_unknown(rules) or is_unknown(lookup(props, "ruleJson")):
        return
    if not as_list(rules) and not _has_text(lookup(props, "ruleJson")):
        yield "rules is empty: the web ACL only applies its default action"
    for index, rule in enumerate(as_list(rules)):
        if lookup(rule, "action") is None and lookup(rule, "overrideAction") is None:
            yield f"rules[{index}] ({lookup(rule, 'name')!r}) has neither action nor overrideAction"


def _managed_groups(rules: Any) -> Iterator[Any]:
    for rule in as_list(rules):
        statement = lookup(rule, "statement", "managedRuleGroupStatement")
        if lookup(statement, "vendorName") == "AWS":
            yield lookup(statement, "name")


def _known_bad_inputs_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    rules = lookup(props, "rules")
    if is_unknown(rules) or _has_text(lookup(props, "ruleJson")):
        return
    if KNOWN_BAD_INPUTS_GROUP not in list(_managed_groups(rules)):
        yield (
            f"no rule uses the AWS managed group {KNOWN_BAD_INPUTS_GROUP}: Log4j JNDI lookups"
            " (CVE-2021-44228) and other known exploit inputs pass"
        )


def _literal_address_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    kind, addresses = lookup(props, "type"), as_list(lookup(props, "records"))
    if (
        isinstance(kind, str)
        and kind in ADDRESS_RECORD_TYPES
        and addresses
        and not as_list(lookup(props, "aliases"))
    ):
        yield (
            f"the {kind} record lists addresses {addresses}: once they are released the name"
            " points at whoever gets them next"
        )


def _redirects_to_https(actions: Any) -> bool:
    actions = as_list(actions)
    return bool(actions) and all(
        lookup(action, "type") == "redirect"
        and str(lookup(action, "redirect", "protocol")).upper() == "HTTPS"
        for action in actions
    )


def _listener_protocol(props: dict[str, Any]) -> Any:
    protocol = lookup(props, "protocol")
    return "HTTP" if protocol is None else protocol  # the ALB listener default


def _plain_http_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    if args.resource_type == CLASSIC_LOAD_BALANCER:
        for index, listener in enumerate(as_list(lookup(props, "listeners"))):
            if str(lookup(listener, "lbProtocol")).upper() == "HTTP":
                yield (
                    f"listeners[{index}].lbProtocol is 'http' on port"
                    f" {shown(lookup(listener, 'lbPort'))}"
                )
        return
    protocol, actions = _listener_protocol(props), lookup(props, "defaultActions")
    if (
        is_unknown(protocol)
        or is_unknown(actions)
        or str(protocol).upper() != "HTTP"
        or _redirects_to_https(actions)
    ):
        return
    kinds = [lookup(action, "type") for action in as_list(actions)]
    yield (
        f"protocol is {protocol!r} on port {shown(lookup(props, 'port'))} and defaultActions"
        f" {kinds} do not all redirect to HTTPS"
    )


def _tls_policy_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    protocol, policy = _listener_protocol(props), lookup(props, "sslPolicy")
    if str(protocol).upper() not in ("HTTPS", "TLS") or is_unknown(policy):
        return
    if not isinstance(policy, str) or not _SECURE_ELB_TLS_POLICY.match(policy):
        yield f"sslPolicy is {shown(policy)}; it must allow TLS 1.2+ only"


# --- CloudFront ---------------------------------------------------------------------------------


def _cloudfront_logging_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    bucket = lookup(props, "loggingConfig", "bucket")
    if bucket is None:
        yield "loggingConfig.bucket is not set"


def _cloudfront_waf_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    web_acl = lookup(props, "webAclId")
    if not _has_text(web_acl):
        yield f"webAclId is {shown(web_acl)}"


def _cloudfront_https_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    behaviors = [("defaultCacheBehavior", lookup(props, "defaultCacheBehavior"))]
    behaviors += [
        (f"orderedCacheBehaviors[{index}]", behavior)
        for index, behavior in enumerate(as_list(lookup(props, "orderedCacheBehaviors")))
    ]
    for where, behavior in behaviors:
        policy = lookup(behavior, "viewerProtocolPolicy")
        if policy == "allow-all":
            yield f"{where}.viewerProtocolPolicy is 'allow-all'"


def _cloudfront_tls_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    certificate = lookup(props, "viewerCertificate")
    if is_unknown(certificate) or is_true(lookup(certificate, "cloudfrontDefaultCertificate")):
        return  # the *.cloudfront.net certificate has no minimum-version setting
    version = lookup(certificate, "minimumProtocolVersion")
    if not is_unknown(version) and version not in SECURE_CLOUDFRONT_PROTOCOLS:
        yield f"viewerCertificate.minimumProtocolVersion is {shown(version)}"


POLICIES: list[Policy] = [
    resource_rule(
        name="aws-ec2-no-public-ingress-sgr",
        description=(
            "Security groups admit public CIDRs only on TCP 80/443 (the ALB); never admin/data"
            " ports or all traffic."
        ),
        severity=Severity.CRITICAL,
        enforcement=EnforcementLevel.MANDATORY,
        resource_types=SECURITY_GROUP_RULE_TYPES,
        remediation=(
            "replace `cidr_blocks`/`ipv6_cidr_blocks` (aws.ec2.SecurityGroup ingress,"
            " aws.ec2.SecurityGroupRule) or `cidr_ipv4`/`cidr_ipv6`"
            " (aws.vpc.SecurityGroupIngressRule) with the VPC CIDR or"
            " `referenced_security_group_id`/`source_security_group_id`. Only TCP 80 and 443"
            " (from_port == to_port) may be open to 0.0.0.0/0 or ::/0, for the ALB; port 80 must"
            " only redirect to HTTPS."
        ),
        trivy_ids=["AVD-AWS-0107"],
        checkov_ids=["CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_277"],
        check=with_plain_props(_public_ingress_findings),
    ),
    resource_rule(
        name="aws-ec2-no-public-egress-sgr",
        description=(
            "Security groups do not allow egress to public CIDRs (advisory: nodes reach AWS APIs"
            " through NAT)."
        ),
        severity=Severity.CRITICAL,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=SECURITY_GROUP_RULE_TYPES,
        remediation=(
            "narrow egress `cidr_blocks`/`cidr_ipv4` to the VPC CIDR, VPC endpoints' prefix lists "
            "(`prefix_list_ids`/`prefix_list_id`) or the ports actually needed (443)."
        ),
        trivy_ids=["AVD-AWS-0104"],
        checkov_ids=["CKV_AWS_382"],
        check=with_plain_props(_public_egress_findings),
    ),
    resource_rule(
        name="aws-ec2-add-description-to-security-group",
        description="Security groups (including those ElastiCache uses) say what they are for.",
        severity=Severity.LOW,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[SECURITY_GROUP],
        remediation=(
            "set `description` on aws.ec2.SecurityGroup (not the provider default 'Managed by"
            " Pulumi'). ElastiCache security groups (EC2-Classic) no longer exist; caches use these"
            " VPC security groups."
        ),
        trivy_ids=["AVD-AWS-0099", "AVD-AWS-0049"],
        checkov_ids=["CKV_AWS_23"],
        check=with_plain_props(_group_description_findings),
    ),
    resource_rule(
        name="aws-ec2-add-description-to-security-group-rule",
        description="Every security group rule says why it exists.",
        severity=Severity.LOW,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=SECURITY_GROUP_RULE_TYPES,
        remediation=(
            "set `description` on each `ingress`/`egress` entry of aws.ec2.SecurityGroup, on "
            "aws.ec2.SecurityGroupRule and on aws.vpc.SecurityGroupIngressRule/EgressRule."
        ),
        trivy_ids=["AVD-AWS-0124"],
        checkov_ids=["CKV_AWS_23"],
        check=with_plain_props(_rule_description_findings),
    ),
    resource_rule(
        name="aws-ec2-restrict-all-in-default-sg",
        description="The VPC's default security group allows no traffic.",
        severity=Severity.LOW,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[DEFAULT_SECURITY_GROUP],
        remediation=(
            "declare aws.ec2.DefaultSecurityGroup with no `ingress` and no `egress` so it strips"
            " the defaults; attach purpose-made security groups instead."
        ),
        trivy_ids=["AVD-AWS-0173"],
        checkov_ids=["CKV2_AWS_12"],
        check=with_plain_props(_default_group_findings),
    ),
    resource_rule(
        name="aws-ec2-no-excessive-port-access",
        description="Network ACL entries never allow all protocols and ports, in either direction.",
        severity=Severity.CRITICAL,
        enforcement=EnforcementLevel.MANDATORY,
        resource_types=NETWORK_ACL_TYPES,
        remediation=(
            "set `protocol='tcp'` with `from_port`/`to_port` (aws.ec2.NetworkAcl ingress entries, "
            "aws.ec2.NetworkAclRule) instead of protocol '-1', or `action`/`rule_action='deny'`."
        ),
        trivy_ids=["AVD-AWS-0102"],
        check=with_plain_props(_acl_all_ports_findings),
    ),
    resource_rule(
        name="aws-ec2-no-public-ingress-acl",
        description=(
            "Network ACLs admit public CIDRs only on TCP 80/443 and the ephemeral reply ports"
            " 1024-65535."
        ),
        severity=Severity.MEDIUM,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=NETWORK_ACL_TYPES,
        remediation=(
            "narrow `cidr_block`/`ipv6_cidr_block` or the ports of aws.ec2.NetworkAcl ingress"
            " entries and aws.ec2.NetworkAclRule (`egress=False`); keep public ingress to TCP 80,"
            " 443 and 1024-65535."
        ),
        trivy_ids=["AVD-AWS-0105"],
        check=with_plain_props(_acl_public_ingress_findings),
    ),
    resource_rule(
        name="aws-ec2-no-default-vpc",
        description="The program does not adopt and use the account's default VPC.",
        severity=Severity.HIGH,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[DEFAULT_VPC],
        remediation=(
            "remove aws.ec2.DefaultVpc and place resources in the program's own aws.ec2.Vpc."
        ),
        trivy_ids=["AVD-AWS-0101"],
        check=with_plain_props(_default_vpc_findings),
    ),
    resource_rule(
        name="aws-ec2-no-public-ip-subnet",
        description=(
            "Subnets do not auto-assign public IPs (NAT gateways and ALBs get theirs explicitly)."
        ),
        severity=Severity.HIGH,
        enforcement=EnforcementLevel.MANDATORY,
        resource_types=[SUBNET, DEFAULT_SUBNET],
        remediation=(
            "set `map_public_ip_on_launch=False` on aws.ec2.Subnet / aws.ec2.DefaultSubnet."
        ),
        trivy_ids=["AVD-AWS-0164"],
        checkov_ids=["CKV_AWS_130"],
        check=with_plain_props(_public_subnet_ip_findings),
    ),
    stack_rule(
        name="aws-ec2-require-vpc-flow-logs-for-all-vpcs",
        description="Every VPC has a flow log.",
        severity=Severity.MEDIUM,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[VPC, FLOW_LOG],
        remediation=(
            "add an aws.ec2.FlowLog with `vpc_id=vpc.id`, `traffic_type='ALL'` and a"
            " `log_destination` (CloudWatch log group with `iam_role_arn`, or S3)."
        ),
        trivy_ids=["AVD-AWS-0178"],
        checkov_ids=["CKV2_AWS_11"],
        check=_vpcs_without_flow_logs,
    ),
    resource_rule(
        name="aws-elb-drop-invalid-headers",
        description="Application load balancers drop invalid HTTP header fields.",
        severity=Severity.HIGH,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=LOAD_BALANCERS,
        remediation="set `drop_invalid_header_fields=True` on aws.lb.LoadBalancer.",
        trivy_ids=["AVD-AWS-0052"],
        checkov_ids=["CKV_AWS_131"],
        check=with_plain_props(_drop_invalid_headers_findings),
    ),
    resource_rule(
        name="aws-elb-alb-not-public",
        description=(
            "Load balancers are internal unless they are the reviewed internet edge (advisory)."
        ),
        severity=Severity.HIGH,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[*LOAD_BALANCERS, CLASSIC_LOAD_BALANCER],
        remediation=(
            "set `internal=True` on aws.lb.LoadBalancer / aws.elb.LoadBalancer; the public edge ALB"
            " (behind WAF) stays internet-facing and carries a dated policy exemption naming its"
            " reason."
        ),
        trivy_ids=["AVD-AWS-0053"],
        check=with_plain_props(_internet_facing_findings),
    ),
    stack_rule(
        name="aws-elb-public-alb-behind-waf",
        description=(
            "Every internet-facing application load balancer has a WAFv2 web ACL associated (the"
            " condition of the edge ALB's aws-elb-alb-not-public exemption)."
        ),
        severity=Severity.HIGH,
        enforcement=EnforcementLevel.MANDATORY,
        resource_types=[*LOAD_BALANCERS, WAF_ASSOCIATION],
        remediation=(
            "add an aws.wafv2.WebAclAssociation with `resource_arn=alb.arn` and `web_acl_arn` of a"
            " REGIONAL aws.wafv2.WebAcl, or set `internal=True` on aws.lb.LoadBalancer."
        ),
        checkov_ids=["CKV2_AWS_28"],
        check=_public_albs_without_waf,
    ),
    resource_rule(
        name="aws-elb-enable-access-logs",
        description="Application and network load balancers write access logs to S3.",
        severity=Severity.MEDIUM,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=LOAD_BALANCERS,
        remediation=(
            "set `access_logs={'bucket': logs_bucket.id, 'enabled': True}` on aws.lb.LoadBalancer"
            " (the bucket policy must let the region's ELB account write)."
        ),
        checkov_ids=["CKV_AWS_91"],
        check=with_plain_props(_access_log_findings),
    ),
    resource_rule(
        name="aws-elb-enable-deletion-protection",
        description="Load balancers have deletion protection.",
        severity=Severity.LOW,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=LOAD_BALANCERS,
        remediation=(
            "set `enable_deletion_protection=True` on aws.lb.LoadBalancer (at least in prod)."
        ),
        checkov_ids=["CKV_AWS_150"],
        check=with_plain_props(_deletion_protection_findings),
    ),
    stack_rule(
        name="aws-wafv2-enable-logging",
        description="Every WAFv2 web ACL has a logging configuration.",
        severity=Severity.MEDIUM,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[WEB_ACL, WAF_LOGGING],
        remediation=(
            "add an aws.wafv2.WebAclLoggingConfiguration with `resource_arn=web_acl.arn` and"
            " `log_destination_configs=[log_group.arn]` (a CMK-encrypted log group named"
            " `aws-waf-logs-...`)."
        ),
        checkov_ids=["CKV2_AWS_31"],
        check=_web_acls_without_logging,
    ),
    resource_rule(
        name="aws-elb-cross-zone-load-balancing",
        description="Network and gateway load balancers balance across zones.",
        severity=Severity.LOW,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=LOAD_BALANCERS,
        remediation=(
            "set `enable_cross_zone_load_balancing=True` on aws.lb.LoadBalancer of type 'network'"
            " or 'gateway' (application load balancers always are)."
        ),
        checkov_ids=["CKV_AWS_152"],
        check=with_plain_props(_cross_zone_findings),
    ),
    resource_rule(
        name="aws-elb-desync-mitigation",
        description="Application load balancers mitigate HTTP desync (defensive or strictest).",
        severity=Severity.MEDIUM,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=LOAD_BALANCERS,
        remediation=(
            "set `desync_mitigation_mode='strictest'` (or leave AWS's 'defensive') on"
            " aws.lb.LoadBalancer; never 'monitor'."
        ),
        checkov_ids=["CKV_AWS_328"],
        check=with_plain_props(_desync_findings),
    ),
    resource_rule(
        name="aws-elb-target-group-health-check",
        description="HTTP(S) target groups probe a readiness path.",
        severity=Severity.LOW,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=TARGET_GROUPS,
        remediation=(
            "set `health_check={'path': '/readyz', 'matcher': '200', ...}` on aws.lb.TargetGroup."
        ),
        checkov_ids=["CKV_AWS_261"],
        check=with_plain_props(_health_check_findings),
    ),
    resource_rule(
        name="aws-elb-target-group-https",
        description="Load balancers forward HTTP requests to their targets over HTTPS.",
        severity=Severity.MEDIUM,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=TARGET_GROUPS,
        remediation=(
            "set `protocol='HTTPS'` on aws.lb.TargetGroup and serve TLS in the targets (the app"
            " chart's `tls.enabled`)."
        ),
        checkov_ids=["CKV_AWS_378"],
        check=with_plain_props(_plain_http_target_findings),
    ),
    resource_rule(
        name="aws-ec2-no-peering-route-to-everything",
        description="No route sends every address (0.0.0.0/0, ::/0) through a VPC peering.",
        severity=Severity.MEDIUM,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[ROUTE_TABLE, ROUTE],
        remediation=(
            "route only the peer VPC's CIDR through `vpc_peering_connection_id` in"
            " aws.ec2.RouteTable / aws.ec2.Route."
        ),
        checkov_ids=["CKV2_AWS_44"],
        check=with_plain_props(_peering_route_findings),
    ),
    stack_rule(
        name="aws-ec2-security-group-attached",
        description="Every security group is used by some resource.",
        severity=Severity.LOW,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[SECURITY_GROUP],
        remediation=(
            "pass the group to the resource it guards (`security_groups`, `security_group_ids`,"
            " `vpc_security_group_ids`) or delete it."
        ),
        checkov_ids=["CKV2_AWS_5"],
        check=_unattached_security_groups,
    ),
    resource_rule(
        name="aws-wafv2-rules-with-actions",
        description="WAFv2 web ACLs have rules, and every rule an action or override action.",
        severity=Severity.MEDIUM,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[WEB_ACL],
        remediation=(
            "give aws.wafv2.WebAcl `rules`, each with `action` (own statements) or"
            " `override_action` (rule groups)."
        ),
        checkov_ids=["CKV_AWS_175", "CKV_AWS_342"],
        check=with_plain_props(_web_acl_rule_findings),
    ),
    resource_rule(
        name="aws-wafv2-block-known-bad-inputs",
        description="WAFv2 web ACLs use AWS's known-bad-inputs group (Log4j JNDI lookups).",
        severity=Severity.HIGH,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[WEB_ACL],
        remediation=(
            "add a rule with `statement={'managed_rule_group_statement': {'vendor_name': 'AWS',"
            f" 'name': '{KNOWN_BAD_INPUTS_GROUP}'}}}}` and `override_action={{'none': {{}}}}` to"
            " aws.wafv2.WebAcl."
        ),
        checkov_ids=["CKV2_AWS_76", "CKV_AWS_192"],
        check=with_plain_props(_known_bad_inputs_findings),
    ),
    resource_rule(
        name="aws-route53-address-record-alias",
        description="A/AAAA records are aliases to resources, not literal IP addresses.",
        severity=Severity.MEDIUM,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[DNS_RECORD],
        remediation=(
            "use `aliases=[{'name': alb.dns_name, 'zone_id': alb.zone_id,"
            " 'evaluate_target_health': True}]` on aws.route53.Record instead of `records`."
        ),
        checkov_ids=["CKV2_AWS_23"],
        check=with_plain_props(_literal_address_findings),
    ),
    resource_rule(
        name="aws-elb-http-not-used",
        description=(
            "Load balancer listeners serve HTTPS; a plain HTTP listener only redirects to HTTPS."
        ),
        severity=Severity.CRITICAL,
        enforcement=EnforcementLevel.MANDATORY,
        resource_types=[*LISTENERS, CLASSIC_LOAD_BALANCER],
        remediation=(
            "set `protocol='HTTPS'` with `certificate_arn` on aws.lb.Listener, or keep port 80 with"
            " `default_actions=[{'type': 'redirect', 'redirect': {'protocol': 'HTTPS', 'port':"
            " '443', 'status_code': 'HTTP_301'}}]`; classic aws.elb.LoadBalancer"
            " `listeners[].lb_protocol='https'`."
        ),
        trivy_ids=["AVD-AWS-0054"],
        checkov_ids=["CKV2_AWS_20", "CKV_AWS_2", "CKV_AWS_378"],
        check=with_plain_props(_plain_http_findings),
    ),
    resource_rule(
        name="aws-elb-use-secure-tls-policy",
        description="HTTPS/TLS listeners use a TLS 1.2+ security policy.",
        severity=Severity.CRITICAL,
        enforcement=EnforcementLevel.MANDATORY,
        resource_types=LISTENERS,
        remediation=(
            "set `ssl_policy='ELBSecurityPolicy-TLS13-1-2-2021-06'` (or another TLS13-1-2/FS-1-2"
            " policy) on aws.lb.Listener."
        ),
        trivy_ids=["AVD-AWS-0047"],
        checkov_ids=["CKV_AWS_103", "CKV2_AWS_74"],
        check=with_plain_props(_tls_policy_findings),
    ),
    resource_rule(
        name="aws-cloudfront-enable-logging",
        description="CloudFront distributions write access logs.",
        severity=Severity.MEDIUM,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[CLOUDFRONT_DISTRIBUTION],
        remediation=(
            "set `logging_config={'bucket': logs_bucket.bucket_domain_name}` on"
            " aws.cloudfront.Distribution."
        ),
        trivy_ids=["AVD-AWS-0010"],
        check=with_plain_props(_cloudfront_logging_findings),
    ),
    resource_rule(
        name="aws-cloudfront-enable-waf",
        description="CloudFront distributions are protected by a WAF web ACL.",
        severity=Severity.HIGH,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[CLOUDFRONT_DISTRIBUTION],
        remediation=(
            "set `web_acl_id` to an aws.wafv2.WebAcl (scope CLOUDFRONT) ARN on"
            " aws.cloudfront.Distribution."
        ),
        trivy_ids=["AVD-AWS-0011"],
        check=with_plain_props(_cloudfront_waf_findings),
    ),
    resource_rule(
        name="aws-cloudfront-enforce-https",
        description="CloudFront cache behaviors never serve plain HTTP.",
        severity=Severity.CRITICAL,
        enforcement=EnforcementLevel.MANDATORY,
        resource_types=[CLOUDFRONT_DISTRIBUTION],
        remediation=(
            "set `viewer_protocol_policy='redirect-to-https'` (or 'https-only') in"
            " `default_cache_behavior` and every `ordered_cache_behaviors` entry of"
            " aws.cloudfront.Distribution."
        ),
        trivy_ids=["AVD-AWS-0012"],
        check=with_plain_props(_cloudfront_https_findings),
    ),
    resource_rule(
        name="aws-cloudfront-use-secure-tls-policy",
        description=(
            "CloudFront distributions with their own certificate accept TLS 1.2 (2021 ciphers) or"
            " newer only."
        ),
        severity=Severity.HIGH,
        enforcement=EnforcementLevel.MANDATORY,
        resource_types=[CLOUDFRONT_DISTRIBUTION],
        remediation=(
            "set `viewer_certificate={'acm_certificate_arn': ..., 'ssl_support_method': 'sni-only',"
            " 'minimum_protocol_version': 'TLSv1.2_2021'}` on aws.cloudfront.Distribution."
        ),
        trivy_ids=["AVD-AWS-0013"],
        check=with_plain_props(_cloudfront_tls_findings),
    ),
]
