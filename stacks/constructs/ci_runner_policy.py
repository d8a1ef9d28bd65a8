"""The IAM policy of the in-VPC runner's CodeBuild service role (ci_runner.py)."""

from __future__ import annotations

from collections.abc import Sequence

from stacks.constructs.iam import Statement
from stacks.constructs.log_group import write_logs_statement


def runner_statements(
    *, log_group_arn: str, connection_arn: str, subnet_ids: Sequence[str], region: str, account_id: str
) -> list[Statement]:
    """What CodeBuild needs to run a build in the VPC and fetch its source, and nothing else."""
    ec2 = f"arn:aws:ec2:{region}:{account_id}"
    return [
        write_logs_statement(log_group_arn),
        # The VPC permissions CodeBuild documents for VPC builds:
        # https://docs.aws.amazon.com/codebuild/latest/userguide/auth-and-access-control-iam-identity-based-access-control.html#customer-managed-policies-example-create-vpc-network-interface
        # Describe calls have no resource-level permissions.
        {
            "sid": "DescribeTheNetwork",
            "actions": [
                "ec2:DescribeDhcpOptions",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcs",
            ],
            "resources": ["*"],
        },
        # The documentation grants these on "*"; every resource they are authorized
        # against (network interface, subnet, security group) is in this account and region.
        {
            "sid": "ManageBuildNetworkInterfaces",
            "actions": ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface"],
            "resources": [f"{ec2}:*"],
        },
        {
            "sid": "LetCodeBuildUseThemInTheRunnerSubnets",
            "actions": ["ec2:CreateNetworkInterfacePermission"],
            "resources": [f"{ec2}:network-interface/*"],
            "condition": [
                {"test": "StringEquals", "variable": "ec2:AuthorizedService", "values": ["codebuild.amazonaws.com"]},
                {"test": "ArnEquals", "variable": "ec2:Subnet", "values": [f"{ec2}:subnet/{s}" for s in subnet_ids]},
            ],
        },
        # https://docs.aws.amazon.com/codebuild/latest/userguide/connections-github-app.html. The
        # action prefix follows the connection's ARN, which is codestar-connections or
        # codeconnections depending on the API that created it; both name this one ARN only.
        {
            "sid": "UseTheGithubConnection",
            "actions": [
                "codeconnections:GetConnection",
                "codeconnections:GetConnectionToken",
                "codestar-connections:GetConnection",
                "codestar-connections:GetConnectionToken",
            ],
            "resources": [connection_arn],
        },
    ]
