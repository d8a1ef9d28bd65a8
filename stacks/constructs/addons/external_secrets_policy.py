"""IAM policy of External Secrets: read the RDS-managed secret and the environment's own prefix.

No `ListSecrets`, no other secret: an ExternalSecret that names anything else fails
with AccessDenied. Decrypting is allowed only through Secrets Manager, and only with the
keys those secrets are encrypted with.
"""

from __future__ import annotations

from collections.abc import Sequence

from stacks.constructs.iam import Statement


def secret_prefix_arn(*, region: str, account_id: str, prefix: str) -> str:
    """Secrets named `<prefix>…`; Secrets Manager appends a random suffix to every ARN."""
    return f"arn:aws:secretsmanager:{region}:{account_id}:secret:{prefix}*"


def external_secrets_statements(
    *, readable_secret_arns: Sequence[str], key_arns: Sequence[str], region: str
) -> list[Statement]:
    return [
        {
            "sid": "ReadEnvironmentSecrets",
            "actions": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            "resources": list(readable_secret_arns),
        },
        {
            "sid": "DecryptThroughSecretsManager",
            "actions": ["kms:Decrypt"],
            "resources": list(key_arns),
            "condition": [
                {
                    "test": "StringEquals",
                    "variable": "kms:ViaService",
                    "values": [f"secretsmanager.{region}.amazonaws.com"],
                }
            ],
        },
    ]
