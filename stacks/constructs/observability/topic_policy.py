"""Who may publish to the alert topic and use its key: CloudWatch alarms of this account and
the one AMP workspace, nobody else by resource policy (the account's own principals by IAM).

- CloudWatch: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html
  (an encrypted topic needs kms:Decrypt and kms:GenerateDataKey* for cloudwatch.amazonaws.com).
- AMP Alertmanager: https://docs.aws.amazon.com/prometheus/latest/userguide/AMP-alertmanager-receiver-AMPpermission.html
  (sns:Publish and sns:GetTopicAttributes for aps.amazonaws.com, scoped by aws:SourceArn
  and aws:SourceAccount; the same two KMS actions for an encrypted topic).
"""

from __future__ import annotations

from stacks.constructs.iam import Statement

CLOUDWATCH = "cloudwatch.amazonaws.com"
PROMETHEUS = "aps.amazonaws.com"


def key_statements(*, account_id: str) -> list[Statement]:
    return [
        {
            "sid": "AccountAdministers",
            "actions": ["kms:*"],
            "resources": ["*"],
            "principals": [{"type": "AWS", "identifiers": [f"arn:aws:iam::{account_id}:root"]}],
        },
        {
            "sid": "PublishersEncrypt",
            "actions": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "resources": ["*"],
            "principals": [{"type": "Service", "identifiers": [CLOUDWATCH, PROMETHEUS]}],
        },
    ]


def topic_statements(*, topic_arn: str, workspace_arn: str, account_id: str, region: str) -> list[Statement]:
    same_account = {"test": "StringEquals", "variable": "aws:SourceAccount", "values": [account_id]}
    return [
        {
            "sid": "CloudWatchAlarmsPublish",
            "actions": ["sns:Publish"],
            "resources": [topic_arn],
            "principals": [{"type": "Service", "identifiers": [CLOUDWATCH]}],
            "condition": [
                same_account,
                {
                    "test": "ArnLike",
                    "variable": "aws:SourceArn",
                    "values": [f"arn:aws:cloudwatch:{region}:{account_id}:alarm:*"],
                },
            ],
        },
        {
            "sid": "AlertmanagerPublishes",
            "actions": ["sns:Publish", "sns:GetTopicAttributes"],
            "resources": [topic_arn],
            "principals": [{"type": "Service", "identifiers": [PROMETHEUS]}],
            "condition": [same_account, {"test": "ArnEquals", "variable": "aws:SourceArn", "values": [workspace_arn]}],
        },
    ]
