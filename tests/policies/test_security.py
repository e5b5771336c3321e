import json
from pathlib import Path

import pytest
from pulumi.output import Unknown
from pulumi_policy.proxy import unknown_checking_proxy

from policies.gate.analyze import PackAnalyzer
from policies.program_runner import run_program
from policies.rules import security
from policies.rules.values import UNKNOWN
from tests.policies.harness import (
    as_cli_delivers,
    resource_violations,
    run_stack_rule,
    stack_resource,
    stack_violations,
)
from tests.policies.malformed import messages_for_malformed

POLICY = "aws:iam/policy:Policy"
ROLE = "aws:iam/role:Role"


def document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(actions, resources="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": actions, "Resource": resources, **extra}


SCOPED = allow(
    ["dynamodb:GetItem", "dynamodb:PutItem"],
    "arn:aws:dynamodb:ap-northeast-2:123456789012:table/tickets",
)


# ------------------------------------------------------------- wildcards


@pytest.mark.parametrize(
    "resource_type",
    [
        "aws:iam/policy:Policy",
        "aws:iam/rolePolicy:RolePolicy",
        "aws:iam/userPolicy:UserPolicy",
        "aws:iam/groupPolicy:GroupPolicy",
    ],
)
def test_star_action_on_star_resource_is_caught_for_every_policy_type(resource_type):
    messages = resource_violations(
        security.WILDCARD_POLICY, resource_type, {"policy": document(allow("*"))}
    )
    assert messages == ["policy statement #0 allows ['*'] on Resource '*'"]


def test_service_wildcard_on_star_resource_in_mapping_document_is_caught():
    props = {"policy": {"Statement": [allow(["ec2:Describe*", "sqs:*"], Sid="Queues")]}}
    assert resource_violations(security.WILDCARD_POLICY, POLICY, props) == [
        "policy statement 'Queues' allows ['sqs:*'] on Resource '*'"
    ]


def test_allow_not_action_on_star_resource_is_caught():
    props = {"policy": document({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})}
    assert (
        "allows everything except NotAction ['iam:*']"
        in resource_violations(security.WILDCARD_POLICY, POLICY, props)[0]
    )


def test_role_inline_policies_are_read():
    props = {"inlinePolicies": [{"name": "ops", "policy": document(allow("*"))}]}
    assert resource_violations(security.WILDCARD_POLICY, ROLE, props) == [
        "inline policy 'ops' statement #0 allows ['*'] on Resource '*'"
    ]


def test_scoped_actions_deny_statements_and_scoped_wildcards_pass():
    props = {
        "policy": document(
            SCOPED,
            {"Effect": "Deny", "Action": "*", "Resource": "*"},
            allow("s3:*", "arn:aws:s3:::tickets-assets/*"),
            allow("ec2:Describe*"),
        )
    }
    assert resource_violations(security.WILDCARD_POLICY, POLICY, props) == []


# ------------------------------------------------------------- PassRole


def test_pass_role_on_every_role_is_caught_even_through_wildcards():
    for action in ("iam:PassRole", "iam:Pass*", "IAM:*"):
        messages = resource_violations(
            security.PASS_ROLE, POLICY, {"policy": document(allow(action))}
        )
        assert len(messages) == 1 and "iam:PassRole" in messages[0], action


def test_pass_role_with_only_a_service_condition_is_still_unrestricted():
    statement = allow(
        "iam:PassRole", Condition={"StringEquals": {"iam:PassedToService": "eks.amazonaws.com"}}
    )
    [message] = resource_violations(security.PASS_ROLE, POLICY, {"policy": document(statement)})
    assert "PassedToService limits the service" in message


def test_pass_role_on_named_roles_passes():
    statement = allow("iam:PassRole", "arn:aws:iam::123456789012:role/ticketing-nodes")
    assert (
        resource_violations(security.PASS_ROLE, POLICY, {"policy": document(statement, SCOPED)})
        == []
    )


# ------------------------------------------------------------- S3 access in IAM


def test_s3_full_access_is_caught_unless_denied():
    props = {"policy": document(allow("s3:*", "arn:aws:s3:::tickets/*"))}
    assert resource_violations(security.S3_FULL_ACCESS, POLICY, props) == [
        "policy statement #0 allows 's3:*' on ['arn:aws:s3:::tickets/*']"
    ]
    denied = {
        "policy": document(
            allow("s3:*", "arn:aws:s3:::tickets/*"),
            {"Effect": "Deny", "Action": "s3:*", "Resource": "*"},
        )
    }
    assert resource_violations(security.S3_FULL_ACCESS, POLICY, denied) == []
    assert (
        resource_violations(
            security.S3_FULL_ACCESS,
            POLICY,
            {"policy": document(allow("s3:GetObject", "arn:aws:s3:::tickets/*"))},
        )
        == []
    )


