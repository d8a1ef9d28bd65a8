"""The two roles through which the managed collector writes to a workspace with a customer key.

AMP documents this for such workspaces: a source role the scraper assumes and a target
role the source role assumes, both in the workspace's account, the target allowed to
remote-write
(https://docs.aws.amazon.com/prometheus/latest/userguide/AMP-collector-how-to.html, cross-
account setup and "Creating scraper for workspaces enabled with customer managed keys").
The documented trusts name the scraper's ARN, which exists only after the scraper that
needs the roles: they name this account's scrapers instead (`scraper/*`).
"""

from __future__ import annotations

from stacks.constructs.iam import Statement

SCRAPER_SERVICE = "scraper.aps.amazonaws.com"


def scrapers_of(*, account_id: str, region: str) -> str:
    return f"arn:aws:aps:{region}:{account_id}:scraper/*"


def source_trust(*, account_id: str, region: str) -> Statement:
    return {
        "effect": "Allow",
        "actions": ["sts:AssumeRole"],
        "principals": [{"type": "Service", "identifiers": [SCRAPER_SERVICE]}],
        "condition": [
            {"test": "StringEquals", "variable": "aws:SourceAccount", "values": [account_id]},
            {
                "test": "ArnLike",
                "variable": "aws:SourceArn",
                "values": [scrapers_of(account_id=account_id, region=region)],
            },
        ],
    }


def source_statements(*, target_role_arn: str) -> list[Statement]:
    return [{"sid": "BecomeTheWriter", "actions": ["sts:AssumeRole"], "resources": [target_role_arn]}]


def target_trust(*, source_role_arn: str, account_id: str, region: str) -> Statement:
    return {
        "effect": "Allow",
        "actions": ["sts:AssumeRole"],
        "principals": [{"type": "AWS", "identifiers": [source_role_arn]}],
        # The scraper passes its own ARN as the external id.
        "condition": [
            {
                "test": "StringLike",
                "variable": "sts:ExternalId",
                "values": [scrapers_of(account_id=account_id, region=region)],
            }
        ],
    }


def target_statements(*, workspace_arn: str, key_arn: str, region: str) -> list[Statement]:
    return [
        {"sid": "WriteTheWorkspace", "actions": ["aps:RemoteWrite"], "resources": [workspace_arn]},
        {
            "sid": "EncryptThroughPrometheus",
            "actions": ["kms:GenerateDataKey", "kms:Decrypt"],
            "resources": [key_arn],
            "condition": [
                {"test": "StringEquals", "variable": "kms:ViaService", "values": [f"aps.{region}.amazonaws.com"]}
            ],
        },
    ]
