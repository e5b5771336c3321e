"""Log buckets: private, versioned, encrypted, TLS-only, expiring; pulumi-aws 7 keeps each setting
its own resource.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class Writer:
    """Who may put objects into the bucket, under which key prefix."""

    principal: Mapping[str, pulumi.Input[str]]
    prefix: str


def _bucket_policy(bucket_arn: str, writer_principal: Mapping[str, str], prefix: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": {"AWS": "*"},
                    "Action": "s3:*",
                    "Resource": [bucket_arn, f"{bucket_arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
                {
                    "Sid": "LogDelivery",
                    "Effect": "Allow",
                    "Principal": dict(writer_principal),
                    "Action": "s3:PutObject",
                    "Resource": f"{bucket_arn}/{prefix}/*",
                },
            ],
        }
    )


class LogBucket:
    """A bucket and its settings, all children of `parent`."""

    def __init__(
        self,
        name: str,
        writer: Writer,
        retention_days: int,
        parent: pulumi.Resource,
        tags: Mapping[str, str],
        server_access_log_bucket: LogBucket | None = None,
    ):
        child = pulumi.ResourceOptions(parent=parent)
        self.bucket = aws.s3.Bucket(
            name,
            force_destroy=False,
            tags=dict(tags),
            opts=child,
        )
        self.id = self.bucket.id
        self.arn = self.bucket.arn
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=self.bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=child,
        )
        aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block",
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        # Load balancer access logs can only be delivered to SSE-S3 buckets (AWS rejects
        # SSE-KMS for them).
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=self.bucket.id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"},
                    "bucket_key_enabled": True,
                }
            ],
            opts=child,
        )
        aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=self.bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=self.bucket.id,
            rules=[
                {
                    "id": "expire-logs",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "expiration": {"days": retention_days},
                    "noncurrent_version_expiration": {"noncurrent_days": 30},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
                }
            ],
            opts=child,
        )
        self.policy = aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=self.bucket.id,
            policy=pulumi.Output.all(
                self.bucket.arn, pulumi.Output.from_input(dict(writer.principal))
            ).apply(lambda values: _bucket_policy(values[0], values[1], writer.prefix)),
            opts=child,
        )
        if server_access_log_bucket is not None:
            aws.s3.BucketLogging(
                f"{name}-logging",
                bucket=self.bucket.id,
                target_bucket=server_access_log_bucket.id,
                target_prefix=f"{name}/",
                opts=child,
            )
