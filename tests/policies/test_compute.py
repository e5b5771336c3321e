import base64

import pytest
from pulumi.output import Unknown
from pulumi_policy import ResourceValidationPolicy
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UNKNOWN_STRING_VALUE, unknown_checking_proxy

from policies.rules import compute
from policies.rules.compute import (
    EBS_VOLUME,
    ECR_REPOSITORY,
    ECR_REPOSITORY_POLICY,
    EKS_CLUSTER,
    EKS_NODE_GROUP,
    INSTANCE,
    LAUNCH_CONFIGURATION,
    LAUNCH_TEMPLATE,
    PULUMI_EKS_CLUSTER,
    PULUMI_EKS_MANAGED_NODE_GROUP,
)
from tests.policies.harness import resource_violations
from tests.policies.malformed import messages_for_malformed

RULES = {policy.name: policy for policy in compute.POLICIES}
ENCRYPTED_ROOT = {"rootBlockDevice": {"encrypted": True}}
ALL_LOGS = ["api", "audit", "authenticator", "controllerManager", "scheduler"]


def violations(rule: str, resource_type: str, props) -> list[str]:
    policy = RULES[rule]
    assert isinstance(policy, ResourceValidationPolicy)
    return resource_violations(policy, resource_type, props)


# IMDSv2


@pytest.mark.parametrize("resource_type", [INSTANCE, LAUNCH_TEMPLATE, LAUNCH_CONFIGURATION])
def test_imds_v1_is_flagged(resource_type):
    assert violations(
        "aws-ec2-enforce-http-token-imds",
        resource_type,
        {"metadataOptions": {"httpTokens": "optional"}},
    ) == ["metadataOptions.httpTokens is 'optional'; IMDSv1 stays reachable"]
    assert violations("aws-ec2-enforce-http-token-imds", resource_type, {}) != []


@pytest.mark.parametrize("resource_type", [INSTANCE, LAUNCH_TEMPLATE, LAUNCH_CONFIGURATION])
def test_imds_v2_required_or_disabled_passes(resource_type):
    assert (
        violations(
            "aws-ec2-enforce-http-token-imds",
            resource_type,
            {"metadataOptions": {"httpTokens": "required"}},
        )
        == []
    )
    assert (
        violations(
            "aws-ec2-enforce-http-token-imds",
            resource_type,
            {"metadataOptions": {"httpEndpoint": "disabled"}},
        )
        == []
    )


