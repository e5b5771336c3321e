"""A hardened auto-named bucket and a careless named one, each joined to its settings by
`bucket=<bucket>.id`.
"""

import pulumi_aws as aws

key = aws.kms.Key("buckets-key", enable_key_rotation=True)

access_logs = aws.s3.Bucket("access-logs")
aws.s3.BucketPublicAccessBlock(
    "access-logs-public-access",
    bucket=access_logs.id,
    block_public_acls=True,
    block_public_policy=True,
    ignore_public_acls=True,
    restrict_public_buckets=True,
)

assets = aws.s3.Bucket("assets")
aws.s3.BucketServerSideEncryptionConfiguration(
    "assets-encryption",
    bucket=assets.id,
    rules=[
        {
            "apply_server_side_encryption_by_default": {
                "sse_algorithm": "aws:kms",
                "kms_master_key_id": key.arn,
            }
        }
    ],
)
aws.s3.BucketPublicAccessBlock(
    "assets-public-access",
    bucket=assets.id,
    block_public_acls=True,
    block_public_policy=True,
    ignore_public_acls=True,
    restrict_public_buckets=True,
)
aws.s3.BucketVersioning(
    "assets-versioning", bucket=assets.id, versioning_configuration={"status": "Enabled"}
)
aws.s3.BucketLogging(
    "assets-logging", bucket=assets.id, target_bucket=access_logs.id, target_prefix="assets/"
)

uploads = aws.s3.Bucket("uploads", bucket="tickets.uploads")
aws.s3.BucketServerSideEncryptionConfiguration(
    "uploads-encryption",
    bucket=uploads.bucket,
    rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
)
aws.s3.BucketPublicAccessBlock(
    "uploads-public-access",
    bucket=uploads.id,
    block_public_acls=False,
    block_public_policy=True,
    ignore_public_acls=True,
    restrict_public_buckets=True,
)
aws.s3.BucketAcl("uploads-acl", bucket=uploads.id, acl="public-read")

aws.cloudtrail.Trail(
    "object-events",
    s3_bucket_name=access_logs.id,
    event_selectors=[
        {
            "read_write_type": "All",
            "data_resources": [
                {"type": "AWS::S3::Object", "values": [assets.arn.apply(lambda arn: f"{arn}/")]}
            ],
        }
    ],
)
