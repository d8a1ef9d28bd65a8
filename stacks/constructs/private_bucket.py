"""An S3 bucket nobody reaches by accident: private, KMS-encrypted, versioned, TLS-only."""

from __future__ import annotations

from constructs import Construct

from stacks.bindings import aws
from stacks.constructs.iam import policy_document


class PrivateBucket(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        key_arn: str,
        noncurrent_days: int,
        expire_days: int | None = None,
        force_destroy: bool = False,
    ) -> None:
        super().__init__(scope, id_)
        self.bucket = aws.s3_bucket.S3Bucket(self, "bucket", bucket=name, force_destroy=force_destroy)
        aws.s3_bucket_ownership_controls.S3BucketOwnershipControls(
            self, "ownership", bucket=self.bucket.id, rule={"object_ownership": "BucketOwnerEnforced"}
        )
        aws.s3_bucket_public_access_block.S3BucketPublicAccessBlock(
            self,
            "public-access-block",
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
        aws.s3_bucket_versioning.S3BucketVersioningA(
            self, "versioning", bucket=self.bucket.id, versioning_configuration={"status": "Enabled"}
        )
        sse = aws.s3_bucket_server_side_encryption_configuration
        sse.S3BucketServerSideEncryptionConfigurationA(
            self,
            "encryption",
            bucket=self.bucket.id,
            rule=[
                sse.S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default={"sse_algorithm": "aws:kms", "kms_master_key_id": key_arn},
                    bucket_key_enabled=True,
                )
            ],
        )
        lifecycle = aws.s3_bucket_lifecycle_configuration
        rule: dict[str, object] = {
            "id": "expire-old-versions",
            "status": "Enabled",
            "filter": [lifecycle.S3BucketLifecycleConfigurationRuleFilter(prefix="")],
            "noncurrent_version_expiration": [
                lifecycle.S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(noncurrent_days=noncurrent_days)
            ],
            "abort_incomplete_multipart_upload": [
                lifecycle.S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(days_after_initiation=7)
            ],
        }
        if expire_days is not None:
            rule["expiration"] = [lifecycle.S3BucketLifecycleConfigurationRuleExpiration(days=expire_days)]
        lifecycle.S3BucketLifecycleConfiguration(
            self, "lifecycle", bucket=self.bucket.id, rule=[lifecycle.S3BucketLifecycleConfigurationRule(**rule)]
        )
        aws.s3_bucket_policy.S3BucketPolicy(
            self,
            "tls-only",
            bucket=self.bucket.id,
            policy=policy_document(
                self,
                "tls-only-policy",
                [
                    {
                        "sid": "DenyInsecureTransport",
                        "effect": "Deny",
                        "actions": ["s3:*"],
                        "resources": [self.bucket.arn, f"{self.bucket.arn}/*"],
                        "principals": [{"type": "*", "identifiers": ["*"]}],
                        "condition": [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}],
                    }
                ],
            ),
        )

    @property
    def arn(self) -> str:
        return str(self.bucket.arn)

    @property
    def name(self) -> str:
        return str(self.bucket.id)
