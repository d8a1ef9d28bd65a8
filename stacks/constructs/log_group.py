"""A CloudWatch log group with the retention and encryption every log here must have."""

from __future__ import annotations

from typing import Any

from constructs import Construct

from stacks.bindings import aws
from stacks.constructs.iam import Statement


def encrypted_log_group(scope: Construct, id_: str, *, name: str, retention_days: int, key_arn: str) -> Any:
    return aws.cloudwatch_log_group.CloudwatchLogGroup(
        scope, id_, name=name, retention_in_days=retention_days, kms_key_id=key_arn
    )


def write_logs_statement(group_arn: str, *actions: str) -> Statement:
    """Write streams of one log group (plus any extra log `actions` a writer needs)."""
    return {
        "sid": "WriteLogs",
        "actions": ["logs:CreateLogStream", "logs:PutLogEvents", *actions],
        "resources": [group_arn, f"{group_arn}:*"],
    }