def test_get_and_put_on_every_bucket_is_caught():
    props = {"policy": document(allow(["s3:Get*", "s3:Put*"]))}
    assert (
        "allows both s3:Get* and s3:Put*"
        in resource_violations(security.S3_READ_WRITE_EVERYWHERE, POLICY, props)[0]
    )
    scoped = {
        "policy": document(
            allow(["s3:Get*", "s3:Put*"], "arn:aws:s3:::tickets/*"), allow("s3:GetObject")
        )
    }
    assert resource_violations(security.S3_READ_WRITE_EVERYWHERE, POLICY, scoped) == []


# ------------------------------------------------------------- admin attachments, users


@pytest.mark.parametrize(
    "resource_type",
    [
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "aws:iam/userPolicyAttachment:UserPolicyAttachment",
        "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
        "aws:iam/policyAttachment:PolicyAttachment",
    ],
)
def test_admin_managed_policy_attachments_are_caught(resource_type):
    for name in ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess"):
        arn = f"arn:aws:iam::aws:policy/{name}"
        assert resource_violations(
            security.ADMIN_ATTACHMENT, resource_type, {"policyArn": arn}
        ) == [f"attaches AWS managed admin policy {arn!r}"]
    assert (
        resource_violations(
            security.ADMIN_ATTACHMENT,
            resource_type,
            {"policyArn": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"},
        )
        == []
    )


def test_role_managed_policy_arns_are_checked():
    props = {
        "managedPolicyArns": [
            "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
            "arn:aws-cn:iam::aws:policy/AdministratorAccess",
        ]
    }
    assert resource_violations(security.ADMIN_ATTACHMENT, ROLE, props) == [
        "attaches AWS managed admin policy 'arn:aws-cn:iam::aws:policy/AdministratorAccess'"
    ]
    assert (
        resource_violations(security.ADMIN_ATTACHMENT, ROLE, {"managedPolicyArns": [Unknown()]})
        == []
    )


def test_policies_attached_to_users_are_caught():
    assert resource_violations(
        security.USER_ATTACHED_POLICY,
        "aws:iam/userPolicyAttachment:UserPolicyAttachment",
        {"user": "ci", "policyArn": "arn:x"},
    ) == ["policy is attached directly to user 'ci'"]
    assert resource_violations(
        security.USER_ATTACHED_POLICY,
        "aws:iam/policyAttachment:PolicyAttachment",
        {"users": ["ci"], "policyArn": "arn:x"},
    ) == ["policy 'arn:x' is attached directly to users ['ci']"]
    assert (
        resource_violations(
            security.USER_ATTACHED_POLICY,
            "aws:iam/policyAttachment:PolicyAttachment",
            {"roles": ["nodes"], "policyArn": "arn:x"},
        )
        == []
    )


def test_group_without_mfa_policy_is_caught_and_with_one_passes():
    group = stack_resource("aws:iam/group:Group", "operators", {"name": "operators"})
    plain_policy = stack_resource(
        "aws:iam/groupPolicy:GroupPolicy",
        "operators-read",
        {"group": "operators", "policy": document(SCOPED)},
    )
    found = stack_violations(security.GROUP_MFA, [group, plain_policy])
    assert [name for name, _ in found] == ["operators"] and "operators-read" in found[0][1]
    mfa = document(
        {
            "Effect": "Deny",
            "NotAction": "iam:*",
            "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
        }
    )
    mfa_policy = stack_resource(
        "aws:iam/groupPolicy:GroupPolicy", "operators-mfa", {"group": "operators-id", "policy": mfa}
    )
    assert stack_violations(security.GROUP_MFA, [group, plain_policy, mfa_policy]) == []


def test_group_policy_pointing_somewhere_unknown_is_not_a_violation():
    group = stack_resource("aws:iam/group:Group", "operators", {"name": "operators"})
    unknown_policy = stack_resource(
        "aws:iam/groupPolicy:GroupPolicy", "maybe-mfa", {"group": UNKNOWN, "policy": UNKNOWN}
    )
    assert stack_violations(security.GROUP_MFA, [group, unknown_policy]) == []


def test_second_active_access_key_is_caught():
    first = stack_resource("aws:iam/accessKey:AccessKey", "ci-key-1", {"user": "ci"})
    second = stack_resource(
        "aws:iam/accessKey:AccessKey", "ci-key-2", {"user": "ci", "status": "Active"}
    )
    retired = stack_resource(
        "aws:iam/accessKey:AccessKey", "ci-key-0", {"user": "ci", "status": "Inactive"}
    )
    found = stack_violations(security.ONE_ACCESS_KEY, [first, second, retired])
    assert sorted(name for name, _ in found) == ["ci-key-1", "ci-key-2"]
    assert "user 'ci' has 2 active access keys" in found[0][1]
    assert stack_violations(security.ONE_ACCESS_KEY, [first, retired]) == []


# ------------------------------------------------------------- password policy

STRONG_PASSWORDS = {
    "passwordReusePrevention": 24,
    "requireLowercaseCharacters": True,
    "requireNumbers": True,
    "requireSymbols": True,
    "requireUppercaseCharacters": True,
    "maxPasswordAge": 90,
    "minimumPasswordLength": 14,
}
WEAK_PASSWORDS = {
    "passwordReusePrevention": 2,
    "requireLowercaseCharacters": False,
    "maxPasswordAge": 0,
    "minimumPasswordLength": 8,
}


@pytest.mark.parametrize("rule", security.PASSWORD_RULES, ids=lambda rule: rule.name)
def test_password_policy_rules(rule):
    resource_type = "aws:iam/accountPasswordPolicy:AccountPasswordPolicy"
    assert resource_violations(rule, resource_type, STRONG_PASSWORDS) == []
    [message] = resource_violations(rule, resource_type, WEAK_PASSWORDS)
    assert "expected" in message


def test_password_messages_name_the_bad_value():
    resource_type = "aws:iam/accountPasswordPolicy:AccountPasswordPolicy"
    [length_rule] = [
        rule
        for rule in security.PASSWORD_RULES
        if rule.name == "aws-iam-set-minimum-password-length"
    ]
    assert resource_violations(length_rule, resource_type, WEAK_PASSWORDS) == [
        "minimumPasswordLength is 8; expected at least 14"
    ]


@pytest.mark.parametrize("rule", security.PASSWORD_RULES, ids=lambda rule: rule.name)
def test_password_policy_rules_read_numbers_as_the_cli_delivers_them(rule):
    """Under the real CLI every number is a float (14.0): the bounds must judge it like the int."""
    resource_type = "aws:iam/accountPasswordPolicy:AccountPasswordPolicy"
    assert resource_violations(rule, resource_type, as_cli_delivers(STRONG_PASSWORDS)) == []
    assert len(resource_violations(rule, resource_type, as_cli_delivers(WEAK_PASSWORDS))) == 1


# ------------------------------------------------------------- KMS and secrets


def test_kms_key_without_rotation_is_caught():
    assert resource_violations(security.KMS_ROTATION, "aws:kms/key:Key", {}) == [
        "enableKeyRotation is None on a symmetric encryption key"
    ]
    assert (
        resource_violations(security.KMS_ROTATION, "aws:kms/key:Key", {"enableKeyRotation": False})
        != []
    )
    assert (
        resource_violations(security.KMS_ROTATION, "aws:kms/key:Key", {"enableKeyRotation": True})
        == []
    )


def test_keys_that_cannot_rotate_are_not_flagged():
    assert (
        resource_violations(
            security.KMS_ROTATION,
            "aws:kms/key:Key",
            {"customerMasterKeySpec": "RSA_2048", "keyUsage": "SIGN_VERIFY"},
        )
        == []
    )
    assert (
        resource_violations(
            security.KMS_ROTATION,
            "aws:kms/key:Key",
            {"customerMasterKeySpec": "HMAC_256", "keyUsage": "GENERATE_VERIFY_MAC"},
        )
        == []
    )


def test_secrets_need_a_customer_managed_key():
    secret = "aws:secretsmanager/secret:Secret"
    assert resource_violations(security.SECRET_CUSTOMER_KEY, secret, {}) == [
        "kmsKeyId is None (the AWS managed key)"
    ]
    assert (
        resource_violations(
            security.SECRET_CUSTOMER_KEY, secret, {"kmsKeyId": "alias/aws/secretsmanager"}
        )
        != []
    )
    assert (
        resource_violations(
            security.SECRET_CUSTOMER_KEY,
            secret,
            {"kmsKeyId": "arn:aws:kms:ap-northeast-2:123456789012:key/k"},
        )
        == []
    )
    parameter = "aws:ssm/parameter:Parameter"
    assert resource_violations(
        security.SECRET_CUSTOMER_KEY, parameter, {"type": "SecureString"}
    ) == ["SecureString parameter keyId is None (the AWS managed key)"]
    assert (
        resource_violations(
            security.SECRET_CUSTOMER_KEY,
            parameter,
            {"type": "SecureString", "keyId": "alias/tickets"},
        )
        == []
    )
    assert resource_violations(security.SECRET_CUSTOMER_KEY, parameter, {"type": "String"}) == []


# ------------------------------------------------------------- malformed input

MALFORMED_PROPS = [
    None,
    {},
    {"policy": Unknown()},
    {"policy": UNKNOWN},
    {"policy": "{not json"},
    {"policy": 42},
    {"policy": ["list"]},
    {"policy": {"Statement": "junk"}},
    {"policy": {"Statement": [{"Effect": "Allow", "Action": Unknown(), "Resource": UNKNOWN}]}},
    {
        "policy": {
            "Statement": [
                {"Effect": "Allow", "Action": [None, 3], "Resource": {"odd": 1}, "Condition": "x"}
            ]
        }
    },
    {"inlinePolicies": UNKNOWN},
    {"inlinePolicies": [None, 3, {"policy": Unknown()}]},
    {"managedPolicyArns": "oops"},
    {"policyArn": Unknown()},
    {"users": UNKNOWN},
    {"enableKeyRotation": UNKNOWN},
    {"kmsKeyId": Unknown()},
    {"type": "SecureString", "keyId": UNKNOWN},
    {"minimumPasswordLength": UNKNOWN, "maxPasswordAge": "ninety"},
]


@pytest.mark.parametrize("props", MALFORMED_PROPS)
def test_malformed_inputs_never_raise(props):
    messages_for_malformed(security.POLICIES, props)


def test_wholly_unknown_documents_are_not_violations():
    for rule in (
        security.WILDCARD_POLICY,
        security.PASS_ROLE,
        security.S3_FULL_ACCESS,
        security.S3_READ_WRITE_EVERYWHERE,
    ):
        assert resource_violations(rule, POLICY, unknown_checking_proxy({"policy": UNKNOWN})) == []
    assert (
        resource_violations(
            security.KMS_ROTATION,
            "aws:kms/key:Key",
            unknown_checking_proxy({"enableKeyRotation": UNKNOWN}),
        )
        == []
    )


def test_stack_rules_survive_malformed_resources():
    odd = [
        stack_resource("aws:iam/group:Group", "g", {}),
        stack_resource("aws:iam/groupPolicy:GroupPolicy", "p", {"group": 3, "policy": None}),
        stack_resource("aws:iam/accessKey:AccessKey", "k", {"user": Unknown()}),
    ]
    run_stack_rule(security.GROUP_MFA, odd)
    assert run_stack_rule(security.ONE_ACCESS_KEY, odd) == []


def test_program_run_through_the_analyzer():
    run = run_program(Path(__file__).parent / "programs" / "iam_policies", "test")
    analysis = PackAnalyzer(security.POLICIES, {}).analyze(run.resources)
    assert analysis.undecided == []
    assert {(violation.policy, violation.resource_name) for violation in analysis.violations} == {
        ("aws-iam-filter-passrole-access", "deployer"),
        ("aws-iam-scope-restrictable-actions", "deployer"),
        ("aws-iam-no-policy-wildcards", "worker-everything"),
        ("aws-iam-filter-passrole-access", "worker-everything"),
        ("aws-iam-unauthorized-bucket-access", "worker-everything"),
        ("aws-iam-no-admin-managed-policy", "worker-admin"),
    }


# ------------------------------------------------------------- resource and trust policies


@pytest.mark.parametrize(
    ("resource_type", "field"),
    [
        ("aws:sns/topic:Topic", "policy"),
        ("aws:sns/topicPolicy:TopicPolicy", "policy"),
        ("aws:sqs/queue:Queue", "policy"),
        ("aws:sqs/queuePolicy:QueuePolicy", "policy"),
        ("aws:kms/key:Key", "policy"),
        ("aws:secretsmanager/secretPolicy:SecretPolicy", "policy"),
        (ROLE, "assumeRolePolicy"),
    ],
)
def test_resource_and_trust_policies_grant_nothing_to_everyone(resource_type, field):
    rule = security.PUBLIC_RESOURCE_POLICY
    to_everyone = {"Sid": "open", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "x:Y"}
    assert resource_violations(rule, resource_type, {field: document(to_everyone)}) == [
        f"{field} statement 'open' allows ['x:Y'] to Principal {{'AWS': '*'}} without a"
        " condition that narrows who"
    ]
    transport_only = {**to_everyone, "Condition": {"Bool": {"aws:SecureTransport": "true"}}}
    assert resource_violations(rule, resource_type, {field: document(transport_only)}) != []
    narrowed = {**to_everyone, "Condition": {"StringEquals": {"aws:SourceAccount": "1"}}}
    named = {**to_everyone, "Principal": {"Service": "events.amazonaws.com"}}
    denied = {**to_everyone, "Effect": "Deny"}
    assert (
        resource_violations(rule, resource_type, {field: document(narrowed, named, denied)}) == []
    )


def test_kms_key_needs_an_explicit_policy():
    rule = security.KMS_KEY_POLICY
    key = "aws:kms/key:Key"
    assert resource_violations(rule, key, {"enableKeyRotation": True}) == [
        "policy is None: the key gets AWS's default policy, which lets any IAM principal of the"
        " account with kms:* permissions use and administer it"
    ]
    assert resource_violations(rule, key, {"policy": document(allow("kms:Decrypt"))}) == []
    assert resource_violations(rule, key, {"policy": Unknown()}) == []


def test_actions_that_take_a_resource_arn_are_not_granted_on_everything():
    rule = security.RESTRICTABLE_ACTIONS
    mixed = allow(["eks:DescribeNodegroup", "ec2:DescribeImages", "ec2:Describe*"])
    assert resource_violations(rule, POLICY, {"policy": document(mixed)}) == [
        "policy statement #0 allows ['eks:DescribeNodegroup'] on Resource '*'; they accept"
        " resource ARNs"
    ]
    scoped = allow("eks:DescribeNodegroup", "arn:aws:eks:r:1:nodegroup/c/g/*")
    wildcard_only = allow(["ec2:DescribeImages", "autoscaling:DescribeTags"])
    unknown_service = allow("newservice:DoThing")
    assert (
        resource_violations(
            rule, POLICY, {"policy": document(scoped, wildcard_only, unknown_service)}
        )
        == []
    )


def test_wildcard_only_actions_come_from_the_generated_list():
    assert "ec2:describeinstances" in security.WILDCARD_ONLY_ACTIONS
    assert "s3:getobject" not in security.WILDCARD_ONLY_ACTIONS
    assert "s3" in security.KNOWN_SERVICES


def test_kms_key_is_enabled():
    rule = security.KMS_KEY_ENABLED
    key = "aws:kms/key:Key"
    assert resource_violations(rule, key, {"isEnabled": False}) == [
        "isEnabled is False: nothing can decrypt with the key"
    ]
    assert resource_violations(rule, key, {}) == []


def web_identity(**conditions) -> dict:
    return {
        "Effect": "Allow",
        "Principal": {"Federated": "arn:aws:iam::1:oidc-provider/oidc.eks.example/id/X"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        **({"Condition": {"StringEquals": conditions}} if conditions else {}),
    }


def test_web_identity_trust_names_the_subject():
    rule = security.WEB_IDENTITY_SUBJECT
    audience_only = web_identity(**{"oidc.eks.example/id/X:aud": "sts.amazonaws.com"})
    assert resource_violations(rule, ROLE, {"assumeRolePolicy": document(audience_only)}) == [
        "assumeRolePolicy statement 0 lets any subject of the identity provider assume the role"
        " (no ':sub' condition)"
    ]
    pinned = web_identity(**{"oidc.eks.example/id/X:sub": "system:serviceaccount:ticketing:app"})
    assert resource_violations(rule, ROLE, {"assumeRolePolicy": document(pinned)}) == []


def test_role_trust_names_principals_not_accounts():
    rule = security.ACCOUNT_TRUST
    account = {
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
        "Action": "sts:AssumeRole",
    }
    assert resource_violations(rule, ROLE, {"assumeRolePolicy": document(account)}) == [
        "assumeRolePolicy statement 0 trusts every identity of account(s)"
        " ['arn:aws:iam::123456789012:root']"
    ]
    narrowed = {
        **account,
        "Condition": {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/ops"}},
    }
    named = {**account, "Principal": {"AWS": "arn:aws:iam::123456789012:role/ops"}}
    service = {**account, "Principal": {"Service": "ec2.amazonaws.com"}}
    assert (
        resource_violations(rule, ROLE, {"assumeRolePolicy": document(narrowed, named, service)})
        == []
    )


def test_secrets_rotate():
    rule = security.SECRET_ROTATION_RULE
    secret = stack_resource("aws:secretsmanager/secret:Secret", "app", {"arn": "arn:secret:app"})
    assert stack_violations(rule, [secret]) == [
        ("app", "no aws.secretsmanager.SecretRotation has this secret as its secretId")
    ]
    rotation = stack_resource(
        "aws:secretsmanager/secretRotation:SecretRotation", "r", {"secretId": "arn:secret:app"}
    )
    assert stack_violations(rule, [secret, rotation]) == []
