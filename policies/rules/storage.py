"""S3 buckets and CloudWatch log groups.

pulumi-aws 7 keeps most bucket settings in separate resources (encryption, public access
block, versioning, logging, ACL), so the bucket rules are stack rules: each bucket is joined
with the settings whose `bucket` input points at it (see `values.attached`), and the
bucket's own legacy inline settings count too. Findings are reported on the bucket.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import EnforcementLevel, Policy, Severity, StackValidationArgs

from policies.rule import resource_rule, stack_rule
from policies.rules.values import (
    UNKNOWN,
    as_list,
    as_mapping,
    attached,
    iam_document,
    identities,
    is_public_principal,
    is_true,
    is_unknown,
    lookup,
    public_grants,
    statements,
    strings,
    with_plain_props,
)

ADVISORY = EnforcementLevel.ADVISORY
MANDATORY = EnforcementLevel.MANDATORY

BUCKET_TYPES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
ENCRYPTION_TYPES = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
PUBLIC_ACCESS_BLOCK_TYPES = ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",)
ACCOUNT_PUBLIC_ACCESS_BLOCK = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
VERSIONING_TYPES = (
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketVersioningV2:BucketVersioningV2",
)
LOGGING_TYPES = ("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2")
LIFECYCLE_TYPES = (
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
)
OWNERSHIP_CONTROLS = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
ACL_TYPES = ("aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2")
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
TRAIL = "aws:cloudtrail/trail:Trail"
LOAD_BALANCER_TYPES = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
LOG_DELIVERY_ALGORITHM = "AES256"
"""S3 server access logs and ALB access logs are delivered only to buckets encrypted with SSE-S3."""
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"

KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")
PUBLIC_CANNED_ACLS = ("public-read", "public-read-write", "authenticated-read")
PUBLIC_GRANTEE_GROUPS = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)
S3_OBJECT_DATA = "AWS::S3::Object"
DNS_COMPLIANT_NAME_PATTERNS = {
    "bucket": re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$"),
    "bucketPrefix": re.compile(
        r"^[a-z0-9][a-z0-9-]{0,36}$"
    ),  # the provider appends a 26-character suffix
}

Setting = tuple[str, dict[str, Any]]
"""A setting resource as a bucket rule sees it: (resource name, plain props)."""


@dataclass
class BucketView:
    """One bucket with every setting the stack attaches to it."""

    resource: Any
    props: dict[str, Any]
    settings: dict[str, list[Setting]] = field(default_factory=dict)
    undecided: set[str] = field(default_factory=set)
    """Setting kinds with a resource whose `bucket` is unknown and unattributable: maybe this
    bucket's.
    """
    is_log_target: bool = False
    account_blocks: list[Setting] = field(default_factory=list)
    trails: list[Setting] = field(default_factory=list)

    @property
    def label(self) -> str:
        name = self.props.get("bucket")
        return (
            f"bucket {name!r}"
            if isinstance(name, str) and not is_unknown(name)
            else f"bucket resource {self.resource.name!r}"
        )


def _of_types(args: StackValidationArgs, types: Iterable[str]) -> list[Any]:
    types = tuple(types)
    return [resource for resource in args.resources if resource.resource_type in types]


def _bucket_identities(bucket: Any) -> set[str]:
    return identities(bucket, "bucket")


def bucket_views(args: StackValidationArgs) -> list[BucketView]:
    buckets = _of_types(args, BUCKET_TYPES)
    views = {bucket.urn: BucketView(bucket, as_mapping(bucket.props)) for bucket in buckets}
    for kind, types in (
        ("encryption", ENCRYPTION_TYPES),
        ("public_access_block", PUBLIC_ACCESS_BLOCK_TYPES),
        ("versioning", VERSIONING_TYPES),
        ("logging", LOGGING_TYPES),
        ("lifecycle", LIFECYCLE_TYPES),
    ):
        by_bucket, undecided = attached(
            buckets, _of_types(args, types), "bucket", _bucket_identities
        )
        for urn, settings in by_bucket.items():
            views[urn].settings[kind] = [
                (setting.name, as_mapping(setting.props)) for setting in settings
            ]
            if undecided:
                views[urn].undecided.add(kind)
    targets, _ = attached(
        buckets, _of_types(args, LOGGING_TYPES), "targetBucket", _bucket_identities
    )
    load_balancer_log_targets = _load_balancer_log_targets(
        buckets, _of_types(args, LOAD_BALANCER_TYPES)
    )
    account_blocks = [
        (block.name, as_mapping(block.props))
        for block in _of_types(args, [ACCOUNT_PUBLIC_ACCESS_BLOCK])
    ]
    trails = [(trail.name, as_mapping(trail.props)) for trail in _of_types(args, [TRAIL])]
    for view in views.values():
        view.is_log_target = (
            bool(targets[view.resource.urn]) or view.resource.urn in load_balancer_log_targets
        )
        view.account_blocks = account_blocks
        view.trails = trails
    return list(views.values())


def _load_balancer_log_targets(buckets: list[Any], load_balancers: list[Any]) -> set[str]:
    """URNs of the buckets that receive some load balancer's access logs (`access_logs.bucket`)."""
    targets: set[str] = set()
    for load_balancer in load_balancers:
        bucket_name = lookup(load_balancer.props, "accessLogs", "bucket")
        dependencies = {
            getattr(dependency, "urn", None)
            for dependency in (load_balancer.property_dependencies or {}).get("accessLogs", [])
        }
        for bucket in buckets:
            if bucket.urn in dependencies or (
                isinstance(bucket_name, str) and bucket_name in _bucket_identities(bucket)
            ):
                targets.add(bucket.urn)
    return targets