def test_imds_hop_limit_beyond_the_node_is_flagged():
    rule = "aws-ec2-imds-hop-limit"
    assert violations(
        rule,
        LAUNCH_TEMPLATE,
        {"metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 2.0}},
    ) == [
        "metadataOptions.httpPutResponseHopLimit is 2: containers can reach the node's IMDS"
        " credentials"
    ]
    assert (
        violations(
            rule,
            LAUNCH_TEMPLATE,
            {"metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 1}},
        )
        == []
    )
    assert violations(rule, INSTANCE, {"metadataOptions": {"httpTokens": "required"}}) == []


def test_instance_from_launch_template_defers_imds_to_the_template():
    assert (
        violations("aws-ec2-enforce-http-token-imds", INSTANCE, {"launchTemplate": {"id": "lt-1"}})
        == []
    )


def test_managed_node_group_needs_imds_v2_or_a_launch_template():
    rule = "aws-ec2-enforce-http-token-imds"
    assert violations(rule, PULUMI_EKS_MANAGED_NODE_GROUP, {}) == [
        "enableIMDSv2 is not set and no launchTemplate sets metadata options"
    ]
    assert violations(rule, PULUMI_EKS_MANAGED_NODE_GROUP, {"enableIMDSv2": True}) == []
    assert (
        violations(
            rule, PULUMI_EKS_MANAGED_NODE_GROUP, {"launchTemplate": {"id": "lt-1", "version": "1"}}
        )
        == []
    )


# volume encryption


def test_instance_volumes_must_be_encrypted():
    rule = "aws-ec2-enable-at-rest-encryption"
    assert violations(rule, INSTANCE, {}) == [
        "rootBlockDevice is not set, so the root volume is not encrypted"
    ]
    assert violations(
        rule, INSTANCE, {**ENCRYPTED_ROOT, "ebsBlockDevices": [{"encrypted": False}]}
    ) == ["ebsBlockDevices[0].encrypted is False"]
    assert (
        violations(rule, INSTANCE, {**ENCRYPTED_ROOT, "ebsBlockDevices": [{"encrypted": True}]})
        == []
    )


def test_launch_template_volumes_must_be_encrypted():
    rule = "aws-ec2-enable-at-rest-encryption"
    assert "no blockDeviceMappings" in violations(rule, LAUNCH_TEMPLATE, {})[0]
    assert violations(
        rule,
        LAUNCH_TEMPLATE,
        {"blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"volumeSize": 20}}]},
    ) == ["blockDeviceMappings[0].ebs.encrypted is not set"]
    assert (
        violations(rule, LAUNCH_TEMPLATE, {"blockDeviceMappings": [{"ebs": {"encrypted": "true"}}]})
        == []
    )


def test_launch_configuration_and_pulumi_eks_node_volumes():
    rule = "aws-ec2-enable-at-rest-encryption"
    assert violations(rule, LAUNCH_CONFIGURATION, {}) == ["rootBlockDevice.encrypted is not set"]
    assert violations(rule, LAUNCH_CONFIGURATION, ENCRYPTED_ROOT) == []
    assert violations(rule, PULUMI_EKS_CLUSTER, {"nodeRootVolumeEncrypted": False}) == [
        "the default node group's nodeRootVolumeEncrypted is False"
    ]
    assert violations(rule, PULUMI_EKS_CLUSTER, {"nodeRootVolumeEncrypted": True}) == []
    assert violations(rule, PULUMI_EKS_CLUSTER, {"skipDefaultNodeGroup": True}) == []


def test_ebs_volume_encryption_and_customer_key():
    assert violations("aws-ec2-enable-volume-encryption", EBS_VOLUME, {"size": 10}) == [
        "encrypted is not set"
    ]
    assert violations("aws-ec2-enable-volume-encryption", EBS_VOLUME, {"encrypted": True}) == []
    assert (
        violations("aws-ec2-volume-encryption-customer-key", EBS_VOLUME, {"encrypted": True}) != []
    )
    assert violations(
        "aws-ec2-volume-encryption-customer-key",
        EBS_VOLUME,
        {"encrypted": True, "kmsKeyId": "alias/aws/ebs"},
    ) == ["kmsKeyId is 'alias/aws/ebs', so the volume uses the AWS-managed aws/ebs key"]
    assert (
        violations(
            "aws-ec2-volume-encryption-customer-key",
            EBS_VOLUME,
            {"encrypted": True, "kmsKeyId": "arn:aws:kms:k"},
        )
        == []
    )


# public IPs and user data


def test_public_ip_addresses_are_flagged():
    rule = "aws-ec2-no-public-ip"
    assert violations(rule, INSTANCE, {"associatePublicIpAddress": True}) == [
        "associatePublicIpAddress is True"
    ]
    assert violations(
        rule, LAUNCH_TEMPLATE, {"networkInterfaces": [{"associatePublicIpAddress": "true"}]}
    ) == ["networkInterfaces[0].associatePublicIpAddress is 'true'"]
    assert violations(rule, PULUMI_EKS_CLUSTER, {"nodeAssociatePublicIpAddress": True}) != []
    assert violations(rule, INSTANCE, {"associatePublicIpAddress": False}) == []
    assert (
        violations(
            rule, LAUNCH_TEMPLATE, {"networkInterfaces": [{"associatePublicIpAddress": "false"}]}
        )
        == []
    )


def test_secrets_in_user_data_are_flagged_even_base64_encoded():
    rule = "aws-ec2-no-secrets-in-user-data"
    script = (
        "#!/bin/bash\nexport AWS_ACCESS_KEY_ID=AKIAABCDEFGHIJKLMNOP\nexport"
        " DB_PASSWORD=hunter2hunter2\n"
    )
    assert violations(rule, INSTANCE, {"userData": script}) == [
        "userData contains an AWS access key id",
        "userData contains a literal password/secret/token",
    ]
    encoded = base64.b64encode(script.encode()).decode()
    assert len(violations(rule, LAUNCH_TEMPLATE, {"userData": encoded})) == 2
    assert violations(
        rule, PULUMI_EKS_CLUSTER, {"nodeUserData": "-----BEGIN RSA PRIVATE KEY-----\nabc"}
    ) == ["nodeUserData contains a private key"]


def test_trivy_examples_of_secrets_in_launch_configuration_user_data():
    rule = "aws-ec2-no-secrets-in-user-data"
    assert violations(
        rule, LAUNCH_CONFIGURATION, {"userData": 'export DATABASE_PASSWORD="SomeSortOfPassword"\n'}
    ) == ["userData contains a literal password/secret/token"]
    keys = (
        "export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nexport"
        " AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
    )
    assert "userData contains an AWS secret access key" in violations(
        rule, LAUNCH_CONFIGURATION, {"userData": keys}
    )
    assert (
        violations(rule, LAUNCH_CONFIGURATION, {"userData": 'export GREETING="Hello there"\n'})
        == []
    )


def test_user_data_reading_secrets_at_boot_passes():
    script = (
        "#!/bin/bash\nDB_PASSWORD=$(aws secretsmanager get-secret-value --secret-id db --query"
        " SecretString)\n"
    )
    assert violations("aws-ec2-no-secrets-in-user-data", INSTANCE, {"userData": script}) == []


# EKS


def test_eks_public_endpoint_is_flagged_by_default():
    rule = "aws-eks-no-public-cluster-access"
    assert "endpointPublicAccess is not set" in violations(rule, PULUMI_EKS_CLUSTER, {})[0]
    assert violations(rule, EKS_CLUSTER, {"vpcConfig": {"endpointPublicAccess": True}}) != []
    assert violations(rule, PULUMI_EKS_CLUSTER, {"endpointPublicAccess": False}) == []
    assert violations(rule, EKS_CLUSTER, {"vpcConfig": {"endpointPublicAccess": False}}) == []


def test_eks_public_endpoint_open_to_the_world_is_flagged():
    rule = "aws-eks-no-public-cluster-access-to-cidr"
    assert violations(
        rule, PULUMI_EKS_CLUSTER, {"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]}
    ) == ["publicAccessCidrs contains 0.0.0.0/0"]
    assert violations(rule, EKS_CLUSTER, {"vpcConfig": {}}) == [
        "publicAccessCidrs is not set, so the public endpoint accepts 0.0.0.0/0"
    ]
    assert violations(rule, PULUMI_EKS_CLUSTER, {"publicAccessCidrs": ["203.0.113.0/24"]}) == []
    assert violations(rule, EKS_CLUSTER, {"vpcConfig": {"endpointPublicAccess": False}}) == []


def test_eks_secrets_encryption():
    rule = "aws-eks-encrypt-secrets"
    assert violations(rule, PULUMI_EKS_CLUSTER, {}) != []
    assert violations(rule, PULUMI_EKS_CLUSTER, {"encryptionConfigKeyArn": "arn:aws:kms:k"}) == []
    assert violations(
        rule, EKS_CLUSTER, {"encryptionConfig": {"resources": [], "provider": {"keyArn": "k"}}}
    ) == ["encryptionConfig.resources is []; it must include 'secrets'"]
    assert (
        violations(
            rule,
            EKS_CLUSTER,
            {"encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": "k"}}},
        )
        == []
    )


def test_eks_control_plane_logging():
    rule = "aws-eks-enable-control-plane-logging"
    assert violations(rule, PULUMI_EKS_CLUSTER, {"enabledClusterLogTypes": ["api", "audit"]}) == [
        "enabledClusterLogTypes is ['api', 'audit']; missing authenticator, controllerManager,"
        " scheduler"
    ]
    assert violations(rule, EKS_CLUSTER, {"enabledClusterLogTypes": ALL_LOGS}) == []


@pytest.mark.parametrize("resource_type", [EKS_NODE_GROUP, PULUMI_EKS_MANAGED_NODE_GROUP])
def test_node_group_ssh_from_anywhere(resource_type):
    rule = "aws-eks-no-public-node-ssh"
    assert violations(rule, resource_type, {"remoteAccess": {"ec2SshKey": "ops"}}) != []
    assert (
        violations(
            rule,
            resource_type,
            {"remoteAccess": {"ec2SshKey": "ops", "sourceSecurityGroupIds": ["sg-1"]}},
        )
        == []
    )
    assert violations(rule, resource_type, {}) == []


# ECR


def test_ecr_repository_settings():
    assert violations("aws-ecr-enable-image-scans", ECR_REPOSITORY, {}) == [
        "imageScanningConfiguration.scanOnPush is not set"
    ]
    assert (
        violations(
            "aws-ecr-enable-image-scans",
            ECR_REPOSITORY,
            {"imageScanningConfiguration": {"scanOnPush": True}},
        )
        == []
    )
    assert (
        violations(
            "aws-ecr-enforce-immutable-repository",
            ECR_REPOSITORY,
            {"imageTagMutability": "MUTABLE"},
        )
        != []
    )
    assert (
        violations(
            "aws-ecr-enforce-immutable-repository",
            ECR_REPOSITORY,
            {"imageTagMutability": "IMMUTABLE"},
        )
        == []
    )
    assert violations("aws-ecr-repository-customer-key", ECR_REPOSITORY, {}) != []
    assert (
        violations(
            "aws-ecr-repository-customer-key",
            ECR_REPOSITORY,
            {"encryptionConfigurations": [{"encryptionType": "KMS"}]},
        )
        != []
    )
    assert (
        violations(
            "aws-ecr-repository-customer-key",
            ECR_REPOSITORY,
            {"encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": "arn:aws:kms:k"}]},
        )
        == []
    )


