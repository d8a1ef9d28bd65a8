"""The environment's Amazon Managed Service for Prometheus workspace: samples encrypted with a
customer key, kept `metrics_retention_days`, and the workspace's own logs (rule and
Alertmanager errors, ingestion throttling) in an encrypted log group.

The managed collector writes to a workspace with a customer key only through roles of
its own (scraper.py): https://docs.aws.amazon.com/prometheus/latest/userguide/AMP-collector-how-to.html
("Creating scraper for workspaces enabled with customer managed keys").
"""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from stacks.bindings import aws
from stacks.constructs.encryption_key import EncryptionKey
from stacks.constructs.log_group import encrypted_log_group

# A scraper tags its destination with this; set here, the next plan does not take it off
# (provider docs of aws_prometheus_scraper, "Ignoring changes to Prometheus Workspace destination").
SCRAPER_TAG = "AMPAgentlessScraper"


@dataclass(frozen=True)
class WorkspaceOutputs:
    id: str
    arn: str
    key_arn: str
    query_endpoint: str  # `<endpoint>api/v1/query` answers PromQL (SigV4-signed)


class PrometheusWorkspace(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        alias: str,
        retention_days: int,
        log_retention_days: int,
        account_id: str,
        region: str,
    ) -> None:
        super().__init__(scope, id_)
        key = EncryptionKey(
            self,
            "key",
            alias=alias,
            description=f"{alias} metrics in Amazon Managed Service for Prometheus, and its logs",
            account_id=account_id,
            region=region,
            for_cloudwatch_logs=True,
        )
        # Vended logs: AMP adds the log group's resource policy under /aws/vendedlogs/.
        logs = encrypted_log_group(
            self,
            "log-group",
            name=f"/aws/vendedlogs/prometheus/{alias}",
            retention_days=log_retention_days,
            key_arn=key.arn,
        )
        workspace = aws.prometheus_workspace.PrometheusWorkspace(
            self,
            "workspace",
            alias=alias,
            kms_key_arn=key.arn,
            logging_configuration=aws.prometheus_workspace.PrometheusWorkspaceLoggingConfiguration(
                log_group_arn=f"{logs.arn}:*"
            ),
            tags={SCRAPER_TAG: ""},
        )
        aws.prometheus_workspace_configuration.PrometheusWorkspaceConfiguration(
            self, "configuration", workspace_id=workspace.id, retention_period_in_days=retention_days
        )
        self.outputs = WorkspaceOutputs(
            id=workspace.id,
            arn=workspace.arn,
            key_arn=key.arn,
            query_endpoint=f"{workspace.prometheus_endpoint}api/v1/query",
        )