def _bucket_rule(
    *,
    name: str,
    description: str,
    severity: Severity,
    enforcement: EnforcementLevel,
    remediation: str,
    finding: Callable[[BucketView], Iterable[str]],
    trivy_ids: Iterable[str] = (),
    checkov_ids: Iterable[str] = (),
    setting_types: Iterable[str] = (),
) -> Any:
    def check(args: StackValidationArgs) -> Iterator[tuple[Any, str]]:
        for view in bucket_views(args):
            for message in finding(view):
                yield view.resource, message

    return stack_rule(
        name=name,
        description=description,
        severity=severity,
        enforcement=enforcement,
        remediation=remediation,
        trivy_ids=trivy_ids,
        checkov_ids=checkov_ids,
        check=check,
        resource_types=(*BUCKET_TYPES, *setting_types),
    )


def _inline_settings(view: BucketView, singular: str, plural: str) -> list[Any]:
    """A bucket's own legacy setting blocks: `aws.s3.Bucket` has one (`versioning`), the deprecated
    `BucketV2` a list (`versionings`); an unknown block stays `UNKNOWN`."""
    blocks: list[Any] = []
    for field_name in (singular, plural):
        value = view.props.get(field_name)
        blocks.extend([UNKNOWN] if is_unknown(value) else as_list(value))
    return blocks


# ---------------------------------------------------------------- encryption


def _encryption_defaults(view: BucketView) -> list[Any]:
    """Every `apply_server_side_encryption_by_default` block: separate resources' `rules`, and the
    legacy
    inline configuration; `UNKNOWN` stands for a block (or a list of rules) that only the deploy
    knows.
    """
    blocks: list[Any] = []
    for _, props in view.settings.get("encryption", []):
        rules = props.get("rules")
        blocks.extend(
            [rules]
            if is_unknown(rules)
            else [lookup(rule, "applyServerSideEncryptionByDefault") for rule in as_list(rules)]
        )
    for configuration in _inline_settings(
        view, "serverSideEncryptionConfiguration", "serverSideEncryptionConfigurations"
    ):
        rules = (
            [UNKNOWN]
            if is_unknown(configuration)
            else as_list(lookup(configuration, "rule")) + as_list(lookup(configuration, "rules"))
        )
        blocks.extend(lookup(rule, "applyServerSideEncryptionByDefault") for rule in rules)
    return blocks


def _uses_customer_key(block: Any) -> bool:
    if is_unknown(block):
        return True
    algorithm, key = lookup(block, "sseAlgorithm"), lookup(block, "kmsMasterKeyId")
    if is_unknown(algorithm) or is_unknown(key):
        return True
    return (
        algorithm in KMS_ALGORITHMS
        and isinstance(key, str)
        and bool(key)
        and not key.endswith("alias/aws/s3")
    )


def _is_log_delivery_encryption(block: Any) -> bool:
    return bool(lookup(block, "sseAlgorithm") == LOG_DELIVERY_ALGORITHM)