def test_ecr_repository_policy_open_to_everyone():
    rule = "aws-ecr-no-public-access"
    public = (
        '{"Statement": [{"Sid": "all", "Effect": "Allow", "Principal": "*", "Action":'
        ' "ecr:BatchGetImage"}]}'
    )
    assert violations(rule, ECR_REPOSITORY_POLICY, {"policy": public}) == [
        "statement all allows ['ecr:BatchGetImage'] to Principal '*' without a Condition"
    ]
    scoped = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "ecr:*",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1"}},
            }
        ]
    }
    assert violations(rule, ECR_REPOSITORY_POLICY, {"policy": scoped}) == []
    named = {
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "ecr:*"}
        ]
    }
    assert violations(rule, ECR_REPOSITORY_POLICY, {"policy": named}) == []
    transport_only = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "ecr:BatchGetImage",
                "Condition": {"Bool": {"aws:SecureTransport": "true"}},
            }
        ]
    }
    assert violations(rule, ECR_REPOSITORY_POLICY, {"policy": transport_only}) == [
        "statement (no Sid) allows ['ecr:BatchGetImage'] to Principal '*' without a Condition"
    ]


# malformed inputs

MALFORMED = [
    None,
    {},
    "not-a-mapping",
    [1, 2],
    {
        "metadataOptions": Unknown(),
        "rootBlockDevice": UNKNOWN_STRING_VALUE,
        "blockDeviceMappings": Unknown(),
        "ebsBlockDevices": "odd",
        "networkInterfaces": 7,
        "userData": Unknown(),
        "vpcConfig": Unknown(),
        "encryptionConfig": Unknown(),
        "enabledClusterLogTypes": Unknown(),
        "remoteAccess": Unknown(),
        "policy": "{not json",
        "imageScanningConfiguration": Unknown(),
        "encryptionConfigurations": Unknown(),
        "endpointPublicAccess": Unknown(),
    },
    {
        "metadataOptions": {"httpTokens": 5},
        "rootBlockDevice": [],
        "ebsBlockDevices": [None, "x"],
        "userData": 12,
        "enabledClusterLogTypes": "api",
        "remoteAccess": "x",
        "policy": ["x"],
        "publicAccessCidrs": 3,
    },
]


