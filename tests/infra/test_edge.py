"""Edge: HTTPS with a TLS 1.3 policy, HTTP only redirects, WAF managed rules and a rate limit,
logged ALB.
"""

from tests.infra.recorded import one, statements

LISTENER = "aws:lb/listener:Listener"
ALB = "aws:lb/loadBalancer:LoadBalancer"


def test_https_listener_uses_a_tls13_policy_and_the_validated_certificate(prod):
    listener = one(prod, LISTENER, "ticketing-prod-edge-https")
    assert (listener.inputs["port"], listener.inputs["protocol"]) == (443, "HTTPS")
    assert listener.inputs["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert listener.inputs["certificateArn"]
    (action,) = listener.inputs["defaultActions"]
    assert action["type"] == "forward"


def test_http_listener_only_redirects_to_https(prod):
    listener = one(prod, LISTENER, "ticketing-prod-edge-http-redirect")
    (action,) = listener.inputs["defaultActions"]
    assert action["type"] == "redirect"
    assert action["redirect"] == {"port": "443", "protocol": "HTTPS", "statusCode": "HTTP_301"}


def test_alb_drops_invalid_headers_and_logs_access(prod):
    alb = one(prod, ALB, "ticketing-prod-edge-alb")
    assert alb.inputs["dropInvalidHeaderFields"] is True
    assert alb.inputs["accessLogs"]["enabled"] is True
    assert alb.inputs["accessLogs"]["bucket"] == "ticketing-prod-edge-alb-logs-id"


def test_deletion_protection_in_prod_not_in_dev(dev, prod):
    assert one(prod, ALB, "ticketing-prod-edge-alb").inputs["enableDeletionProtection"] is True
    assert one(dev, ALB, "ticketing-dev-edge-alb").inputs["enableDeletionProtection"] is False


def test_access_log_bucket_is_private_encrypted_versioned_and_tls_only(prod):
    bucket = "ticketing-prod-edge-alb-logs-id"
    by_bucket = {
        resource.type: resource
        for resource in prod.resources
        if resource.inputs.get("bucket") == bucket
    }
    block = by_bucket["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"].inputs
    assert all(
        block[flag] is True
        for flag in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
    )
    (rule,) = by_bucket[
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ].inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"
    assert (
        by_bucket["aws:s3/bucketVersioning:BucketVersioning"].inputs["versioningConfiguration"][
            "status"
        ]
        == "Enabled"
    )
    assert (
        by_bucket["aws:s3/bucketLogging:BucketLogging"].inputs["targetBucket"]
        == "ticketing-prod-edge-s3-access-logs-id"
    )
    policy = statements(by_bucket["aws:s3/bucketPolicy:BucketPolicy"].inputs["policy"])
    deny = next(s for s in policy if s["Effect"] == "Deny")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    delivery = next(s for s in policy if s["Effect"] == "Allow")
    assert delivery["Principal"] == {"AWS": "arn:aws:iam::600734575887:root"}
    assert delivery["Resource"].endswith("/alb/*")


def test_waf_has_managed_rules_for_common_attacks_and_sqli_and_a_rate_limit(prod):
    acl = one(prod, "aws:wafv2/webAcl:WebAcl", "ticketing-prod-edge-waf")
    assert acl.inputs["scope"] == "REGIONAL"
    groups = {
        rule["statement"]["managedRuleGroupStatement"]["name"]
        for rule in acl.inputs["rules"]
        if "managedRuleGroupStatement" in rule["statement"]
    }
    assert {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesSQLiRuleSet"} <= groups
    (rate,) = [rule for rule in acl.inputs["rules"] if "rateBasedStatement" in rule["statement"]]
    assert rate["action"] == {"block": {}}
    assert rate["statement"]["rateBasedStatement"] == {
        "limit": 20000,
        "aggregateKeyType": "IP",
        "evaluationWindowSec": 300,
    }
    association = one(
        prod, "aws:wafv2/webAclAssociation:WebAclAssociation", "ticketing-prod-edge-waf-alb"
    )
    assert association.inputs["resourceArn"].endswith("ticketing-prod-edge-alb")


def internet_ingress(run) -> list[tuple[str, int, int]]:
    """(security group, from port, to port) of every way the program can let the internet in."""
    opened = []
    for rule in run.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"):
        if (
            rule.inputs.get("cidrIpv4") == "0.0.0.0/0"
            or rule.inputs.get("cidrIpv6") == "::/0"
            or rule.inputs.get("prefixListId")
        ):
            opened.append(
                (rule.inputs["securityGroupId"], rule.inputs["fromPort"], rule.inputs["toPort"])
            )
    for rule in run.of_type("aws:ec2/securityGroupRule:SecurityGroupRule"):
        if rule.inputs["type"] == "ingress" and (
            {"0.0.0.0/0", "::/0"}
            & set(rule.inputs.get("cidrBlocks", []) + rule.inputs.get("ipv6CidrBlocks", []))
        ):
            opened.append(
                (rule.inputs["securityGroupId"], rule.inputs["fromPort"], rule.inputs["toPort"])
            )
    for group in run.of_type("aws:ec2/securityGroup:SecurityGroup"):
        for rule in group.inputs.get("ingress") or []:
            if {"0.0.0.0/0", "::/0"} & set(
                rule.get("cidrBlocks", []) + rule.get("ipv6CidrBlocks", [])
            ):
                opened.append((f"{group.name}-id", rule["fromPort"], rule["toPort"]))
    return sorted(opened)


def test_only_the_alb_is_open_to_the_internet_and_only_on_443_and_80(dev, prod, dr):
    for run in (dev, prod, dr):
        alb_group = f"ticketing-{run.stack}-edge-alb-sg-id"
        assert internet_ingress(run) == [(alb_group, 80, 80), (alb_group, 443, 443)]


def test_certificate_is_validated_through_dns_for_both_names(prod):
    certificate = one(prod, "aws:acm/certificate:Certificate", "ticketing-prod-edge-cert")
    assert certificate.inputs["validationMethod"] == "DNS"
    assert certificate.inputs["domainName"] == "seoul.tickets.example.com"
    assert certificate.inputs["subjectAlternativeNames"] == ["tickets.example.com"]
    validation = one(
        prod,
        "aws:acm/certificateValidation:CertificateValidation",
        "ticketing-prod-edge-cert-validation",
    )
    assert len(validation.inputs["validationRecordFqdns"]) == 2


def test_pods_join_an_ip_target_group_health_checked_on_readyz(prod):
    group = one(prod, "aws:lb/targetGroup:TargetGroup", "ticketing-prod-edge-app-tg")
    assert group.inputs["targetType"] == "ip"
    assert group.inputs["healthCheck"]["path"] == "/readyz"


def test_the_alb_speaks_https_to_the_pods_and_health_checks_them_over_https(dev, prod, dr):
    for run in (dev, prod, dr):
        group = one(run, "aws:lb/targetGroup:TargetGroup", f"ticketing-{run.stack}-edge-app-tg")
        assert (group.inputs["port"], group.inputs["protocol"]) == (8000, "HTTPS")
        assert group.inputs["healthCheck"]["protocol"] == "HTTPS"


def test_each_region_answers_on_its_own_name_through_an_alias_to_its_alb(prod, dr):
    for run, stack, hostname in (
        (prod, "prod", "seoul.tickets.example.com"),
        (dr, "dr", "tokyo.tickets.example.com"),
    ):
        record = one(run, "aws:route53/record:Record", f"ticketing-{stack}-edge-regional")
        assert (record.inputs["name"], record.inputs["type"]) == (hostname, "A")
        (alias,) = record.inputs["aliases"]
        assert (
            alias["name"] == run.outputs["ingressHostname"]
            and alias["zoneId"] == run.outputs["albZoneId"]
        )


def test_dev_answers_on_its_public_name_and_prod_leaves_it_to_the_routing_owner(dev, prod, dr):
    (alias,) = one(dev, "aws:route53/record:Record", "ticketing-dev-edge-public").inputs["aliases"]
    assert alias["name"] == dev.outputs["ingressHostname"]
    assert (
        one(dev, "aws:route53/record:Record", "ticketing-dev-edge-public").inputs["name"]
        == "app.dev.tickets.example.com"
    )
    for run in (prod, dr):
        assert [
            r
            for r in run.of_type("aws:route53/record:Record")
            if r.inputs.get("name") == "tickets.example.com" and not r.inputs.get("setIdentifier")
        ] == []


def test_waf_logs_every_request_to_a_cmk_encrypted_group(dev, prod):
    for run, stack, retention_days in ((dev, "dev", 14), (prod, "prod", 365)):
        group = one(run, "aws:cloudwatch/logGroup:LogGroup", f"ticketing-{stack}-edge-waf-logs")
        assert group.inputs["name"].startswith("aws-waf-logs-"), "WAF delivers only to these"
        assert group.inputs["kmsKeyId"].endswith(f"key/ticketing-{stack}-edge-waf-logs-key")
        assert group.inputs["retentionInDays"] == retention_days, "accessLogRetentionDays"
        logging = one(
            run,
            "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
            f"ticketing-{stack}-edge-waf-logging",
        )
        assert logging.inputs["resourceArn"].endswith(f"ticketing-{stack}-edge-waf")
        assert logging.inputs["logDestinationConfigs"] == [
            f"arn:aws:cloudwatch:ap-northeast-2:123456789012:loggroup/{group.name}"
        ]
        assert [field["singleHeader"]["name"] for field in logging.inputs["redactedFields"]] == [
            "authorization",
            "cookie",
        ], "bearer tokens and session cookies are credentials"