def _encryption_finding(view: BucketView) -> Iterator[str]:
    blocks = _encryption_defaults(view)
    if any(_uses_customer_key(block) for block in blocks) or "encryption" in view.undecided:
        return
    if view.is_log_target and any(_is_log_delivery_encryption(block) for block in blocks):
        return
    if not blocks:
        yield f"{view.label} has no server-side encryption configuration"
        return
    used = [(lookup(block, "sseAlgorithm"), lookup(block, "kmsMasterKeyId")) for block in blocks]
    yield (
        f"{view.label} is encrypted without a customer managed KMS key (sseAlgorithm,"
        f" kmsMasterKeyId): {used}"
    )


ENCRYPTION = _bucket_rule(
    name="aws-s3-encryption-customer-key",
    description="S3 buckets are encrypted at rest with a customer managed KMS key.",
    severity=Severity.HIGH,
    enforcement=MANDATORY,
    remediation=(
        "add aws.s3.BucketServerSideEncryptionConfiguration(bucket=...,"
        ' rules=[{apply_server_side_encryption_by_default: {sse_algorithm: "aws:kms",'
        " kms_master_key_id: <aws.kms.Key arn>}}]); a bucket that receives S3 server access logs or"
        ' ALB access logs takes sse_algorithm="AES256", the only encryption those log deliveries'
        " support"
    ),
    trivy_ids=["AVD-AWS-0088", "AVD-AWS-0132"],
    checkov_ids=["CKV_AWS_19", "CKV_AWS_145"],
    finding=_encryption_finding,
    setting_types=ENCRYPTION_TYPES,
)

# ---------------------------------------------------------------- public access block


def _public_access_block_finding(flag: str) -> Callable[[BucketView], Iterator[str]]:
    def finding(view: BucketView) -> Iterator[str]:
        blocks = view.settings.get("public_access_block", [])
        values = [props.get(flag) for _, props in [*blocks, *view.account_blocks]]
        if "public_access_block" in view.undecided or any(
            is_true(value) or is_unknown(value) for value in values
        ):
            return
        if not blocks:
            yield f"{view.label} has no public access block, so {flag} is off"
        for block_name, props in blocks:
            yield (
                f"public access block {block_name!r} of {view.label} has {flag}={props.get(flag)!r}"
            )

    return finding


def _public_access_rule(
    name: str, flag: str, argument: str, trivy_id: str, checkov_id: str, description: str
) -> Any:
    return _bucket_rule(
        name=name,
        description=description,
        severity=Severity.HIGH,
        enforcement=MANDATORY,
        remediation=(
            f"add aws.s3.BucketPublicAccessBlock(bucket=..., {argument}=True) for the bucket"
        ),
        trivy_ids=[trivy_id],
        checkov_ids=[checkov_id],
        finding=_public_access_block_finding(flag),
        setting_types=PUBLIC_ACCESS_BLOCK_TYPES,
    )


PUBLIC_ACCESS_RULES = [
    _public_access_rule(
        "aws-s3-block-public-acls",
        "blockPublicAcls",
        "block_public_acls",
        "AVD-AWS-0086",
        "CKV_AWS_53",
        "S3 rejects new public ACLs on the bucket.",
    ),
    _public_access_rule(
        "aws-s3-block-public-policy",
        "blockPublicPolicy",
        "block_public_policy",
        "AVD-AWS-0087",
        "CKV_AWS_54",
        "S3 rejects public bucket policies on the bucket.",
    ),
    _public_access_rule(
        "aws-s3-ignore-public-acls",
        "ignorePublicAcls",
        "ignore_public_acls",
        "AVD-AWS-0091",
        "CKV_AWS_55",
        "S3 ignores any public ACL on the bucket.",
    ),
    _public_access_rule(
        "aws-s3-no-public-buckets",
        "restrictPublicBuckets",
        "restrict_public_buckets",
        "AVD-AWS-0093",
        "CKV_AWS_56",
        "S3 restricts access to the bucket if its policy is public.",
    ),
]


def _missing_public_access_block(view: BucketView) -> Iterator[str]:
    if (
        not view.settings.get("public_access_block")
        and not view.account_blocks
        and "public_access_block" not in view.undecided
    ):
        yield f"{view.label} has no aws.s3.BucketPublicAccessBlock"


