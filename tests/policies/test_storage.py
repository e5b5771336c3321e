import dataclasses
from pathlib import Path

import pytest
from pulumi.output import Unknown
from pulumi_policy import PolicyResource
from pulumi_policy.proxy import unknown_checking_proxy

from policies.gate.analyze import PackAnalyzer
from policies.program_runner import run_program
from policies.rules import storage
from policies.rules.values import UNKNOWN
from tests.policies.harness import (
    _options,
    resource_violations,
    run_stack_rule,
    stack_resource,
    stack_violations,
    urn_of,
)
from tests.policies.malformed import messages_for_malformed

BUCKET = "aws:s3/bucket:Bucket"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
LOGGING = "aws:s3/bucketLogging:BucketLogging"
TRAIL = "aws:cloudtrail/trail:Trail"
KEY_ARN = "arn:aws:kms:ap-northeast-2:123456789012:key/k"
SAMPLE_PROGRAM = Path(__file__).parent / "programs" / "s3_buckets"

ALL_BLOCKED = {
    "blockPublicAcls": True,
    "blockPublicPolicy": True,
    "ignorePublicAcls": True,
    "restrictPublicBuckets": True,
}
BLOCK_RULES = {rule.name: rule for rule in storage.PUBLIC_ACCESS_RULES}


def kms_encryption(bucket: str, key=KEY_ARN) -> dict:
    return {
        "bucket": bucket,
        "rules": [
            {
                "applyServerSideEncryptionByDefault": {
                    "sseAlgorithm": "aws:kms",
                    "kmsMasterKeyId": key,
                }
            }
        ],
    }


def names(found) -> list[str]:
    return sorted(name for name, _ in found)


# ------------------------------------------------------------- joining settings to buckets


def test_settings_join_by_bucket_name_and_by_offline_id():
    named = stack_resource(BUCKET, "media", {"bucket": "tickets-media"})
    auto = stack_resource(BUCKET, "assets", {})
    settings = [
        stack_resource(SSE, "media-sse", kms_encryption("tickets-media")),
        stack_resource(SSE, "assets-sse", kms_encryption("assets-id")),
    ]
    assert stack_violations(storage.ENCRYPTION, [named, auto, *settings]) == []
    assert names(stack_violations(storage.ENCRYPTION, [named, auto, settings[0]])) == ["assets"]


def test_settings_join_by_property_dependency_when_the_id_is_unknown_at_preview():
    bucket = stack_resource(BUCKET, "assets", {"bucket": "assets-5f3a9c1"})
    other = stack_resource(BUCKET, "other", {"bucket": "other-1b2c3d4"})
    sse = PolicyResource(
        SSE,
        kms_encryption(UNKNOWN),
        urn_of(SSE, "assets-sse"),
        "assets-sse",
        _options(),
        None,
        None,
        [bucket],
        {"bucket": [bucket]},
    )
    assert names(stack_violations(storage.ENCRYPTION, [bucket, other, sse])) == ["other"]


def test_unattributable_unknown_setting_is_not_a_violation():
    bucket = stack_resource(BUCKET, "assets", {})
    unknown_target = stack_resource(PAB, "somewhere", {**ALL_BLOCKED, "bucket": Unknown()})
    assert stack_violations(storage.SPECIFY_PUBLIC_ACCESS_BLOCK, [bucket, unknown_target]) == []
    assert names(stack_violations(storage.SPECIFY_PUBLIC_ACCESS_BLOCK, [bucket])) == ["assets"]


# ------------------------------------------------------------- encryption


def test_encryption_needs_a_customer_managed_key():
    bucket = stack_resource(BUCKET, "assets", {"bucket": "assets"})
    assert stack_violations(storage.ENCRYPTION, [bucket]) == [
        ("assets", "bucket 'assets' has no server-side encryption configuration")
    ]
    aes = stack_resource(
        SSE,
        "sse",
        {
            "bucket": "assets",
            "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}],
        },
    )
    [(_, message)] = stack_violations(storage.ENCRYPTION, [bucket, aes])
    assert "('AES256', None)" in message
    aws_managed = stack_resource(SSE, "sse", kms_encryption("assets", "alias/aws/s3"))
    assert names(stack_violations(storage.ENCRYPTION, [bucket, aws_managed])) == ["assets"]
    assert (
        stack_violations(
            storage.ENCRYPTION, [bucket, stack_resource(SSE, "sse", kms_encryption("assets"))]
        )
        == []
    )


LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"


def aes_encryption(bucket: str) -> dict:
    return {
        "bucket": bucket,
        "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}],
    }


def test_log_delivery_buckets_may_use_sse_s3_but_must_be_encrypted():
    alb_logs = stack_resource(BUCKET, "alb-logs", {"bucket": "alb-logs"})
    access_logs = stack_resource(BUCKET, "access-logs", {"bucket": "access-logs"})
    assets = stack_resource(BUCKET, "assets", {"bucket": "assets"})
    load_balancer = stack_resource(
        LOAD_BALANCER, "alb", {"accessLogs": {"bucket": "alb-logs", "enabled": True}}
    )
    logging = stack_resource(
        LOGGING, "assets-logging", {"bucket": "assets", "targetBucket": "access-logs"}
    )
    sse = [
        stack_resource(SSE, f"{name}-sse", aes_encryption(name))
        for name in ("alb-logs", "access-logs", "assets")
    ]
    resources = [alb_logs, access_logs, assets, load_balancer, logging]
    assert names(stack_violations(storage.ENCRYPTION, [*resources, *sse])) == ["assets"]
    assert names(stack_violations(storage.ENCRYPTION, resources)) == [
        "access-logs",
        "alb-logs",
        "assets",
    ]


def test_load_balancer_log_target_joins_by_property_dependency():
    alb_logs = stack_resource(BUCKET, "alb-logs", {"bucket": "alb-logs-5f3a9c1"})
    load_balancer = PolicyResource(
        LOAD_BALANCER,
        {"accessLogs": {"bucket": UNKNOWN}},
        urn_of(LOAD_BALANCER, "alb"),
        "alb",
        _options(),
        None,
        None,
        [alb_logs],
        {"accessLogs": [alb_logs]},
    )
    sse = stack_resource(SSE, "alb-logs-sse", aes_encryption("alb-logs-5f3a9c1"))
    assert stack_violations(storage.ENCRYPTION, [alb_logs, load_balancer, sse]) == []
    assert names(stack_violations(storage.ENCRYPTION, [alb_logs, sse])) == ["alb-logs"]


def test_legacy_inline_encryption_counts():
    inline = {
        "serverSideEncryptionConfiguration": {
            "rule": {
                "applyServerSideEncryptionByDefault": {
                    "sseAlgorithm": "aws:kms",
                    "kmsMasterKeyId": KEY_ARN,
                }
            }
        }
    }
    assert (
        stack_violations(
            storage.ENCRYPTION, [stack_resource("aws:s3/bucketV2:BucketV2", "legacy", inline)]
        )
        == []
    )


# ------------------------------------------------------------- public access


@pytest.mark.parametrize(
    "rule_name, flag",
    [
        ("aws-s3-block-public-acls", "blockPublicAcls"),
        ("aws-s3-block-public-policy", "blockPublicPolicy"),
        ("aws-s3-ignore-public-acls", "ignorePublicAcls"),
        ("aws-s3-no-public-buckets", "restrictPublicBuckets"),
    ],
)
def test_public_access_block_flags(rule_name, flag):
    rule = BLOCK_RULES[rule_name]
    bucket = stack_resource(BUCKET, "assets", {"bucket": "assets"})
    assert stack_violations(rule, [bucket]) == [
        ("assets", f"bucket 'assets' has no public access block, so {flag} is off")
    ]
    weak = stack_resource(PAB, "assets-pab", {**ALL_BLOCKED, flag: False, "bucket": "assets"})
    assert stack_violations(rule, [bucket, weak]) == [
        ("assets", f"public access block 'assets-pab' of bucket 'assets' has {flag}=False")
    ]
    assert (
        stack_violations(
            rule, [bucket, stack_resource(PAB, "assets-pab", {**ALL_BLOCKED, "bucket": "assets"})]
        )
        == []
    )
    account = stack_resource(
        "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock", "account", ALL_BLOCKED
    )
    assert stack_violations(rule, [bucket, account]) == []


