"""The log groups Container Insights writes to, created before the add-on that writes them.

The amazon-cloudwatch-observability add-on (core_addons.py) would otherwise create them
itself: unencrypted and kept forever. Created here first, they carry the environment's
retention and a customer key; Fluent Bit and the agent only write streams into them.
Names: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-setup-logs-FluentBit.html
On Amazon Linux 2023 nodes `dataplane` and `host` stay empty until the add-on reads the
journal (same page); they are created anyway so nothing unencrypted appears later.
"""

from __future__ import annotations

from typing import Any

from constructs import Construct

from stacks.constructs.encryption_key import EncryptionKey
from stacks.constructs.log_group import encrypted_log_group

LOG_KINDS = ("application", "dataplane", "host", "performance")


def log_group_name(cluster_name: str, kind: str) -> str:
    return f"/aws/containerinsights/{cluster_name}/{kind}"


class ContainerInsightsLogs(Construct):
    def __init__(
        self, scope: Construct, id_: str, *, cluster_name: str, retention_days: int, account_id: str, region: str
    ) -> None:
        super().__init__(scope, id_)
        key = EncryptionKey(
            self,
            "key",
            alias=f"{cluster_name}-container-logs",
            description=f"{cluster_name} container, node and performance logs (Container Insights)",
            account_id=account_id,
            region=region,
            for_cloudwatch_logs=True,
        )
        self.log_groups: list[Any] = [
            encrypted_log_group(
                self, kind, name=log_group_name(cluster_name, kind), retention_days=retention_days, key_arn=key.arn
            )
            for kind in LOG_KINDS
        ]
