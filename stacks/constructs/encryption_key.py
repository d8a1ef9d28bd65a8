"""A customer-managed KMS key with rotation on, and an alias that names its purpose."""

from __future__ import annotations

from constructs import Construct

from stacks.bindings import aws
from stacks.constructs.iam import Statement, policy_document


class EncryptionKey(Construct):
    """Administered by the account (IAM decides who may use it), optionally usable by CloudWatch Logs.

    CloudWatch Logs encrypts with a key only if the key policy names the service; the
    grant is limited to log groups of this account and region by encryption context.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        alias: str,
        description: str,
        account_id: str,
        region: str,
        for_cloudwatch_logs: bool = False,
    ) -> None:
        super().__init__(scope, id_)
        statements: list[Statement] = [
            {
                "sid": "AccountAdministers",
                "actions": ["kms:*"],
                "resources": ["*"],
                "principals": [{"type": "AWS", "identifiers": [f"arn:aws:iam::{account_id}:root"]}],
            }
        ]
        if for_cloudwatch_logs:
            statements.append(
                {
                    "sid": "CloudWatchLogsEncrypts",
                    "actions": [
                        "kms:Encrypt*",
                        "kms:Decrypt*",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:Describe*",
                    ],
                    "resources": ["*"],
                    "principals": [{"type": "Service", "identifiers": [f"logs.{region}.amazonaws.com"]}],
                    "condition": [
                        {
                            "test": "ArnLike",
                            "variable": "kms:EncryptionContext:aws:logs:arn",
                            "values": [f"arn:aws:logs:{region}:{account_id}:log-group:*"],
                        }
                    ],
                }
            )
        self.key = aws.kms_key.KmsKey(
            self,
            "key",
            description=description,
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=policy_document(self, "policy", statements),
        )
        aws.kms_alias.KmsAlias(self, "alias", name=f"alias/{alias}", target_key_id=self.key.key_id)

    @property
    def arn(self) -> str:
        return str(self.key.arn)


def use_key_statement(key_arn: str) -> Statement:
    """Read and write data encrypted with one key (S3 objects, build artifacts, state)."""
    return {"sid": "UseTheKey", "actions": ["kms:Decrypt", "kms:GenerateDataKey"], "resources": [key_arn]}