SPECIFY_PUBLIC_ACCESS_BLOCK = _bucket_rule(
    name="aws-s3-specify-public-access-block",
    description="Every S3 bucket has a public access block (or the account has one).",
    severity=Severity.LOW,
    enforcement=ADVISORY,
    remediation=(
        "add aws.s3.BucketPublicAccessBlock(bucket=..., block_public_acls=True,"
        " block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True)"
    ),
    trivy_ids=["AVD-AWS-0094"],
    checkov_ids=["CKV2_AWS_6"],
    finding=_missing_public_access_block,
    setting_types=PUBLIC_ACCESS_BLOCK_TYPES,
)

# ---------------------------------------------------------------- versioning and logging


def _versioning_values(view: BucketView, separate_field: str, inline_field: str) -> list[Any]:
    """The field from each versioning resource's `versioningConfiguration`, plus the legacy inline
    blocks.
    """
    values = [
        lookup(props, "versioningConfiguration", separate_field)
        for _, props in view.settings.get("versioning", [])
    ]
    return values + [
        lookup(block, inline_field) for block in _inline_settings(view, "versioning", "versionings")
    ]


def _is_enabled(value: Any) -> bool:
    return value == "Enabled" or is_true(value) or is_unknown(value)


def _versioning_finding(
    separate_field: str, inline_field: str, what: str
) -> Callable[[BucketView], Iterator[str]]:
    def finding(view: BucketView) -> Iterator[str]:
        values = _versioning_values(view, separate_field, inline_field)
        if "versioning" in view.undecided or any(_is_enabled(value) for value in values):
            return
        yield (
            f"{view.label} does not enable {what} (found {values or 'no versioning configuration'})"
        )

    return finding


VERSIONING = _bucket_rule(
    name="aws-s3-enable-versioning",
    description=(
        "S3 buckets keep object versions, so overwritten or deleted objects can be restored."
    ),
    severity=Severity.MEDIUM,
    enforcement=ADVISORY,
    remediation=(
        'add aws.s3.BucketVersioning(bucket=..., versioning_configuration={"status": "Enabled"})'
    ),
    trivy_ids=["AVD-AWS-0090"],
    checkov_ids=["CKV_AWS_21"],
    finding=_versioning_finding("status", "enabled", "versioning"),
    setting_types=VERSIONING_TYPES,
)

MFA_DELETE = _bucket_rule(
    name="aws-s3-require-mfa-delete",
    description="Deleting object versions or suspending versioning requires MFA.",
    severity=Severity.LOW,
    enforcement=ADVISORY,
    remediation=(
        'set `versioning_configuration={"status": "Enabled", "mfa_delete": "Enabled"}` and `mfa` on'
        " aws.s3.BucketVersioning"
    ),
    trivy_ids=["AVD-AWS-0170"],
    finding=_versioning_finding("mfaDelete", "mfaDelete", "MFA delete"),
    setting_types=VERSIONING_TYPES,
)


def _logging_finding(view: BucketView) -> Iterator[str]:
    has_inline = any(
        lookup(block, "targetBucket") is not None
        for block in _inline_settings(view, "logging", "loggings")
    )
    if (
        view.settings.get("logging")
        or has_inline
        or view.is_log_target
        or "logging" in view.undecided
    ):
        return
    yield f"{view.label} has no server access logging"


ACCESS_LOGGING = _bucket_rule(
    name="aws-s3-enable-logging",
    description="S3 buckets write server access logs (log target buckets themselves are exempt).",
    severity=Severity.LOW,
    enforcement=ADVISORY,
    remediation=(
        "add aws.s3.BucketLogging(bucket=..., target_bucket=<log bucket>,"
        ' target_prefix="<bucket>/")'
    ),
    trivy_ids=["AVD-AWS-0089"],
    checkov_ids=["CKV_AWS_18"],
    finding=_logging_finding,
    setting_types=LOGGING_TYPES,
)

# ---------------------------------------------------------------- object-level (CloudTrail data
# event) logging


def _bucket_arn_prefixes(view: BucketView) -> set[str]:
    """ARN prefixes a data-event selector may use for this bucket; `arn:aws:s3` alone means every
    bucket.
    """
    prefixes = {"arn:aws:s3", "arn:aws:s3:::"}
    for identity in _bucket_identities(view.resource):
        prefixes.add(identity if identity.startswith("arn:") else f"arn:aws:s3:::{identity}")
    return prefixes


def _covers_bucket(values: Any, view: BucketView) -> bool:
    if is_unknown(values):
        return True
    prefixes = _bucket_arn_prefixes(view)
    return any(
        is_unknown(value) or (isinstance(value, str) and value.rstrip("/") in prefixes)
        for value in as_list(values)
    )


