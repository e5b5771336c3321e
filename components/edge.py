"""The regional front door: WAF -> ALB (HTTPS only, HTTP redirects) -> HTTPS to an IP target group
for the pods.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from components.buckets import LogBucket, Writer
from components.config import EdgeConfig
from components.kms import encryption_key

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
HEALTH_CHECK_PATH = "/readyz"
ALB_LOG_PREFIX = "alb"
MANAGED_RULE_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
)
INTERNET = "0.0.0.0/0"
APP_PORT = 8000  # the chart's containerPort
# The pods serve HTTPS too (the chart's `tls`), so no hop carries plain HTTP; the ALB does not
# validate target certificates, which lets the chart generate a self-signed one.
TARGET_PROTOCOL = "HTTPS"
# WAF delivers to CloudWatch Logs only into groups whose name starts with this.
WAF_LOG_GROUP_PREFIX = "aws-waf-logs-"
# Bearer tokens are credentials: WAF logs never carry them.
WAF_REDACTED_HEADERS = ("authorization", "cookie")


def _visibility(metric: str) -> aws.wafv2.WebAclVisibilityConfigArgsDict:
    return {
        "cloudwatch_metrics_enabled": True,
        "metric_name": metric,
        "sampled_requests_enabled": True,
    }


def _validation_option(
    options: Sequence[aws.acm.outputs.CertificateDomainValidationOption], domain: str
) -> aws.acm.outputs.CertificateDomainValidationOption:
    return next(option for option in options if option.domain_name == domain)


def waf_rules(name: str, rate_limit_per_ip_5min: int) -> list[aws.wafv2.WebAclRuleArgsDict]:
    """The rate limit first (cheapest to evaluate, stops floods), then AWS managed rule groups."""
    rate_rule: aws.wafv2.WebAclRuleArgsDict = {
        "name": "rate-limit-per-ip",
        "priority": 0,
        "action": {"block": {}},
        "statement": {
            "rate_based_statement": {
                "limit": rate_limit_per_ip_5min,
                "aggregate_key_type": "IP",
                "evaluation_window_sec": 300,
            }
        },
        "visibility_config": _visibility(f"{name}-rate-limit"),
    }
    managed: list[aws.wafv2.WebAclRuleArgsDict] = [
        {
            "name": group,
            "priority": 10 * (index + 1),
            "override_action": {"none": {}},
            "statement": {"managed_rule_group_statement": {"vendor_name": "AWS", "name": group}},
            "visibility_config": _visibility(f"{name}-{group}"),
        }
        for index, group in enumerate(MANAGED_RULE_GROUPS)
    ]
    return [rate_rule, *managed]


class Edge(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        config: EdgeConfig,
        region: str,
        vpc_id: pulumi.Input[str],
        vpc_cidr: str,
        public_subnet_ids: Sequence[pulumi.Input[str]],
        tags: Mapping[str, str],
        owns_public_validation: bool = True,
        opts: pulumi.ResourceOptions | None = None,
    ):
        """`owns_public_validation`: whether this stack writes the public name's ACM validation
        record. ACM gives one account the same record for the same name, so the stacks that
        share the public name (prod and dr) must leave it to one owner: destroying a second
        owner would delete it under the other's renewal."""
        super().__init__("ticketing:edge:Edge", name, None, opts)
        self._name = name
        self._tags = dict(tags)
        child = pulumi.ResourceOptions(parent=self)
        self._zone_id = aws.route53.get_zone_output(
            name=config.zone_name, private_zone=False, opts=pulumi.InvokeOutputOptions(parent=self)
        ).zone_id
        self.certificate_arn = self._certificate(config, owns_public_validation)
        self.security_group = self._security_group(vpc_id, vpc_cidr)
        self.access_logs = self._access_log_bucket(config.access_log_retention_days)
        self.alb = aws.lb.LoadBalancer(
            f"{name}-alb",
            load_balancer_type="application",
            internal=False,
            subnets=list(public_subnet_ids),
            security_groups=[self.security_group.id],
            drop_invalid_header_fields=True,
            desync_mitigation_mode="strictest",
            enable_deletion_protection=config.deletion_protection,
            access_logs={"bucket": self.access_logs.id, "prefix": ALB_LOG_PREFIX, "enabled": True},
            tags=self._tags,
            # ELB checks at once that it may write there: "Access Denied for bucket" otherwise.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.access_logs.policy]),
        )
        self.target_group = aws.lb.TargetGroup(
            f"{name}-app-tg",
            target_type="ip",
            port=APP_PORT,
            protocol=TARGET_PROTOCOL,
            vpc_id=vpc_id,
            deregistration_delay=30,
            health_check={
                "path": HEALTH_CHECK_PATH,
                "protocol": TARGET_PROTOCOL,
                "matcher": "200",
                "interval": 10,
                "healthy_threshold": 2,
                "unhealthy_threshold": 3,
            },
            tags=self._tags,
            opts=child,
        )
        self._listeners()
        self.web_acl = aws.wafv2.WebAcl(
            f"{name}-waf",
            scope="REGIONAL",
            default_action={"allow": {}},
            rules=waf_rules(name, config.rate_limit_per_ip_5min),
            visibility_config=_visibility(f"{name}-waf"),
            tags=self._tags,
            opts=child,
        )
        aws.wafv2.WebAclAssociation(
            f"{name}-waf-alb",
            resource_arn=self.alb.arn,
            web_acl_arn=self.web_acl.arn,
            opts=child,
        )
        self._waf_logging(region, config.access_log_retention_days)
        self.dns_name = self.alb.dns_name
        self.zone_id = self.alb.zone_id
        # The region's own name (on the certificate) for on-call and drills; the public name only
        # where no routing owner's weighted records serve it.
        hostnames = {
            "regional": config.regional_hostname,
            **({"public": config.public_hostname} if config.public_record else {}),
        }
        for label, hostname in hostnames.items():
            aws.route53.Record(
                f"{name}-{label}",
                zone_id=self._zone_id,
                name=hostname,
                type="A",
                aliases=[
                    aws.route53.RecordAliasArgs(
                        name=self.dns_name,
                        zone_id=self.zone_id,
                        evaluate_target_health=True,
                    )
                ],
                opts=child,
            )
        self.register_outputs(
            {
                "albDnsName": self.dns_name,
                "albZoneId": self.zone_id,
                "albArn": self.alb.arn,
                "targetGroupArn": self.target_group.arn,
                "certificateArn": self.certificate_arn,
                "webAclArn": self.web_acl.arn,
            }
        )

    def _waf_logging(self, region: str, retention_days: int) -> None:
        """Every request WAF sees (with the verdict) in a CMK-encrypted log group."""
        child = pulumi.ResourceOptions(parent=self)
        key = encryption_key(
            f"{self._name}-waf-logs",
            "WAF request logs",
            self,
            self._tags,
            service_principals=[f"logs.{region}.amazonaws.com"],
        )
        log_group = aws.cloudwatch.LogGroup(
            f"{self._name}-waf-logs",
            name=f"{WAF_LOG_GROUP_PREFIX}{self._name}",
            retention_in_days=retention_days,
            kms_key_id=key.arn,
            tags=self._tags,
            opts=child,
        )
        aws.wafv2.WebAclLoggingConfiguration(
            f"{self._name}-waf-logging",
            resource_arn=self.web_acl.arn,
            log_destination_configs=[log_group.arn],
            redacted_fields=[
                {"single_header": {"name": header}} for header in WAF_REDACTED_HEADERS
            ],
            opts=child,
        )

    def _certificate(self, config: EdgeConfig, owns_public_validation: bool) -> pulumi.Output[str]:
        """One certificate for the regional name (health checks, on-call) and the public name
        Route53 serves.
        """
        child = pulumi.ResourceOptions(parent=self)
        certificate = aws.acm.Certificate(
            f"{self._name}-cert",
            domain_name=config.regional_hostname,
            subject_alternative_names=[config.public_hostname],
            validation_method="DNS",
            tags=self._tags,
            opts=child,
        )
        fqdns = []
        for label, domain in (
            ("regional", config.regional_hostname),
            ("public", config.public_hostname),
        ):
            option = certificate.domain_validation_options.apply(
                functools.partial(_validation_option, domain=domain)
            )
            if label == "public" and not owns_public_validation:
                fqdns.append(option.resource_record_name.apply(lambda name: name.rstrip(".")))
                continue
            fqdns.append(
                aws.route53.Record(
                    f"{self._name}-cert-validation-{label}",
                    zone_id=self._zone_id,
                    name=option.resource_record_name,
                    type=option.resource_record_type,
                    records=[option.resource_record_value],
                    ttl=60,
                    allow_overwrite=True,
                    opts=child,
                ).fqdn
            )
        validation = aws.acm.CertificateValidation(
            f"{self._name}-cert-validation",
            certificate_arn=certificate.arn,
            validation_record_fqdns=fqdns,
            opts=child,
        )
        return validation.certificate_arn

    def _security_group(self, vpc_id: pulumi.Input[str], vpc_cidr: str) -> aws.ec2.SecurityGroup:
        child = pulumi.ResourceOptions(parent=self)
        group = aws.ec2.SecurityGroup(
            f"{self._name}-alb-sg",
            vpc_id=vpc_id,
            description="ALB: HTTPS from the internet, HTTP only to redirect",
            tags=self._tags,
            opts=child,
        )
        for port, purpose in ((443, "https"), (80, "http-redirect")):
            aws.vpc.SecurityGroupIngressRule(
                f"{self._name}-alb-{purpose}-in",
                security_group_id=group.id,
                cidr_ipv4=INTERNET,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                description=f"{purpose} from the internet",
                tags=self._tags,
                opts=child,
            )
        aws.vpc.SecurityGroupEgressRule(
            f"{self._name}-alb-to-pods",
            security_group_id=group.id,
            cidr_ipv4=vpc_cidr,
            ip_protocol="tcp",
            from_port=APP_PORT,
            to_port=APP_PORT,
            description="to the ticketing pods",
            tags=self._tags,
            opts=child,
        )
        return group

    def _access_log_bucket(self, retention_days: int) -> LogBucket:
        elb_account = aws.elb.get_service_account_output().arn
        server_access_logs = LogBucket(
            f"{self._name}-s3-access-logs",
            Writer({"Service": "logging.s3.amazonaws.com"}, f"{self._name}-alb-logs"),
            retention_days,
            self,
            self._tags,
        )
        return LogBucket(
            f"{self._name}-alb-logs",
            Writer({"AWS": elb_account}, ALB_LOG_PREFIX),
            retention_days,
            self,
            self._tags,
            server_access_logs,
        )

    def _listeners(self) -> None:
        child = pulumi.ResourceOptions(parent=self)
        aws.lb.Listener(
            f"{self._name}-https",
            load_balancer_arn=self.alb.arn,
            port=443,
            protocol="HTTPS",
            ssl_policy=TLS_POLICY,
            certificate_arn=self.certificate_arn,
            default_actions=[{"type": "forward", "target_group_arn": self.target_group.arn}],
            tags=self._tags,
            opts=child,
        )
        aws.lb.Listener(
            f"{self._name}-http-redirect",
            load_balancer_arn=self.alb.arn,
            port=80,
            protocol="HTTP",
            default_actions=[
                {
                    "type": "redirect",
                    "redirect": {"port": "443", "protocol": "HTTPS", "status_code": "HTTP_301"},
                }
            ],
            tags=self._tags,
            opts=child,
        )
