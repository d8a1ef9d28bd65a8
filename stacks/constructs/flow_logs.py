"""VPC flow logs to an encrypted CloudWatch log group, written by a role that can touch only it."""

from __future__ import annotations

from constructs import Construct

from stacks.bindings import aws
from stacks.constructs.iam import ServiceRole, policy_document, service_trust
from stacks.constructs.log_group import encrypted_log_group, write_logs_statement


class FlowLogs(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        vpc_id: str,
        retention_days: int,
        key_arn: str,
        account_id: str,
    ) -> None:
        super().__init__(scope, id_)
        group = encrypted_log_group(
            self, "log-group", name=f"/aws/vpc/{name}/flow-logs", retention_days=retention_days, key_arn=key_arn
        )
        writer = ServiceRole(
            self,
            "writer",
            name=f"{name}-flow-logs",
            trust=service_trust("vpc-flow-logs.amazonaws.com", account_id=account_id),
            inline_policy=policy_document(
                self,
                "write-policy",
                [write_logs_statement(group.arn, "logs:DescribeLogStreams")],
            ),
        )
        aws.flow_log.FlowLog(
            self,
            "flow-log",
            vpc_id=vpc_id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=writer.arn,
            max_aggregation_interval=60,
        )