def _selector_logs(trail: Mapping[str, Any], view: BucketView, read_write: str) -> bool:
    """Whether a trail logs `read_write` ("ReadOnly"/"WriteOnly") S3 object events for the bucket;
    unknown selectors may.
    """
    selectors, advanced = trail.get("eventSelectors"), trail.get("advancedEventSelectors")
    if is_unknown(selectors) or is_unknown(advanced):
        return True
    for selector in as_list(selectors):
        kind = lookup(selector, "readWriteType") or "All"
        if kind not in ("All", read_write) and not is_unknown(kind):
            continue
        resources = lookup(selector, "dataResources")
        if is_unknown(resources):
            return True
        for resource in as_list(resources):
            if lookup(resource, "type") in (S3_OBJECT_DATA, UNKNOWN) and _covers_bucket(
                lookup(resource, "values"), view
            ):
                return True
    return any(
        _advanced_selector_logs(selector, view, read_write) for selector in as_list(advanced)
    )


def _advanced_selector_logs(selector: Any, view: BucketView, read_write: str) -> bool:
    field_selectors = lookup(selector, "fieldSelectors")
    if is_unknown(field_selectors):
        return True
    fields = {lookup(item, "field"): as_mapping(item) for item in as_list(field_selectors)}
    if S3_OBJECT_DATA not in strings(lookup(fields.get("resources.type"), "equals")):
        return False
    read_only = strings(lookup(fields.get("readOnly"), "equals"))
    if read_only and ("true" if read_write == "ReadOnly" else "false") not in read_only:
        return False
    arns = fields.get("resources.ARN")
    return arns is None or _covers_bucket(
        as_list(arns.get("startsWiths")) + as_list(arns.get("equals")), view
    )


def _object_logging_finding(read_write: str) -> Callable[[BucketView], Iterator[str]]:
    def finding(view: BucketView) -> Iterator[str]:
        if not any(_selector_logs(props, view, read_write) for _, props in view.trails):
            trails = [name for name, _ in view.trails]
            yield (
                f"no CloudTrail trail (trails: {trails}) logs {read_write} S3 object data events"
                f" for {view.label}"
            )

    return finding


def _object_logging_rule(name: str, read_write: str, trivy_id: str, description: str) -> Any:
    return _bucket_rule(
        name=name,
        description=description,
        severity=Severity.LOW,
        enforcement=ADVISORY,
        remediation=(
            'add an aws.cloudtrail.Trail with `event_selectors=[{read_write_type: "All",'
            ' data_resources: [{type: "AWS::S3::Object", values: ["arn:aws:s3:::<bucket>/"]}]}]`'
        ),
        trivy_ids=[trivy_id],
        finding=_object_logging_finding(read_write),
        setting_types=(TRAIL,),
    )


OBJECT_WRITE_LOGGING = _object_logging_rule(
    "aws-s3-enable-object-write-logging",
    "WriteOnly",
    "AVD-AWS-0171",
    "CloudTrail records object-level writes to every S3 bucket.",
)
OBJECT_READ_LOGGING = _object_logging_rule(
    "aws-s3-enable-object-read-logging",
    "ReadOnly",
    "AVD-AWS-0172",
    "CloudTrail records object-level reads of every S3 bucket.",
)

# ---------------------------------------------------------------- resource rules: ACLs, policies,
# names


def _public_acl(props: Mapping[str, Any], _args: Any) -> Iterator[str]:
    acl = props.get("acl")
    if acl in PUBLIC_CANNED_ACLS:
        yield f"acl is {acl!r}"
    grants = as_list(props.get("grants")) + as_list(lookup(props, "accessControlPolicy", "grants"))
    for grant in grants:
        uri = lookup(grant, "uri") or lookup(grant, "grantee", "uri")
        if uri in PUBLIC_GRANTEE_GROUPS:
            permission = lookup(grant, "permission") or lookup(grant, "permissions")
            yield f"grants {permission!r} to {uri!r}"


def _public_policy(props: Mapping[str, Any], _args: Any) -> Iterator[str]:
    for index, statement in enumerate(public_grants(iam_document(props.get("policy")))):
        yield (
            f"bucket policy statement {statement.get('Sid') or index!r} allows"
            f" {strings(statement.get('Action'))} to Principal '*' without a condition"
        )


