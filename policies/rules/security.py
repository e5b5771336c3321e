"""Identity and key management: IAM documents and attachments, password policy, KMS, secrets.

IAM documents are read wherever a program can put one (`aws.iam.Policy`, `RolePolicy`,
`UserPolicy`, `GroupPolicy`, a role's `inline_policies`), as JSON strings or mappings,
including `aws.iam.get_policy_document(...).json`.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from pulumi_policy import EnforcementLevel, Policy, Severity, StackValidationArgs

from policies.rule import resource_rule, stack_rule
from policies.rules.values import (
    as_list,
    attached,
    condition_keys,
    iam_document,
    identities,
    is_aws_managed_key,
    is_true,
    is_unknown,
    lookup,
    public_grants,
    statements,
    strings,
    unattached,
    with_plain_props,
)

ADVISORY = EnforcementLevel.ADVISORY
MANDATORY = EnforcementLevel.MANDATORY

POLICY = "aws:iam/policy:Policy"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
USER_POLICY = "aws:iam/userPolicy:UserPolicy"
GROUP_POLICY = "aws:iam/groupPolicy:GroupPolicy"
ROLE = "aws:iam/role:Role"
GROUP = "aws:iam/group:Group"
ACCESS_KEY = "aws:iam/accessKey:AccessKey"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
USER_POLICY_ATTACHMENT = "aws:iam/userPolicyAttachment:UserPolicyAttachment"
GROUP_POLICY_ATTACHMENT = "aws:iam/groupPolicyAttachment:GroupPolicyAttachment"
POLICY_ATTACHMENT = "aws:iam/policyAttachment:PolicyAttachment"
PASSWORD_POLICY = "aws:iam/accountPasswordPolicy:AccountPasswordPolicy"  # noqa: S105 -- a type
KMS_KEY = "aws:kms/key:Key"
SECRET = "aws:secretsmanager/secret:Secret"  # noqa: S105 -- a resource type, not a secret
SSM_PARAMETER = "aws:ssm/parameter:Parameter"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
SECRET_POLICY = "aws:secretsmanager/secretPolicy:SecretPolicy"  # noqa: S105 -- a resource type
SECRET_ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"  # noqa: S105 -- a type
WEB_IDENTITY_ACTION = "sts:assumerolewithwebidentity"
WHOLE_ACCOUNT = re.compile(r"^(\d{12}|arn:aws[a-z-]*:iam::\d{12}:root)$")
"""A trust Principal that lets every identity of the account assume the role."""
RESOURCE_POLICY_FIELDS = {
    TOPIC: "policy",
    TOPIC_POLICY: "policy",
    QUEUE: "policy",
    QUEUE_POLICY: "policy",
    KMS_KEY: "policy",
    SECRET_POLICY: "policy",
    ROLE: "assumeRolePolicy",
}
"""Where each resource keeps the policy that names who may use it (S3 bucket and ECR repository
policies have rules of their own: aws-s3-no-public-bucket-policy, aws-ecr-no-public-access)."""

IDENTITY_POLICY_TYPES = (POLICY, ROLE_POLICY, USER_POLICY, GROUP_POLICY, ROLE)
ATTACHMENT_TYPES = (
    ROLE_POLICY_ATTACHMENT,
    USER_POLICY_ATTACHMENT,
    GROUP_POLICY_ATTACHMENT,
    POLICY_ATTACHMENT,
)

ADMIN_MANAGED_POLICIES = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess")
"""AWS managed policies that hand out the account (or the means to take it)."""

MFA_CONDITION_KEY = "aws:multifactorauthpresent"
PASSED_TO_SERVICE_KEY = "iam:passedtoservice"

# ---------------------------------------------------------------- reading IAM documents


def identity_documents(props: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(where, document) for each identity policy a resource carries: `policy`, or a role's inline
    policies.
    """
    found = []
    document = iam_document(props.get("policy"))
    if document is not None:
        found.append(("policy", document))
    for index, inline in enumerate(as_list(props.get("inlinePolicies"))):
        document = iam_document(lookup(inline, "policy"))
        if document is not None:
            found.append((f"inline policy {lookup(inline, 'name') or index!r}", document))
    return found


