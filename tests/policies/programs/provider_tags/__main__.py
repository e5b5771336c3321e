"""Tags that come only from AWS providers' `default_tags`: the stack's default provider (config
`aws:defaultTags`), an explicit provider that sets them, and one that does not."""

import pulumi
import pulumi_aws as aws

tagged = aws.Provider(
    "tagged",
    region="ap-northeast-2",
    default_tags={"tags": {"environment": "test", "system": "ticketing", "role": "logs"}},
)
untagged = aws.Provider("untagged", region="ap-northeast-2")

aws.s3.Bucket("by-default-provider")
aws.s3.Bucket("by-tagged-provider", opts=pulumi.ResourceOptions(provider=tagged))
aws.s3.Bucket("by-untagged-provider", opts=pulumi.ResourceOptions(provider=untagged))