def _non_dns_name(props: Mapping[str, Any], _args: Any) -> Iterator[str]:
    for field_name, pattern in DNS_COMPLIANT_NAME_PATTERNS.items():
        name = props.get(field_name)
        if isinstance(name, str) and not is_unknown(name) and not pattern.match(name):
            yield (
                f"{field_name} {name!r} is not DNS compliant (lowercase letters, digits and '-', no"
                " '.')"
            )


PUBLIC_ACL = resource_rule(
    name="aws-s3-no-public-access-with-acl",
    description="No bucket ACL grants access to everyone or to every AWS account.",
    severity=Severity.HIGH,
    enforcement=MANDATORY,
    resource_types=(*BUCKET_TYPES, *ACL_TYPES),
    remediation=(
        'set `acl="private"` (or drop `acl`/`grants`) on aws.s3.BucketAcl/aws.s3.Bucket, and remove'
        " AllUsers/AuthenticatedUsers grantees from `access_control_policy`"
    ),
    trivy_ids=["AVD-AWS-0092"],
    checkov_ids=["CKV_AWS_20", "CKV_AWS_57"],
    check=with_plain_props(_public_acl),
)

PUBLIC_POLICY = resource_rule(
    name="aws-s3-no-public-bucket-policy",
    description=(
        "No bucket policy allows anyone (Principal '*') without a condition that narrows who."
    ),
    severity=Severity.HIGH,
    enforcement=MANDATORY,
    resource_types=(BUCKET_POLICY, *BUCKET_TYPES),
    remediation=(
        "in the `policy` of aws.s3.BucketPolicy, name the principals (e.g. the CloudFront service"
        " with an `aws:SourceArn` condition) instead of `*`"
    ),
    checkov_ids=["CKV_AWS_70"],
    check=with_plain_props(_public_policy),
)

DNS_COMPLIANT_NAME = resource_rule(
    name="aws-s3-dns-compliant-name",
    description="Bucket names are DNS compliant (no dots), so TLS and transfer acceleration work.",
    severity=Severity.MEDIUM,
    enforcement=ADVISORY,
    resource_types=BUCKET_TYPES,
    remediation=(
        "set `bucket` (or `bucket_prefix`) on aws.s3.Bucket to lowercase letters, digits and '-'"
        " only"
    ),
    trivy_ids=["AVD-AWS-0320"],
    check=with_plain_props(_non_dns_name),
)


def _log_group_without_key(props: Mapping[str, Any], _args: Any) -> Iterator[str]:
    key = props.get("kmsKeyId")
    if not is_unknown(key) and not key:
        yield f"kmsKeyId is {key!r}"


LOG_GROUP_KEY = resource_rule(
    name="aws-cloudwatch-log-group-customer-key",
    description="CloudWatch log groups are encrypted with a customer managed KMS key.",
    severity=Severity.LOW,
    enforcement=ADVISORY,
    resource_types=(LOG_GROUP,),
    remediation=(
        "set `kms_key_id` on aws.cloudwatch.LogGroup to an aws.kms.Key ARN whose policy allows the"
        " logs service"
    ),
    trivy_ids=["AVD-AWS-0017"],
    checkov_ids=["CKV_AWS_158"],
    check=with_plain_props(_log_group_without_key),
)


def _log_group_without_retention(props: Mapping[str, Any], _args: Any) -> Iterator[str]:
    days = props.get("retentionInDays")
    if not is_unknown(days) and not days:
        yield f"retentionInDays is {days!r}: the logs are kept (and billed) forever"


LOG_GROUP_RETENTION = resource_rule(
    name="aws-cloudwatch-log-group-retention",
    description="CloudWatch log groups expire their logs after a set number of days.",
    severity=Severity.LOW,
    enforcement=ADVISORY,
    resource_types=(LOG_GROUP,),
    remediation="set `retention_in_days` (e.g. 30, or what the audit policy asks) on"
    " aws.cloudwatch.LogGroup",
    checkov_ids=["CKV_AWS_66"],
    check=with_plain_props(_log_group_without_retention),
)


def _lifecycle_finding(view: BucketView) -> Iterator[str]:
    inline = _inline_settings(view, "lifecycleRules", "lifecycleRule")
    if view.settings.get("lifecycle") or inline or "lifecycle" in view.undecided:
        return
    yield f"{view.label} has no lifecycle configuration: its objects are kept forever"