def test_public_acls_are_caught_on_bucket_and_acl_resources():
    assert resource_violations(
        storage.PUBLIC_ACL, "aws:s3/bucketAcl:BucketAcl", {"acl": "public-read"}
    ) == ["acl is 'public-read'"]
    grant = {
        "accessControlPolicy": {
            "grants": [
                {
                    "permission": "READ",
                    "grantee": {
                        "type": "Group",
                        "uri": "http://acs.amazonaws.com/groups/global/AllUsers",
                    },
                }
            ]
        }
    }
    assert resource_violations(storage.PUBLIC_ACL, "aws:s3/bucketAclV2:BucketAclV2", grant) == [
        "grants 'READ' to 'http://acs.amazonaws.com/groups/global/AllUsers'"
    ]
    assert resource_violations(storage.PUBLIC_ACL, BUCKET, {"acl": "private"}) == []
    assert (
        resource_violations(
            storage.PUBLIC_ACL, "aws:s3/bucketAcl:BucketAcl", {"acl": "log-delivery-write"}
        )
        == []
    )


def test_public_bucket_policy_is_caught():
    public = {
        "policy": {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::a/*",
                }
            ]
        }
    }
    assert resource_violations(
        storage.PUBLIC_POLICY, "aws:s3/bucketPolicy:BucketPolicy", public
    ) == ["bucket policy statement 0 allows ['s3:GetObject'] to Principal '*' without a condition"]
    scoped = {
        "policy": (
            '{"Statement": [{"Effect": "Allow", "Principal": {"Service":'
            ' "cloudfront.amazonaws.com"}, "Action": "s3:GetObject", "Resource":'
            ' "arn:aws:s3:::a/*"}, {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",'
            ' "Resource": "*", "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}}}]}'
        )
    }
    assert (
        resource_violations(storage.PUBLIC_POLICY, "aws:s3/bucketPolicy:BucketPolicy", scoped) == []
    )


# ------------------------------------------------------------- versioning, logging, names


def test_versioning_and_mfa_delete():
    bucket = stack_resource(BUCKET, "assets", {"bucket": "assets"})
    suspended = stack_resource(
        VERSIONING, "v", {"bucket": "assets", "versioningConfiguration": {"status": "Suspended"}}
    )
    assert stack_violations(storage.VERSIONING, [bucket, suspended]) == [
        ("assets", "bucket 'assets' does not enable versioning (found ['Suspended'])")
    ]
    enabled = stack_resource(
        VERSIONING, "v", {"bucket": "assets", "versioningConfiguration": {"status": "Enabled"}}
    )
    assert stack_violations(storage.VERSIONING, [bucket, enabled]) == []
    assert names(stack_violations(storage.MFA_DELETE, [bucket, enabled])) == ["assets"]
    with_mfa = stack_resource(
        VERSIONING,
        "v",
        {
            "bucket": "assets",
            "versioningConfiguration": {"status": "Enabled", "mfaDelete": "Enabled"},
        },
    )
    assert stack_violations(storage.MFA_DELETE, [bucket, with_mfa]) == []
    assert (
        stack_violations(
            storage.VERSIONING,
            [stack_resource(BUCKET, "legacy", {"versioning": {"enabled": True}})],
        )
        == []
    )


def test_access_logging_exempts_log_targets():
    assets = stack_resource(BUCKET, "assets", {"bucket": "assets"})
    logs = stack_resource(BUCKET, "logs", {"bucket": "logs"})
    assert names(stack_violations(storage.ACCESS_LOGGING, [assets, logs])) == ["assets", "logs"]
    logging = stack_resource(
        LOGGING, "assets-logging", {"bucket": "assets", "targetBucket": "logs"}
    )
    assert stack_violations(storage.ACCESS_LOGGING, [assets, logs, logging]) == []


def test_object_level_logging_through_cloudtrail():
    bucket = stack_resource(BUCKET, "assets", {"bucket": "assets"})
    write_only = stack_resource(
        TRAIL,
        "trail",
        {
            "eventSelectors": [
                {
                    "readWriteType": "WriteOnly",
                    "dataResources": [
                        {"type": "AWS::S3::Object", "values": ["arn:aws:s3:::assets/"]}
                    ],
                }
            ]
        },
    )
    assert stack_violations(storage.OBJECT_WRITE_LOGGING, [bucket, write_only]) == []
    [(_, message)] = stack_violations(storage.OBJECT_READ_LOGGING, [bucket, write_only])
    assert (
        message
        == "no CloudTrail trail (trails: ['trail']) logs ReadOnly S3 object data events for bucket"
        " 'assets'"
    )
    every_bucket = stack_resource(
        TRAIL,
        "trail",
        {
            "advancedEventSelectors": [
                {
                    "fieldSelectors": [
                        {"field": "eventCategory", "equals": ["Data"]},
                        {"field": "resources.type", "equals": ["AWS::S3::Object"]},
                    ]
                }
            ]
        },
    )
    assert stack_violations(storage.OBJECT_READ_LOGGING, [bucket, every_bucket]) == []
    other_bucket = stack_resource(
        TRAIL,
        "trail",
        {
            "eventSelectors": [
                {"dataResources": [{"type": "AWS::S3::Object", "values": ["arn:aws:s3:::other/"]}]}
            ]
        },
    )
    assert names(stack_violations(storage.OBJECT_WRITE_LOGGING, [bucket, other_bucket])) == [
        "assets"
    ]


def test_bucket_names_must_be_dns_compliant():
    assert resource_violations(
        storage.DNS_COMPLIANT_NAME, BUCKET, {"bucket": "tickets.assets"}
    ) == [
        "bucket 'tickets.assets' is not DNS compliant (lowercase letters, digits and '-', no '.')"
    ]
    assert (
        resource_violations(storage.DNS_COMPLIANT_NAME, BUCKET, {"bucketPrefix": "Tickets_"}) != []
    )
    assert (
        resource_violations(storage.DNS_COMPLIANT_NAME, BUCKET, {"bucket": "tickets-assets"}) == []
    )
    assert (
        resource_violations(storage.DNS_COMPLIANT_NAME, BUCKET, {"bucketPrefix": "tickets-assets-"})
        == []
    )


def test_log_group_needs_a_kms_key():
    log_group = "aws:cloudwatch/logGroup:LogGroup"
    assert resource_violations(storage.LOG_GROUP_KEY, log_group, {"retentionInDays": 30}) == [
        "kmsKeyId is None"
    ]
    assert resource_violations(storage.LOG_GROUP_KEY, log_group, {"kmsKeyId": KEY_ARN}) == []
    assert resource_violations(storage.LOG_GROUP_KEY, log_group, {"kmsKeyId": Unknown()}) == []


def test_log_group_needs_a_retention():
    log_group = "aws:cloudwatch/logGroup:LogGroup"
    rule = storage.LOG_GROUP_RETENTION
    assert resource_violations(rule, log_group, {"kmsKeyId": KEY_ARN}) == [
        "retentionInDays is None: the logs are kept (and billed) forever"
    ]
    assert resource_violations(rule, log_group, {"retentionInDays": 0}) != []
    assert resource_violations(rule, log_group, {"retentionInDays": 30}) == []
    assert resource_violations(rule, log_group, {"retentionInDays": Unknown()}) == []


# ------------------------------------------------------------- a real program under mocks,
# through the analyzer

SAMPLE_FINDINGS = {
    ("aws-s3-dns-compliant-name", "uploads"),
    ("aws-s3-no-public-access-with-acl", "uploads-acl"),
    ("aws-s3-encryption-customer-key", "access-logs"),
    ("aws-s3-encryption-customer-key", "uploads"),
    ("aws-s3-block-public-acls", "uploads"),
    ("aws-s3-enable-versioning", "access-logs"),
    ("aws-s3-enable-versioning", "uploads"),
    ("aws-s3-require-mfa-delete", "access-logs"),
    ("aws-s3-require-mfa-delete", "uploads"),
    ("aws-s3-require-mfa-delete", "assets"),
    ("aws-s3-enable-logging", "uploads"),
    ("aws-s3-enable-object-write-logging", "access-logs"),
    ("aws-s3-enable-object-write-logging", "uploads"),
    ("aws-s3-enable-object-read-logging", "access-logs"),
    ("aws-s3-enable-object-read-logging", "uploads"),
    ("aws-s3-lifecycle-configuration", "access-logs"),
    ("aws-s3-lifecycle-configuration", "uploads"),
    ("aws-s3-lifecycle-configuration", "assets"),
}


def _findings(resources) -> set[tuple[str, str]]:
    analysis = PackAnalyzer(storage.POLICIES, {}).analyze(resources)
    assert analysis.undecided == []
    return {(violation.policy, violation.resource_name) for violation in analysis.violations}


@pytest.fixture(scope="module")
def sample_run():
    return run_program(SAMPLE_PROGRAM, "test")


def test_program_run_joins_each_bucket_to_its_own_settings(sample_run):
    assert _findings(sample_run.resources) == SAMPLE_FINDINGS


def test_program_run_joins_by_dependency_when_bucket_ids_are_unknown(sample_run):
    """At a real preview a new bucket's id is unknown: settings then join through their
    dependencies.
    """
    setting_types = {SSE, PAB, VERSIONING, LOGGING}
    previewed = [
        (
            dataclasses.replace(resource, inputs={**resource.inputs, "bucket": Unknown()})
            if resource.type in setting_types
            else resource
        )
        for resource in sample_run.resources
    ]
    assert _findings(previewed) == SAMPLE_FINDINGS


# ------------------------------------------------------------- malformed input


@pytest.mark.parametrize(
    "props",
    [
        None,
        {},
        {"acl": Unknown()},
        {"grants": "odd"},
        {"accessControlPolicy": {"grants": [None, {"grantee": UNKNOWN}]}},
        {"policy": UNKNOWN},
        {"policy": "{bad"},
        {"policy": {"Statement": [{"Effect": "Allow", "Principal": Unknown()}]}},
        {"bucket": 7, "bucketPrefix": UNKNOWN},
        {"kmsKeyId": UNKNOWN},
    ],
)
def test_malformed_resource_inputs_never_raise(props):
    messages_for_malformed(storage.POLICIES, props)


def test_malformed_stack_resources_never_raise():
    odd = [
        stack_resource(
            BUCKET,
            "b",
            {
                "bucket": Unknown(),
                "versioning": "yes",
                "logging": [1],
                "serverSideEncryptionConfiguration": UNKNOWN,
            },
        ),
        stack_resource(SSE, "s", {"bucket": None, "rules": "odd"}),
        stack_resource(PAB, "p", {"bucket": 3}),
        stack_resource(VERSIONING, "v", {"bucket": "b-id", "versioningConfiguration": UNKNOWN}),
        stack_resource(LOGGING, "l", {"targetBucket": Unknown()}),
        stack_resource(
            TRAIL,
            "t",
            {"eventSelectors": [None, {"dataResources": UNKNOWN}], "advancedEventSelectors": "x"},
        ),
    ]
    for rule in storage.POLICIES:
        if not hasattr(rule, "enforcement_level") or rule in (
            storage.PUBLIC_ACL,
            storage.PUBLIC_POLICY,
            storage.DNS_COMPLIANT_NAME,
            storage.LOG_GROUP_KEY,
            storage.LOG_GROUP_RETENTION,
            storage.ABORT_INCOMPLETE_UPLOADS,
            storage.ACLS_DISABLED,
            storage.NO_LOCKOUT,
        ):
            continue
        assert all(isinstance(message, str) for _, message in run_stack_rule(rule, odd))
    assert run_stack_rule(storage.VERSIONING, odd) == []


def test_unknown_settings_are_not_violations_even_through_cli_proxies():
    bucket = stack_resource(
        BUCKET,
        "b",
        unknown_checking_proxy({"bucket": UNKNOWN, "serverSideEncryptionConfiguration": UNKNOWN}),
    )
    assert stack_violations(storage.ENCRYPTION, [bucket]) == []
    named = stack_resource(BUCKET, "n", {"bucket": "n"})
    rules_unknown = stack_resource(
        SSE, "n-sse", unknown_checking_proxy({"bucket": "n", "rules": UNKNOWN})
    )
    assert stack_violations(storage.ENCRYPTION, [named, rules_unknown]) == []
    for selectors in (
        {"eventSelectors": UNKNOWN},
        {"eventSelectors": [{"dataResources": UNKNOWN}]},
        {"advancedEventSelectors": [{"fieldSelectors": UNKNOWN}]},
    ):
        trail = stack_resource(TRAIL, "t", unknown_checking_proxy(selectors))
        assert stack_violations(storage.OBJECT_WRITE_LOGGING, [named, trail]) == [], selectors


def test_deprecated_bucket_v2_inline_lists_count():
    legacy = stack_resource(
        "aws:s3/bucketV2:BucketV2",
        "legacy",
        {
            "serverSideEncryptionConfigurations": [
                {
                    "rules": [
                        {
                            "applyServerSideEncryptionByDefault": {
                                "sseAlgorithm": "aws:kms",
                                "kmsMasterKeyId": KEY_ARN,
                            }
                        }
                    ]
                }
            ],
            "versionings": [{"enabled": True, "mfaDelete": True}],
            "loggings": [{"targetBucket": "logs"}],
        },
    )
    for rule in (
        storage.ENCRYPTION,
        storage.VERSIONING,
        storage.MFA_DELETE,
        storage.ACCESS_LOGGING,
    ):
        assert stack_violations(rule, [legacy]) == [], rule.name
    aes = stack_resource(
        "aws:s3/bucketV2:BucketV2",
        "aes",
        {
            "serverSideEncryptionConfigurations": [
                {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]}
            ],
            "versionings": [{"enabled": False}],
        },
    )
    assert names(stack_violations(storage.ENCRYPTION, [aes])) == ["aes"]
    assert stack_violations(storage.VERSIONING, [aes]) == [
        ("aes", "bucket resource 'aes' does not enable versioning (found [False])")
    ]


# ------------------------------------------------------------- lifecycle, ownership, lockout

LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
EXPIRE_AND_ABORT = {
    "status": "Enabled",
    "expiration": {"days": 30},
    "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7},
}


def test_every_bucket_has_a_lifecycle_configuration():
    logs = stack_resource(BUCKET, "logs", {"bucket": "logs"})
    assets = stack_resource(BUCKET, "assets", {"bucket": "assets"})
    lifecycle = stack_resource(LIFECYCLE, "l", {"bucket": "logs", "rules": [EXPIRE_AND_ABORT]})
    assert stack_violations(storage.LIFECYCLE, [logs, assets, lifecycle]) == [
        ("assets", "bucket 'assets' has no lifecycle configuration: its objects are kept forever")
    ]
    assert stack_violations(storage.LIFECYCLE, [logs, lifecycle]) == []


def test_lifecycle_aborts_incomplete_uploads():
    rule = storage.ABORT_INCOMPLETE_UPLOADS
    expire_only = {"status": "Enabled", "expiration": {"days": 30}}
    assert resource_violations(rule, LIFECYCLE, {"rules": [expire_only]}) == [
        "no enabled rule sets abortIncompleteMultipartUpload.daysAfterInitiation: parts of failed"
        " uploads are kept (and billed) forever"
    ]
    disabled = {**EXPIRE_AND_ABORT, "status": "Disabled"}
    assert resource_violations(rule, LIFECYCLE, {"rules": [disabled]}) != []
    assert resource_violations(rule, LIFECYCLE, {"rules": [EXPIRE_AND_ABORT]}) == []


def test_ownership_controls_disable_acls():
    rule = storage.ACLS_DISABLED
    controls = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
    assert resource_violations(rule, controls, {"rule": {"objectOwnership": "ObjectWriter"}}) == [
        "rule.objectOwnership is 'ObjectWriter': ACLs still decide who owns and reads objects"
    ]
    assert (
        resource_violations(rule, controls, {"rule": {"objectOwnership": "BucketOwnerEnforced"}})
        == []
    )


def test_bucket_policy_does_not_lock_everyone_out():
    rule = storage.NO_LOCKOUT
    deny_all = '{"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*"}]}'
    assert resource_violations(rule, "aws:s3/bucketPolicy:BucketPolicy", {"policy": deny_all}) == [
        "bucket policy statement 0 denies every action to everyone without a condition: only the"
        " root user could undo it"
    ]
    insecure_transport_only = (
        '{"Statement": [{"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*",'
        ' "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}'
    )
    assert (
        resource_violations(
            rule, "aws:s3/bucketPolicy:BucketPolicy", {"policy": insecure_transport_only}
        )
        == []
    )