def _statement_label(where: str, index: int, statement: Mapping[str, Any]) -> str:
    sid = statement.get("Sid")
    return (
        f"{where} statement {sid!r}"
        if isinstance(sid, str) and sid
        else f"{where} statement #{index}"
    )


def _is_allow(statement: Mapping[str, Any]) -> bool:
    return str(statement.get("Effect", "")).lower() == "allow"


def _action_matches(pattern: str, action: str) -> bool:
    return fnmatch.fnmatchcase(action.lower(), pattern.lower())


def allows_action(statement: Mapping[str, Any], action: str) -> bool:
    """Whether an Allow statement grants `action` (wildcards in Action, or an Allow NotAction that
    does not exclude it).
    """
    if not _is_allow(statement):
        return False
    if "NotAction" in statement:
        return not any(
            _action_matches(pattern, action) for pattern in strings(statement.get("NotAction"))
        )
    return any(_action_matches(pattern, action) for pattern in strings(statement.get("Action")))


def on_all_resources(statement: Mapping[str, Any]) -> bool:
    return "*" in strings(statement.get("Resource")) or "NotResource" in statement


def _allow_statements(props: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for where, document in identity_documents(props):
        for index, statement in enumerate(statements(document)):
            if _is_allow(statement):
                yield _statement_label(where, index, statement), statement


def _denied_in_document(props: Mapping[str, Any], action: str) -> bool:
    return any(
        str(statement.get("Effect", "")).lower() == "deny"
        and any(_action_matches(pattern, action) for pattern in strings(statement.get("Action")))
        for _, document in identity_documents(props)
        for statement in statements(document)
    )


# ---------------------------------------------------------------- document rules


def _wildcard_grants(props: Mapping[str, Any], _args: Any) -> Iterator[str]:
    for label, statement in _allow_statements(props):
        if not on_all_resources(statement):
            continue
        if "NotAction" in statement:
            yield (
                f"{label} allows everything except NotAction {strings(statement.get('NotAction'))}"
                " on Resource '*'"
            )
            continue
        wildcards = [
            action
            for action in strings(statement.get("Action"))
            if action == "*" or action.endswith(":*")
        ]
        if wildcards:
            yield f"{label} allows {wildcards} on Resource '*'"


def _unrestricted_pass_role(props: Mapping[str, Any], _args: Any) -> Iterator[str]:
    for label, statement in _allow_statements(props):
        if allows_action(statement, "iam:PassRole") and on_all_resources(statement):
            restricted = (
                " (iam:PassedToService limits the service, not the role)"
                if PASSED_TO_SERVICE_KEY in condition_keys(statement)
                else ""
            )
            yield (
                f"{label} allows iam:PassRole via {strings(statement.get('Action')) or 'NotAction'}"
                f" on Resource '*'{restricted}"
            )


def _s3_full_access(props: Mapping[str, Any], _args: Any) -> Iterator[str]:
    if _denied_in_document(props, "s3:*"):
        return
    for label, statement in _allow_statements(props):
        full = [action for action in strings(statement.get("Action")) if action.lower() == "s3:*"]
        if full:
            yield (
                f"{label} allows {full[0]!r} on"
                f" {strings(statement.get('Resource')) or 'NotResource'}"
            )


def _s3_read_write_everywhere(props: Mapping[str, Any], _args: Any) -> Iterator[str]:
    for label, statement in _allow_statements(props):
        if (
            on_all_resources(statement)
            and allows_action(statement, "s3:GetObject")
            and allows_action(statement, "s3:PutObject")
        ):
            yield (
                f"{label} allows both s3:Get* and s3:Put* (actions"
                f" {strings(statement.get('Action')) or 'NotAction'}) on Resource '*'"
            )


WILDCARD_ONLY_ACTIONS_FILE = Path(__file__).with_name("wildcard_only_actions.txt")


def load_wildcard_only_actions(path: Path = WILDCARD_ONLY_ACTIONS_FILE) -> frozenset[str]:
    """Lowercased IAM actions that accept only Resource '*' (from checkov's IAM data)."""
    return frozenset(
        line.strip().lower()
        for line in path.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )


WILDCARD_ONLY_ACTIONS = load_wildcard_only_actions()
KNOWN_SERVICES = frozenset(action.split(":", 1)[0] for action in WILDCARD_ONLY_ACTIONS)


def _restrictable_actions_on_everything(props: Mapping[str, Any], _args: Any) -> Iterator[str]:
    """Named actions (no wildcards: aws-iam-no-policy-wildcards judges those) of a known service
    that take a resource ARN, granted on Resource '*'."""
    for label, statement in _allow_statements(props):
        if "*" not in strings(statement.get("Resource")):
            continue
        restrictable = [
            action
            for action in strings(statement.get("Action"))
            if "*" not in action
            and action.split(":", 1)[0].lower() in KNOWN_SERVICES
            and action.lower() not in WILDCARD_ONLY_ACTIONS
        ]
        if restrictable:
            yield f"{label} allows {restrictable} on Resource '*'; they accept resource ARNs"


def _user_attached_policy(props: Mapping[str, Any], args: Any) -> Iterator[str]:
    if args.resource_type == POLICY_ATTACHMENT:
        users = strings(props.get("users"))
        if users:
            yield f"policy {props.get('policyArn')!r} is attached directly to users {users}"
        return
    yield f"policy is attached directly to user {props.get('user')!r}"


def _admin_policy_name(arn: Any) -> str | None:
    if not isinstance(arn, str) or is_unknown(arn):
        return None
    for name in ADMIN_MANAGED_POLICIES:
        if arn.endswith(f":iam::aws:policy/{name}"):
            return name
    return None


def _admin_attachments(props: Mapping[str, Any], args: Any) -> Iterator[str]:
    arns = (
        strings(props.get("managedPolicyArns"))
        if args.resource_type == ROLE
        else [props.get("policyArn")]
    )
    for arn in arns:
        if _admin_policy_name(arn):
            yield f"attaches AWS managed admin policy {arn!r}"


RESTRICTABLE_ACTIONS = resource_rule(
    name="aws-iam-scope-restrictable-actions",
    description=(
        "IAM policies grant actions that accept a resource ARN on named resources, not on '*'."
    ),
    severity=Severity.MEDIUM,
    enforcement=ADVISORY,
    resource_types=(POLICY, ROLE_POLICY, USER_POLICY, GROUP_POLICY, ROLE),
    remediation=(
        "move the flagged actions to a statement whose `Resource` lists the ARNs they act on"
        " (e.g. `arn:aws:eks:<region>:<account>:nodegroup/<cluster>/<group>/*`); keep '*' only"
        " for actions listed in policies/rules/wildcard_only_actions.txt"
    ),
    checkov_ids=[
        "CKV_AWS_355",
        "CKV_AWS_286",
        "CKV_AWS_287",
        "CKV_AWS_288",
        "CKV_AWS_289",
        "CKV_AWS_290",
    ],
    check=with_plain_props(_restrictable_actions_on_everything),
)

WILDCARD_POLICY = resource_rule(
    name="aws-iam-no-policy-wildcards",
    description=(
        "IAM policies must not allow every action, or every action of a service, on every resource."
    ),
    severity=Severity.HIGH,
    enforcement=MANDATORY,
    resource_types=IDENTITY_POLICY_TYPES,
    remediation=(
        "list the exact actions and resource ARNs in the `policy` document (or"
        " `inline_policies[].policy`) of aws.iam.Policy/RolePolicy/UserPolicy/GroupPolicy/Role;"
        " never `*` or `service:*` with Resource `*`"
    ),
    trivy_ids=["AVD-AWS-0057"],
    checkov_ids=["CKV_AWS_62", "CKV_AWS_63", "CKV2_AWS_40"],
    check=with_plain_props(_wildcard_grants),
)

PASS_ROLE = resource_rule(
    name="aws-iam-filter-passrole-access",
    description="IAM policies must not allow iam:PassRole on every role.",
    severity=Severity.HIGH,
    enforcement=MANDATORY,
    resource_types=IDENTITY_POLICY_TYPES,
    remediation=(
        "in the `policy` document, scope `iam:PassRole` to the exact role ARNs in `Resource` "
        "(and add an `iam:PassedToService` condition)"
    ),
    trivy_ids=["AVD-AWS-0342"],
    checkov_ids=["CKV_AWS_286"],
    check=with_plain_props(_unrestricted_pass_role),
)

S3_FULL_ACCESS = resource_rule(
    name="aws-iam-no-s3-full-access",
    description="IAM policies must not grant s3:*.",
    severity=Severity.HIGH,
    enforcement=MANDATORY,
    resource_types=IDENTITY_POLICY_TYPES,
    remediation=(
        "in the `policy` document, replace `s3:*` with the object/bucket actions the workload needs"
    ),
    trivy_ids=["AVD-AWS-0345"],
    check=with_plain_props(_s3_full_access),
)

S3_READ_WRITE_EVERYWHERE = resource_rule(
    name="aws-iam-unauthorized-bucket-access",
    description="IAM policies must not allow both reading and writing objects in every bucket.",
    severity=Severity.HIGH,
    enforcement=MANDATORY,
    resource_types=IDENTITY_POLICY_TYPES,
    remediation=(
        "in the `policy` document, set `Resource` to the workload's bucket ARNs"
        " (`arn:aws:s3:::name/*`) instead of `*`"
    ),
    trivy_ids=["AVD-AWS-0346"],
    check=with_plain_props(_s3_read_write_everywhere),
)

ADMIN_ATTACHMENT = resource_rule(
    name="aws-iam-no-admin-managed-policy",
    description=(
        "No role, user or group gets AdministratorAccess, PowerUserAccess or IAMFullAccess."
    ),
    severity=Severity.CRITICAL,
    enforcement=MANDATORY,
    resource_types=(*ATTACHMENT_TYPES, ROLE),
    remediation=(
        "set `policy_arn` (aws.iam.*PolicyAttachment) or `managed_policy_arns` (aws.iam.Role) to a "
        "least-privilege policy instead of an AWS managed admin policy"
    ),
    checkov_ids=["CKV_AWS_274", "CKV2_AWS_56"],
    check=with_plain_props(_admin_attachments),
)

USER_ATTACHED_POLICY = resource_rule(
    name="aws-iam-no-user-attached-policies",
    description="Permissions go to groups or roles, not directly to users.",
    severity=Severity.LOW,
    enforcement=ADVISORY,
    resource_types=(USER_POLICY, USER_POLICY_ATTACHMENT, POLICY_ATTACHMENT),
    remediation=(
        "attach the policy to an aws.iam.Group (`group`) the user belongs to, or to a role, instead"
        " of `user`/`users`"
    ),
    trivy_ids=["AVD-AWS-0143"],
    check=with_plain_props(_user_attached_policy),
)

# ---------------------------------------------------------------- groups and users (stack rules)


def _resources(args: StackValidationArgs, *types: str) -> list[Any]:
    return [resource for resource in args.resources if resource.resource_type in types]


def _enforces_mfa(policy: Any) -> bool:
    document = iam_document(lookup(policy.props, "policy"))
    return any(MFA_CONDITION_KEY in condition_keys(statement) for statement in statements(document))


def _groups_without_mfa(args: StackValidationArgs) -> Iterator[tuple[Any, str]]:
    groups = _resources(args, GROUP)
    by_group, undecided = attached(
        groups, _resources(args, GROUP_POLICY), "group", lambda group: identities(group, "name")
    )
    if undecided:
        return
    for group in groups:
        policies = by_group[group.urn]
        if not any(_enforces_mfa(policy) for policy in policies):
            names = [policy.name for policy in policies]
            yield (
                group,
                (
                    f"no policy of group {group.name!r} (inline policies: {names}) has an"
                    " aws:MultiFactorAuthPresent condition"
                ),
            )


def _is_active_key(key: Any) -> bool:
    status = lookup(key.props, "status")
    return status is None or is_unknown(status) or str(status) == "Active"


def _users_with_several_keys(args: StackValidationArgs) -> Iterator[tuple[Any, str]]:
    keys = [key for key in _resources(args, ACCESS_KEY) if _is_active_key(key)]
    by_user: dict[str, list[Any]] = {}
    for key in keys:
        user = lookup(key.props, "user")
        if isinstance(user, str) and not is_unknown(user):
            by_user.setdefault(user, []).append(key)
    for user, user_keys in by_user.items():
        if len(user_keys) > 1:
            for key in user_keys:
                yield (
                    key,
                    (
                        f"user {user!r} has {len(user_keys)} active access keys:"
                        f" {[other.name for other in user_keys]}"
                    ),
                )


GROUP_MFA = stack_rule(
    name="aws-iam-enforce-group-mfa",
    description="Every IAM group has a policy that requires MFA.",
    severity=Severity.MEDIUM,
    enforcement=ADVISORY,
    resource_types=(GROUP, GROUP_POLICY),
    remediation=(
        "add an aws.iam.GroupPolicy (`group`, `policy`) that denies actions when"
        " `aws:MultiFactorAuthPresent` is false"
    ),
    trivy_ids=["AVD-AWS-0123"],
    check=_groups_without_mfa,
)

ONE_ACCESS_KEY = stack_rule(
    name="aws-iam-limit-user-access-keys",
    description="An IAM user has at most one active access key.",
    severity=Severity.LOW,
    enforcement=ADVISORY,
    resource_types=(ACCESS_KEY,),
    remediation=(
        'keep one aws.iam.AccessKey per `user`; set `status="Inactive"` on the old key while'
        " rotating"
    ),
    trivy_ids=["AVD-AWS-0167"],
    check=_users_with_several_keys,
)

# ---------------------------------------------------------------- account password policy


def _password_rule(
    name: str,
    trivy_id: str,
    field: str,
    argument: str,
    description: str,
    violates: Callable[[Any], bool],
    expected: str,
) -> Any:
    def check(props: Mapping[str, Any], _args: Any) -> Iterator[str]:
        value = props.get(field)
        if not is_unknown(value) and violates(value):
            yield f"{field} is {value!r}; {expected}"

    return resource_rule(
        name=name,
        description=description,
        severity=Severity.MEDIUM,
        enforcement=ADVISORY,
        resource_types=(PASSWORD_POLICY,),
        remediation=f"set `{argument}` on aws.iam.AccountPasswordPolicy ({expected})",
        trivy_ids=[trivy_id],
        check=with_plain_props(check),
    )


def _below(minimum: int) -> Callable[[Any], bool]:
    return lambda value: (
        not isinstance(value, (int, float)) or isinstance(value, bool) or value < minimum
    )


def _above(maximum: int) -> Callable[[Any], bool]:
    return lambda value: (
        not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 < value <= maximum
    )


def _not_required(value: Any) -> bool:
    return not is_true(value)


PASSWORD_RULES = [
    _password_rule(
        "aws-iam-no-password-reuse",
        "AVD-AWS-0056",
        "passwordReusePrevention",
        "password_reuse_prevention",
        "The password policy forbids reusing the last 5 passwords.",
        _below(5),
        "expected at least 5",
    ),
    _password_rule(
        "aws-iam-require-lowercase-in-passwords",
        "AVD-AWS-0058",
        "requireLowercaseCharacters",
        "require_lowercase_characters=True",
        "Passwords must contain a lowercase letter.",
        _not_required,
        "expected True",
    ),
    _password_rule(
        "aws-iam-require-numbers-in-passwords",
        "AVD-AWS-0059",
        "requireNumbers",
        "require_numbers=True",
        "Passwords must contain a number.",
        _not_required,
        "expected True",
    ),
    _password_rule(
        "aws-iam-require-symbols-in-passwords",
        "AVD-AWS-0060",
        "requireSymbols",
        "require_symbols=True",
        "Passwords must contain a symbol.",
        _not_required,
        "expected True",
    ),
    _password_rule(
        "aws-iam-require-uppercase-in-passwords",
        "AVD-AWS-0061",
        "requireUppercaseCharacters",
        "require_uppercase_characters=True",
        "Passwords must contain an uppercase letter.",
        _not_required,
        "expected True",
    ),
    _password_rule(
        "aws-iam-set-max-password-age",
        "AVD-AWS-0062",
        "maxPasswordAge",
        "max_password_age",
        "Passwords expire within 90 days.",
        _above(90),
        "expected 1 to 90 days",
    ),
    _password_rule(
        "aws-iam-set-minimum-password-length",
        "AVD-AWS-0063",
        "minimumPasswordLength",
        "minimum_password_length",
        "Passwords are at least 14 characters long.",
        _below(14),
        "expected at least 14",
    ),
]

# ---------------------------------------------------------------- KMS and secrets

ROTATABLE_KEY_SPEC = "SYMMETRIC_DEFAULT"
"""KMS rotates only symmetric encryption keys; asymmetric and HMAC keys cannot rotate."""


def _key_without_rotation(props: Mapping[str, Any], _args: Any) -> Iterator[str]:
    spec = props.get("customerMasterKeySpec") or ROTATABLE_KEY_SPEC
    usage = props.get("keyUsage") or "ENCRYPT_DECRYPT"
    if (
        is_unknown(spec)
        or is_unknown(usage)
        or spec != ROTATABLE_KEY_SPEC
        or usage != "ENCRYPT_DECRYPT"
    ):
        return
    rotation = props.get("enableKeyRotation")
    if not is_unknown(rotation) and not is_true(rotation):
        yield f"enableKeyRotation is {rotation!r} on a symmetric encryption key"


def _key_without_policy(props: Mapping[str, Any], _args: Any) -> Iterator[str]:
    policy = props.get("policy")
    if not is_unknown(policy) and not policy:
        yield (
            f"policy is {policy!r}: the key gets AWS's default policy, which lets any IAM"
            " principal of the account with kms:* permissions use and administer it"
        )


def _disabled_key(props: Mapping[str, Any], _args: Any) -> Iterator[str]:
    enabled = props.get("isEnabled")
    if enabled is not None and not is_unknown(enabled) and not is_true(enabled):
        yield f"isEnabled is {enabled!r}: nothing can decrypt with the key"


def _unpinned_web_identity_trust(props: Mapping[str, Any], _args: Any) -> Iterator[str]:
    """OIDC federation (EKS IRSA, GitHub Actions): without a `<provider>:sub` condition every
    identity the provider issues tokens to may assume the role."""
    document = iam_document(props.get("assumeRolePolicy"))
    for index, statement in enumerate(statements(document)):
        actions = {action.lower() for action in strings(statement.get("Action"))}
        if (
            str(statement.get("Effect", "")).lower() != "allow"
            or WEB_IDENTITY_ACTION not in actions
        ):
            continue
        if not any(key.endswith(":sub") for key in condition_keys(statement)):
            yield (
                f"assumeRolePolicy statement {statement.get('Sid') or index!r} lets any subject of"
                " the identity provider assume the role (no ':sub' condition)"
            )


def _trusts_whole_account(props: Mapping[str, Any], _args: Any) -> Iterator[str]:
    for index, statement in enumerate(statements(iam_document(props.get("assumeRolePolicy")))):
        principal = statement.get("Principal")
        accounts = [
            arn
            for arn in strings(principal.get("AWS") if isinstance(principal, Mapping) else None)
            if WHOLE_ACCOUNT.match(arn)
        ]
        narrowed = {"aws:principalarn", "aws:principaltag"} & {
            key.split("/")[0] for key in condition_keys(statement)
        }
        if str(statement.get("Effect", "")).lower() == "allow" and accounts and not narrowed:
            yield (
                f"assumeRolePolicy statement {statement.get('Sid') or index!r} trusts every"
                f" identity of account(s) {accounts}"
            )


def _secrets_without_rotation(args: StackValidationArgs) -> Iterator[tuple[Any, str]]:
    secrets = [resource for resource in args.resources if resource.resource_type == SECRET]
    rotations = [r for r in args.resources if r.resource_type == SECRET_ROTATION]
    for secret in unattached(secrets, rotations, "secretId"):
        yield secret, "no aws.secretsmanager.SecretRotation has this secret as its secretId"


def _secret_without_customer_key(props: Mapping[str, Any], args: Any) -> Iterator[str]:
    if args.resource_type == SSM_PARAMETER:
        kind, key = props.get("type"), props.get("keyId")
        if kind == "SecureString" and not is_unknown(key) and is_aws_managed_key(key, "ssm"):
            yield f"SecureString parameter keyId is {key!r} (the AWS managed key)"
        return
    key = props.get("kmsKeyId")
    if not is_unknown(key) and is_aws_managed_key(key, "secretsmanager"):
        yield f"kmsKeyId is {key!r} (the AWS managed key)"


def _public_resource_grants(props: Mapping[str, Any], args: Any) -> Iterator[str]:
    field = RESOURCE_POLICY_FIELDS[args.resource_type]
    for index, statement in enumerate(public_grants(iam_document(props.get(field)))):
        yield (
            f"{field} statement {statement.get('Sid') or index!r} allows"
            f" {strings(statement.get('Action')) or 'NotAction'} to Principal"
            f" {statement.get('Principal')!r} without a condition that narrows who"
        )


PUBLIC_RESOURCE_POLICY = resource_rule(
    name="aws-iam-no-public-resource-policy",
    description=(
        "Topic, queue, key and secret policies and role trust policies grant nothing to any"
        " principal ('*' or {'AWS': '*'}) without a condition that narrows who."
    ),
    severity=Severity.CRITICAL,
    enforcement=MANDATORY,
    resource_types=tuple(RESOURCE_POLICY_FIELDS),
    remediation=(
        "name the principals (account, role or service) in the `policy` of aws.sns.Topic /"
        " TopicPolicy, aws.sqs.Queue / QueuePolicy, aws.kms.Key, aws.secretsmanager.SecretPolicy"
        " and the `assume_role_policy` of aws.iam.Role, or add a condition such as"
        " `aws:SourceArn`, `aws:SourceAccount` or `aws:PrincipalOrgID`"
    ),
    checkov_ids=["CKV_AWS_169", "CKV_AWS_168", "CKV_AWS_33", "CKV_AWS_60"],
    check=with_plain_props(_public_resource_grants),
)

KMS_ROTATION = resource_rule(
    name="aws-kms-auto-rotate-keys",
    description="Customer managed KMS keys rotate automatically.",
    severity=Severity.MEDIUM,
    enforcement=MANDATORY,
    resource_types=(KMS_KEY,),
    remediation="set `enable_key_rotation=True` on aws.kms.Key",
    trivy_ids=["AVD-AWS-0065"],
    checkov_ids=["CKV_AWS_7"],
    check=with_plain_props(_key_without_rotation),
)

KMS_KEY_POLICY = resource_rule(
    name="aws-kms-explicit-key-policy",
    description="Customer managed KMS keys carry an explicit key policy.",
    severity=Severity.LOW,
    enforcement=ADVISORY,
    resource_types=(KMS_KEY,),
    remediation=(
        "set `policy` on aws.kms.Key: the account root administers, each service principal or"
        " role gets only the data-key actions it needs (see components/kms.py)"
    ),
    checkov_ids=["CKV2_AWS_64"],
    check=with_plain_props(_key_without_policy),
)

KMS_KEY_ENABLED = resource_rule(
    name="aws-kms-key-enabled",
    description="Customer managed KMS keys are enabled.",
    severity=Severity.LOW,
    enforcement=ADVISORY,
    resource_types=(KMS_KEY,),
    remediation="leave `is_enabled` unset or True on aws.kms.Key (schedule deletion instead)",
    checkov_ids=["CKV_AWS_227"],
    check=with_plain_props(_disabled_key),
)

WEB_IDENTITY_SUBJECT = resource_rule(
    name="aws-iam-web-identity-trust-pins-subject",
    description=(
        "Roles assumed with web identity (IRSA, GitHub Actions) name the subject they trust."
    ),
    severity=Severity.HIGH,
    enforcement=ADVISORY,
    resource_types=(ROLE,),
    remediation=(
        "add `Condition: {StringEquals: {'<provider>:sub': 'system:serviceaccount:<ns>:<name>',"
        " '<provider>:aud': 'sts.amazonaws.com'}}` to the `assume_role_policy` of aws.iam.Role"
    ),
    checkov_ids=["CKV_AWS_393"],
    check=with_plain_props(_unpinned_web_identity_trust),
)

ACCOUNT_TRUST = resource_rule(
    name="aws-iam-role-trust-names-principals",
    description=(
        "Role trust policies name the roles or users that may assume them, not a whole account."
    ),
    severity=Severity.MEDIUM,
    enforcement=ADVISORY,
    resource_types=(ROLE,),
    remediation=(
        "name role ARNs as Principal in the `assume_role_policy` of aws.iam.Role, or keep the"
        " account and add an `aws:PrincipalArn` condition"
    ),
    checkov_ids=["CKV_AWS_61"],
    check=with_plain_props(_trusts_whole_account),
)

SECRET_ROTATION_RULE = stack_rule(
    name="aws-secretsmanager-rotation",
    description="Secrets Manager secrets rotate automatically.",
    severity=Severity.MEDIUM,
    enforcement=ADVISORY,
    resource_types=(SECRET, SECRET_ROTATION),
    remediation=(
        "add an aws.secretsmanager.SecretRotation with `secret_id=secret.id`, a"
        " `rotation_lambda_arn` and `rotation_rules={'automatically_after_days': 30}`"
    ),
    checkov_ids=["CKV2_AWS_57"],
    check=_secrets_without_rotation,
)

SECRET_CUSTOMER_KEY = resource_rule(
    name="aws-ssm-secret-use-customer-key",
    description=(
        "Secrets Manager secrets and SecureString parameters are encrypted with a customer managed"
        " KMS key."
    ),
    severity=Severity.LOW,
    enforcement=ADVISORY,
    resource_types=(SECRET, SSM_PARAMETER),
    remediation=(
        "set `kms_key_id` on aws.secretsmanager.Secret, or `key_id` on aws.ssm.Parameter, to a"
        " customer managed aws.kms.Key"
    ),
    trivy_ids=["AVD-AWS-0098"],
    checkov_ids=["CKV_AWS_149"],
    check=with_plain_props(_secret_without_customer_key),
)

POLICIES: list[Policy] = [
    WILDCARD_POLICY,
    PASS_ROLE,
    S3_FULL_ACCESS,
    S3_READ_WRITE_EVERYWHERE,
    ADMIN_ATTACHMENT,
    USER_ATTACHED_POLICY,
    GROUP_MFA,
    ONE_ACCESS_KEY,
    *PASSWORD_RULES,
    RESTRICTABLE_ACTIONS,
    PUBLIC_RESOURCE_POLICY,
    KMS_ROTATION,
    KMS_KEY_POLICY,
    KMS_KEY_ENABLED,
    WEB_IDENTITY_SUBJECT,
    ACCOUNT_TRUST,
    SECRET_ROTATION_RULE,
    SECRET_CUSTOMER_KEY,
]