LIFECYCLE = _bucket_rule(
    name="aws-s3-lifecycle-configuration",
    description="Every bucket has a lifecycle configuration.",
    severity=Severity.LOW,
    enforcement=ADVISORY,
    remediation=(
        "add an aws.s3.BucketLifecycleConfiguration with `bucket=bucket.id` and rules that expire"
        " objects (and noncurrent versions) after the retention the data needs"
    ),
    checkov_ids=["CKV2_AWS_61"],
    finding=_lifecycle_finding,
    setting_types=LIFECYCLE_TYPES,
)


def _no_abort_of_incomplete_uploads(props: Mapping[str, Any], _args: Any) -> Iterator[str]:
    rules = props.get("rules")
    if is_unknown(rules):
        return
    if not any(
        str(lookup(rule, "status")).lower() == "enabled"
        and lookup(rule, "abortIncompleteMultipartUpload", "daysAfterInitiation") is not None
        for rule in as_list(rules)
    ):
        yield (
            "no enabled rule sets abortIncompleteMultipartUpload.daysAfterInitiation: parts of"
            " failed uploads are kept (and billed) forever"
        )


ABORT_INCOMPLETE_UPLOADS = resource_rule(
    name="aws-s3-abort-incomplete-uploads",
    description="Bucket lifecycle configurations abort incomplete multipart uploads.",
    severity=Severity.LOW,
    enforcement=ADVISORY,
    resource_types=LIFECYCLE_TYPES,
    remediation=(
        "add `abort_incomplete_multipart_upload={'days_after_initiation': 7}` to an enabled rule"
        " of aws.s3.BucketLifecycleConfiguration"
    ),
    checkov_ids=["CKV_AWS_300"],
    check=with_plain_props(_no_abort_of_incomplete_uploads),
)


def _acls_enabled(props: Mapping[str, Any], _args: Any) -> Iterator[str]:
    ownership = lookup(props, "rule", "objectOwnership")
    if not is_unknown(ownership) and ownership != "BucketOwnerEnforced":
        yield f"rule.objectOwnership is {ownership!r}: ACLs still decide who owns and reads objects"


ACLS_DISABLED = resource_rule(
    name="aws-s3-disable-acls",
    description="Bucket ownership controls disable ACLs (BucketOwnerEnforced).",
    severity=Severity.MEDIUM,
    enforcement=ADVISORY,
    resource_types=(OWNERSHIP_CONTROLS,),
    remediation=(
        "set `rule={'object_ownership': 'BucketOwnerEnforced'}` on aws.s3.BucketOwnershipControls"
    ),
    checkov_ids=["CKV2_AWS_65"],
    check=with_plain_props(_acls_enabled),
)


def _locks_everyone_out(props: Mapping[str, Any], _args: Any) -> Iterator[str]:
    for index, statement in enumerate(statements(iam_document(props.get("policy")))):
        if (
            str(statement.get("Effect", "")).lower() == "deny"
            and is_public_principal(statement.get("Principal"))
            and any(action in ("*", "s3:*") for action in strings(statement.get("Action")))
            and not statement.get("Condition")
        ):
            yield (
                f"bucket policy statement {statement.get('Sid') or index!r} denies every action to"
                " everyone without a condition: only the root user could undo it"
            )


NO_LOCKOUT = resource_rule(
    name="aws-s3-no-lockout-policy",
    description="No bucket policy denies every action to everyone unconditionally.",
    severity=Severity.MEDIUM,
    enforcement=ADVISORY,
    resource_types=(BUCKET_POLICY,),
    remediation=(
        "give the Deny statement of aws.s3.BucketPolicy a Condition (e.g."
        " `aws:SecureTransport: false`) or name the principals it denies"
    ),
    checkov_ids=["CKV_AWS_93"],
    check=with_plain_props(_locks_everyone_out),
)

POLICIES: list[Policy] = [
    ENCRYPTION,
    *PUBLIC_ACCESS_RULES,
    SPECIFY_PUBLIC_ACCESS_BLOCK,
    VERSIONING,
    MFA_DELETE,
    ACCESS_LOGGING,
    OBJECT_WRITE_LOGGING,
    OBJECT_READ_LOGGING,
    PUBLIC_ACL,
    PUBLIC_POLICY,
    DNS_COMPLIANT_NAME,
    LOG_GROUP_KEY,
    LOG_GROUP_RETENTION,
    LIFECYCLE,
    ABORT_INCOMPLETE_UPLOADS,
    ACLS_DISABLED,
    NO_LOCKOUT,
]
