"""One scoped role, and the usual shortcuts: an admin attachment, a wildcard document, an
unrestricted PassRole.

Documents are JSON text, as `get_policy_document(...).json` gives them (the offline mocks echo
inputs as outputs, so a mapping `policy` would fail the SDK's output type check here; unit tests
cover mappings).
"""

import json

import pulumi_aws as aws

worker = aws.iam.Role(
    "worker",
    assume_role_policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "sts:AssumeRole",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                }
            ],
        }
    ),
)

aws.iam.RolePolicy(
    "worker-tables",
    role=worker.id,
    policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
                    "Resource": "arn:aws:dynamodb:ap-northeast-2:123456789012:table/tickets",
                }
            ],
        }
    ),
)
aws.iam.RolePolicy(
    "worker-everything",
    role=worker.id,
    policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        }
    ),
)
aws.iam.RolePolicyAttachment(
    "worker-admin", role=worker.name, policy_arn="arn:aws:iam::aws:policy/AdministratorAccess"
)

aws.iam.Policy(
    "deployer",
    policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["iam:PassRole", "eks:UpdateNodegroupConfig"],
                    "Resource": "*",
                }
            ],
        }
    ),
)
