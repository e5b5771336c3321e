"""Compute rules: EC2 instances, launch templates/configurations, EBS volumes, EKS clusters and
node groups (pulumi-aws and the pulumi-eks components), ECR repositories."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from typing import Any

from pulumi_policy import EnforcementLevel, Policy, Severity

from policies.rule import resource_rule
from policies.rules.values import (
    as_list,
    as_mapping,
    iam_document,
    is_aws_managed_key,
    is_true,
    is_unknown,
    lookup,
    must_be_true,
    public_grants,
    shown,
    strings,
    whole_number,
    with_plain_props,
)

INSTANCE = "aws:ec2/instance:Instance"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
LAUNCH_CONFIGURATION = "aws:ec2/launchConfiguration:LaunchConfiguration"
EBS_VOLUME = "aws:ebs/volume:Volume"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
EKS_NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
PULUMI_EKS_CLUSTER = "eks:index:Cluster"
PULUMI_EKS_MANAGED_NODE_GROUP = "eks:index:ManagedNodeGroup"
ECR_REPOSITORY = "aws:ecr/repository:Repository"
ECR_REPOSITORY_POLICY = "aws:ecr/repositoryPolicy:RepositoryPolicy"
OLDEST_SUPPORTED_EKS_VERSION = (1, 30)
"""The oldest Kubernetes minor EKS still supports (standard or extended), as checkov 3.3's
CKV_AWS_339 lists them; raise it as AWS retires versions."""

MAX_IMDS_HOP_LIMIT = 1
"""One hop stops at the node: pods (one more network hop away) cannot borrow the node role; they use
IRSA.
"""
EKS_CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")

_SECRET_PATTERNS = (
    ("an AWS access key id", re.compile(r"\b(?:AKIA|ASIA|A3T[A-Z0-9])[A-Z0-9]{16}\b")),
    (
        "an AWS secret access key",
        re.compile(r"(?i)aws_secret_access_key\s*[=:]\s*['\"]?[A-Za-z0-9/+]{40}"),
    ),
    ("a private key", re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----")),
    # A literal after `password=`/`token:`...; `$VAR` and `$(cmd)` are references, not secrets.
    (
        "a literal password/secret/token",
        re.compile(
            r"(?i)\b[\w-]*(?:password|passwd|secret|api[_-]?key|token)[\w-]*\s*[=:]\s*['\"]?(?!\$)[^\s'\"]{6,}"
        ),
    ),
)


def _is_disabled(value: Any) -> bool:
    """Explicitly false (bool or string form); missing and unknown are not."""
    return value is False or (isinstance(value, str) and value.strip().lower() == "false")


# --- IMDSv2 -------------------------------------------------------------------------------------


def _imds_problem(metadata_options: Any) -> str | None:
    tokens = lookup(metadata_options, "httpTokens")
    endpoint = lookup(metadata_options, "httpEndpoint")
    if is_unknown(tokens) or is_unknown(endpoint) or endpoint == "disabled" or tokens == "required":
        return None
    return f"metadataOptions.httpTokens is {shown(tokens)}; IMDSv1 stays reachable"


def _hop_limit_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    hop_limit = whole_number(lookup(props, "metadataOptions", "httpPutResponseHopLimit"))
    if hop_limit is not None and hop_limit > MAX_IMDS_HOP_LIMIT:
        yield (
            f"metadataOptions.httpPutResponseHopLimit is {hop_limit}: containers can reach the"
            " node's IMDS credentials"
        )


def _imds_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    if args.resource_type == PULUMI_EKS_MANAGED_NODE_GROUP:
        enabled = lookup(props, "enableIMDSv2")
        if (
            lookup(props, "launchTemplate") is None
            and not is_true(enabled)
            and not is_unknown(enabled)
        ):
            yield f"enableIMDSv2 is {shown(enabled)} and no launchTemplate sets metadata options"
        return
    if (
        args.resource_type == INSTANCE
        and lookup(props, "launchTemplate") is not None
        and lookup(props, "metadataOptions") is None
    ):
        return  # the launch template decides, and is checked on its own
    problem = _imds_problem(lookup(props, "metadataOptions"))
    if problem:
        yield problem


# --- EBS encryption at rest ---------------------------------------------------------------------


def _unencrypted(device: Any, prefix: str = "") -> Iterator[str]:
    yield from must_be_true(device, "encrypted", prefix)


def _instance_volumes(props: dict[str, Any]) -> Iterator[str]:
    if lookup(props, "launchTemplate") is not None and lookup(props, "rootBlockDevice") is None:
        return  # volumes come from the launch template, checked on its own
    root = lookup(props, "rootBlockDevice")
    if root is None:
        yield "rootBlockDevice is not set, so the root volume is not encrypted"
    elif not is_unknown(root):
        yield from _unencrypted(root, "rootBlockDevice.")
    for index, device in enumerate(as_list(lookup(props, "ebsBlockDevices"))):
        yield from _unencrypted(device, f"ebsBlockDevices[{index}].")


def _launch_template_volumes(props: dict[str, Any]) -> Iterator[str]:
    mappings = lookup(props, "blockDeviceMappings")
    if is_unknown(mappings):
        return
    ebs_mappings = [
        (index, lookup(mapping, "ebs")) for index, mapping in enumerate(as_list(mappings))
    ]
    ebs_mappings = [(index, ebs) for index, ebs in ebs_mappings if ebs is not None]
    if not ebs_mappings:
        yield (
            "no blockDeviceMappings entry sets ebs.encrypted, so the AMI's unencrypted volumes are"
            " used"
        )
    for index, ebs in ebs_mappings:
        yield from _unencrypted(ebs, f"blockDeviceMappings[{index}].ebs.")


def _pulumi_eks_node_volumes(props: dict[str, Any]) -> Iterator[str]:
    if (
        is_true(lookup(props, "skipDefaultNodeGroup"))
        or lookup(props, "fargate")
        or lookup(props, "autoMode")
    ):
        return
    encrypted = lookup(props, "nodeRootVolumeEncrypted")
    if not is_true(encrypted) and not is_unknown(encrypted):
        yield f"the default node group's nodeRootVolumeEncrypted is {shown(encrypted)}"


def _volume_encryption_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    if args.resource_type == INSTANCE:
        yield from _instance_volumes(props)
    elif args.resource_type == LAUNCH_TEMPLATE:
        yield from _launch_template_volumes(props)
    elif args.resource_type == LAUNCH_CONFIGURATION:
        yield from _unencrypted(lookup(props, "rootBlockDevice"), "rootBlockDevice.")
        for index, device in enumerate(as_list(lookup(props, "ebsBlockDevices"))):
            yield from _unencrypted(device, f"ebsBlockDevices[{index}].")
    elif args.resource_type == PULUMI_EKS_CLUSTER:
        yield from _pulumi_eks_node_volumes(props)


def _ebs_volume_encrypted(props: dict[str, Any], args: Any) -> Iterator[str]:
    yield from _unencrypted(props)


def _ebs_volume_customer_key(props: dict[str, Any], args: Any) -> Iterator[str]:
    key = lookup(props, "kmsKeyId")
    if is_true(lookup(props, "encrypted")) and is_aws_managed_key(key, "ebs"):
        yield f"kmsKeyId is {shown(key)}, so the volume uses the AWS-managed aws/ebs key"


# --- public IPs and user data -------------------------------------------------------------------


def _public_ip_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    if args.resource_type == LAUNCH_TEMPLATE:
        for index, interface in enumerate(as_list(lookup(props, "networkInterfaces"))):
            if is_true(lookup(interface, "associatePublicIpAddress")):
                yield (
                    f"networkInterfaces[{index}].associatePublicIpAddress is"
                    f" {lookup(interface, 'associatePublicIpAddress')!r}"
                )
        return
    field = (
        "nodeAssociatePublicIpAddress"
        if args.resource_type == PULUMI_EKS_CLUSTER
        else "associatePublicIpAddress"
    )
    if is_true(lookup(props, field)):
        yield f"{field} is {lookup(props, field)!r}"


def _decoded(user_data: str) -> str:
    """The script itself: launch templates carry it base64-encoded, instances usually plain."""
    try:
        return base64.b64decode(user_data, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return user_data


def _user_data_fields(resource_type: str) -> tuple[str, ...]:
    if resource_type == PULUMI_EKS_CLUSTER:
        return ("nodeUserData",)
    if resource_type in (LAUNCH_TEMPLATE, PULUMI_EKS_MANAGED_NODE_GROUP):
        return ("userData",)
    return ("userData", "userDataBase64")


def _user_data_secret_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    for field in _user_data_fields(args.resource_type):
        user_data = lookup(props, field)
        if not isinstance(user_data, str) or is_unknown(user_data):
            continue
        script = _decoded(user_data)
        for label, pattern in _SECRET_PATTERNS:
            if pattern.search(script):
                yield f"{field} contains {label}"


# --- EKS ----------------------------------------------------------------------------------------


def _endpoint_settings(props: dict[str, Any], resource_type: str) -> tuple[Any, Any]:
    """(endpointPublicAccess, publicAccessCidrs) for either cluster type; AWS defaults public to
    true.
    """
    settings = (
        props if resource_type == PULUMI_EKS_CLUSTER else as_mapping(lookup(props, "vpcConfig"))
    )
    return lookup(settings, "endpointPublicAccess"), lookup(settings, "publicAccessCidrs")


def _public_endpoint_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    public, _ = _endpoint_settings(props, args.resource_type)
    if not _is_disabled(public) and not is_unknown(public):
        setting = "is not set (it defaults to true)" if public is None else f"is {public!r}"
        yield f"endpointPublicAccess {setting}: the API server is reachable from the internet"


def _public_endpoint_cidr_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    public, cidrs = _endpoint_settings(props, args.resource_type)
    if _is_disabled(public) or is_unknown(public) or is_unknown(cidrs):
        return
    if cidrs is None:
        yield "publicAccessCidrs is not set, so the public endpoint accepts 0.0.0.0/0"
    for cidr in strings(cidrs):
        if cidr.strip() in ("0.0.0.0/0", "::/0"):
            yield f"publicAccessCidrs contains {cidr}"


def _secrets_encryption_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    if args.resource_type == PULUMI_EKS_CLUSTER:
        key = lookup(props, "encryptionConfigKeyArn")
        if key is None:
            yield (
                "encryptionConfigKeyArn is not set, so Kubernetes secrets are not"
                " envelope-encrypted with KMS"
            )
        return
    config = lookup(props, "encryptionConfig")
    if is_unknown(config):
        return
    resources = lookup(config, "resources")
    if not is_unknown(resources) and "secrets" not in strings(resources):
        yield f"encryptionConfig.resources is {shown(resources)}; it must include 'secrets'"
    if config is not None and lookup(config, "provider", "keyArn") is None:
        yield "encryptionConfig.provider.keyArn is not set"


def _control_plane_logging_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    enabled = lookup(props, "enabledClusterLogTypes")
    if is_unknown(enabled):
        return
    missing = [
        log_type for log_type in EKS_CONTROL_PLANE_LOG_TYPES if log_type not in strings(enabled)
    ]
    if missing:
        yield f"enabledClusterLogTypes is {shown(enabled)}; missing {', '.join(missing)}"


def _node_ssh_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    remote_access = lookup(props, "remoteAccess")
    key = lookup(remote_access, "ec2SshKey")
    sources = lookup(remote_access, "sourceSecurityGroupIds")
    if key is not None and not is_unknown(sources) and not as_list(sources):
        yield (
            f"remoteAccess.ec2SshKey is {key!r} with no sourceSecurityGroupIds: EKS opens port 22"
            " to 0.0.0.0/0"
        )


# --- ECR ----------------------------------------------------------------------------------------


def _scan_on_push_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    yield from must_be_true(
        lookup(props, "imageScanningConfiguration"), "scanOnPush", "imageScanningConfiguration."
    )


def _immutable_tag_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    mutability = lookup(props, "imageTagMutability")
    if is_unknown(mutability) or (
        isinstance(mutability, str) and mutability.upper().startswith("IMMUTABLE")
    ):
        return
    yield (
        f"imageTagMutability is {shown(mutability)} (AWS default MUTABLE): a pushed tag can be"
        " overwritten"
    )


def _ecr_customer_key_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    configurations = lookup(props, "encryptionConfigurations")
    if is_unknown(configurations):
        return
    for configuration in as_list(configurations) or [{}]:
        encryption_type, key = (
            lookup(configuration, "encryptionType"),
            lookup(configuration, "kmsKey"),
        )
        if is_unknown(encryption_type) or (
            encryption_type == "KMS" and not is_aws_managed_key(key, "ecr")
        ):
            continue
        yield (
            f"encryptionType is {shown(encryption_type)} and kmsKey is {shown(key)}; images are"
            " encrypted with an AWS-owned key"
        )


def _public_repository_policy_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    for statement in public_grants(iam_document(lookup(props, "policy"))):
        yield (
            f"statement {statement.get('Sid') or '(no Sid)'} allows"
            f" {strings(statement.get('Action'))} to Principal '*' without a Condition"
        )


def _eks_version_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    version = lookup(props, "version")
    if version is None or is_unknown(version):
        return  # EKS picks its current default version
    parts = str(version).split(".")
    try:
        minor = (int(parts[0]), int(parts[1]))
    except (IndexError, ValueError):
        yield f"version is {version!r}: not a Kubernetes minor version such as '1.33'"
        return
    if minor < OLDEST_SUPPORTED_EKS_VERSION:
        oldest = ".".join(map(str, OLDEST_SUPPORTED_EKS_VERSION))
        yield f"version is {version!r}: EKS no longer supports Kubernetes before {oldest}"


POLICIES: list[Policy] = [
    resource_rule(
        name="aws-ec2-enforce-http-token-imds",
        description=(
            "EC2 instances, launch templates/configurations and EKS managed node groups require"
            " IMDSv2 tokens."
        ),
        severity=Severity.HIGH,
        enforcement=EnforcementLevel.MANDATORY,
        resource_types=[
            INSTANCE,
            LAUNCH_TEMPLATE,
            LAUNCH_CONFIGURATION,
            PULUMI_EKS_MANAGED_NODE_GROUP,
        ],
        remediation=(
            "set `metadata_options={'http_tokens': 'required', 'http_put_response_hop_limit': 1}`"
            " on aws.ec2.Instance/LaunchTemplate/LaunchConfiguration, or `enable_imd_sv2=True` on"
            " eks.ManagedNodeGroup."
        ),
        trivy_ids=["AVD-AWS-0028", "AVD-AWS-0130"],
        checkov_ids=["CKV_AWS_79"],
        check=with_plain_props(_imds_findings),
    ),
    resource_rule(
        name="aws-ec2-imds-hop-limit",
        description=(
            f"Instance metadata answers only {MAX_IMDS_HOP_LIMIT} network hop away, so pods cannot"
            " take the node role."
        ),
        severity=Severity.MEDIUM,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[INSTANCE, LAUNCH_TEMPLATE, LAUNCH_CONFIGURATION],
        remediation=(
            f"set `metadata_options={{'http_put_response_hop_limit': {MAX_IMDS_HOP_LIMIT}}}` on"
            " aws.ec2.Instance/LaunchTemplate/LaunchConfiguration; give pods AWS access through"
            " IRSA."
        ),
        checkov_ids=["CKV_AWS_341"],
        check=with_plain_props(_hop_limit_findings),
    ),
    resource_rule(
        name="aws-ec2-enable-at-rest-encryption",
        description=(
            "Instance, launch template/configuration and pulumi-eks node root and data volumes are"
            " encrypted."
        ),
        severity=Severity.HIGH,
        enforcement=EnforcementLevel.MANDATORY,
        resource_types=[INSTANCE, LAUNCH_TEMPLATE, LAUNCH_CONFIGURATION, PULUMI_EKS_CLUSTER],
        remediation=(
            "set `encrypted=True` in `root_block_device`/`ebs_block_devices` (aws.ec2.Instance,"
            " LaunchConfiguration), in each `block_device_mappings[].ebs` (aws.ec2.LaunchTemplate),"
            " or `node_root_volume_encrypted=True` on eks.Cluster."
        ),
        trivy_ids=["AVD-AWS-0131", "AVD-AWS-0008"],
        check=with_plain_props(_volume_encryption_findings),
    ),
    resource_rule(
        name="aws-ec2-enable-volume-encryption",
        description="EBS volumes are encrypted at rest.",
        severity=Severity.HIGH,
        enforcement=EnforcementLevel.MANDATORY,
        resource_types=[EBS_VOLUME],
        remediation="set `encrypted=True` (and `kms_key_id`) on aws.ebs.Volume.",
        trivy_ids=["AVD-AWS-0026"],
        check=with_plain_props(_ebs_volume_encrypted),
    ),
    resource_rule(
        name="aws-ec2-volume-encryption-customer-key",
        description="Encrypted EBS volumes use a customer-managed KMS key.",
        severity=Severity.LOW,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[EBS_VOLUME],
        remediation="set `kms_key_id` to a customer-managed aws.kms.Key ARN on aws.ebs.Volume.",
        trivy_ids=["AVD-AWS-0027"],
        check=with_plain_props(_ebs_volume_customer_key),
    ),
    resource_rule(
        name="aws-ec2-no-public-ip",
        description=(
            "Instances, launch templates/configurations and pulumi-eks nodes get no public IP"
            " address."
        ),
        severity=Severity.HIGH,
        enforcement=EnforcementLevel.MANDATORY,
        resource_types=[INSTANCE, LAUNCH_TEMPLATE, LAUNCH_CONFIGURATION, PULUMI_EKS_CLUSTER],
        remediation=(
            "set `associate_public_ip_address=False` (aws.ec2.Instance/LaunchConfiguration,"
            " LaunchTemplate `network_interfaces[]`) or `node_associate_public_ip_address=False` on"
            " eks.Cluster; reach the internet through a NAT gateway."
        ),
        trivy_ids=["AVD-AWS-0009"],
        checkov_ids=["CKV_AWS_88"],
        check=with_plain_props(_public_ip_findings),
    ),
    resource_rule(
        name="aws-ec2-no-secrets-in-user-data",
        description="User data carries no access keys, private keys or literal passwords/tokens.",
        severity=Severity.CRITICAL,
        enforcement=EnforcementLevel.MANDATORY,
        resource_types=[
            INSTANCE,
            LAUNCH_TEMPLATE,
            LAUNCH_CONFIGURATION,
            PULUMI_EKS_CLUSTER,
            PULUMI_EKS_MANAGED_NODE_GROUP,
        ],
        remediation=(
            "remove the secret from `user_data`/`user_data_base64` (or eks"
            " `node_user_data`/`user_data`); read it at boot from Secrets Manager or SSM Parameter"
            " Store with the instance role."
        ),
        trivy_ids=["AVD-AWS-0029", "AVD-AWS-0122", "AVD-AWS-0129"],
        checkov_ids=["CKV_AWS_46"],
        check=with_plain_props(_user_data_secret_findings),
    ),
    resource_rule(
        name="aws-eks-no-public-cluster-access",
        description="The EKS API server endpoint is private.",
        severity=Severity.CRITICAL,
        enforcement=EnforcementLevel.MANDATORY,
        resource_types=[EKS_CLUSTER, PULUMI_EKS_CLUSTER],
        remediation=(
            "set `endpoint_public_access=False` and `endpoint_private_access=True` (eks.Cluster, or"
            " `vpc_config` of aws.eks.Cluster); reach the API from inside the VPC (VPN, SSM, CI"
            " runners in the VPC)."
        ),
        trivy_ids=["AVD-AWS-0040"],
        checkov_ids=["CKV_AWS_39"],
        check=with_plain_props(_public_endpoint_findings),
    ),
    resource_rule(
        name="aws-eks-no-public-cluster-access-to-cidr",
        description="A public EKS endpoint, if any, is limited to known CIDRs, never 0.0.0.0/0.",
        severity=Severity.CRITICAL,
        enforcement=EnforcementLevel.MANDATORY,
        resource_types=[EKS_CLUSTER, PULUMI_EKS_CLUSTER],
        remediation=(
            "set `public_access_cidrs` to the office/CI ranges (eks.Cluster, or `vpc_config` of"
            " aws.eks.Cluster), or better `endpoint_public_access=False`."
        ),
        trivy_ids=["AVD-AWS-0041"],
        checkov_ids=["CKV_AWS_38"],
        check=with_plain_props(_public_endpoint_cidr_findings),
    ),
    resource_rule(
        name="aws-eks-encrypt-secrets",
        description="EKS envelope-encrypts Kubernetes secrets with a KMS key.",
        severity=Severity.HIGH,
        enforcement=EnforcementLevel.MANDATORY,
        resource_types=[EKS_CLUSTER, PULUMI_EKS_CLUSTER],
        remediation=(
            "set `encryption_config_key_arn` on eks.Cluster, or `encryption_config={'resources':"
            " ['secrets'], 'provider': {'key_arn': key.arn}}` on aws.eks.Cluster."
        ),
        trivy_ids=["AVD-AWS-0039"],
        checkov_ids=["CKV_AWS_58"],
        check=with_plain_props(_secrets_encryption_findings),
    ),
    resource_rule(
        name="aws-eks-enable-control-plane-logging",
        description="EKS sends all control-plane log types to CloudWatch.",
        severity=Severity.MEDIUM,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[EKS_CLUSTER, PULUMI_EKS_CLUSTER],
        remediation=(
            "set `enabled_cluster_log_types=['api', 'audit', 'authenticator', 'controllerManager',"
            " 'scheduler']` on eks.Cluster or aws.eks.Cluster."
        ),
        trivy_ids=["AVD-AWS-0038"],
        checkov_ids=["CKV_AWS_37"],
        check=with_plain_props(_control_plane_logging_findings),
    ),
    resource_rule(
        name="aws-eks-no-public-node-ssh",
        description=(
            "EKS managed node groups with an SSH key restrict SSH to named security groups."
        ),
        severity=Severity.CRITICAL,
        enforcement=EnforcementLevel.MANDATORY,
        resource_types=[EKS_NODE_GROUP, PULUMI_EKS_MANAGED_NODE_GROUP],
        remediation=(
            "drop `remote_access` (use SSM Session Manager), or set"
            " `remote_access.source_security_group_ids` on aws.eks.NodeGroup /"
            " eks.ManagedNodeGroup."
        ),
        checkov_ids=["CKV_AWS_100"],
        check=with_plain_props(_node_ssh_findings),
    ),
    resource_rule(
        name="aws-ecr-enable-image-scans",
        description="ECR repositories scan images on push.",
        severity=Severity.HIGH,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[ECR_REPOSITORY],
        remediation=(
            "set `image_scanning_configuration={'scan_on_push': True}` on aws.ecr.Repository."
        ),
        trivy_ids=["AVD-AWS-0030"],
        check=with_plain_props(_scan_on_push_findings),
    ),
    resource_rule(
        name="aws-ecr-enforce-immutable-repository",
        description="ECR image tags are immutable.",
        severity=Severity.HIGH,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[ECR_REPOSITORY],
        remediation="set `image_tag_mutability='IMMUTABLE'` on aws.ecr.Repository.",
        trivy_ids=["AVD-AWS-0031"],
        check=with_plain_props(_immutable_tag_findings),
    ),
    resource_rule(
        name="aws-ecr-repository-customer-key",
        description="ECR repositories encrypt images with a customer-managed KMS key.",
        severity=Severity.LOW,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[ECR_REPOSITORY],
        remediation=(
            "set `encryption_configurations=[{'encryption_type': 'KMS', 'kms_key': key.arn}]` on"
            " aws.ecr.Repository."
        ),
        trivy_ids=["AVD-AWS-0033"],
        check=with_plain_props(_ecr_customer_key_findings),
    ),
    resource_rule(
        name="aws-ecr-no-public-access",
        description=(
            "ECR repository policies grant nothing to Principal '*' without a Condition that"
            " narrows who."
        ),
        severity=Severity.HIGH,
        enforcement=EnforcementLevel.MANDATORY,
        resource_types=[ECR_REPOSITORY_POLICY],
        remediation=(
            "in `policy` of aws.ecr.RepositoryPolicy, name the account/role ARNs as Principal, or"
            " add a Condition such as `aws:PrincipalOrgID`."
        ),
        trivy_ids=["AVD-AWS-0032"],
        checkov_ids=["CKV_AWS_32"],
        check=with_plain_props(_public_repository_policy_findings),
    ),
    resource_rule(
        name="aws-eks-supported-version",
        description="EKS clusters run a Kubernetes version EKS still supports.",
        severity=Severity.MEDIUM,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[EKS_CLUSTER, PULUMI_EKS_CLUSTER],
        remediation=(
            "set `version` on eks.Cluster / aws.eks.Cluster to a supported minor (see"
            " https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html)."
        ),
        checkov_ids=["CKV_AWS_339"],
        check=with_plain_props(_eks_version_findings),
    ),
]