@pytest.mark.parametrize("props", MALFORMED)
def test_malformed_inputs_never_raise(props):
    messages_for_malformed(compute.POLICIES, props)


def test_unknown_values_are_not_violations():
    unknown = {
        "metadataOptions": {"httpTokens": Unknown()},
        "encrypted": Unknown(),
        "endpointPublicAccess": UNKNOWN_BOOLEAN_VALUE,
        "enabledClusterLogTypes": Unknown(),
        "encryptionConfigKeyArn": Unknown(),
    }
    assert violations("aws-ec2-enforce-http-token-imds", INSTANCE, unknown) == []
    assert violations("aws-ec2-enable-volume-encryption", EBS_VOLUME, unknown) == []
    assert (
        violations(
            "aws-eks-no-public-cluster-access",
            PULUMI_EKS_CLUSTER,
            unknown_checking_proxy(dict(unknown, encryptionConfigKeyArn="k")),
        )
        == []
    )
    assert violations("aws-eks-enable-control-plane-logging", PULUMI_EKS_CLUSTER, unknown) == []


@pytest.mark.parametrize("resource_type", [EKS_CLUSTER, PULUMI_EKS_CLUSTER])
def test_eks_runs_a_supported_version(resource_type):
    rule = "aws-eks-supported-version"
    assert violations(rule, resource_type, {"version": "1.27"}) == [
        "version is '1.27': EKS no longer supports Kubernetes before 1.30"
    ]
    assert violations(rule, resource_type, {"version": "latest"}) == [
        "version is 'latest': not a Kubernetes minor version such as '1.33'"
    ]
    assert violations(rule, resource_type, {"version": "1.33"}) == []
    assert violations(rule, resource_type, {}) == []
