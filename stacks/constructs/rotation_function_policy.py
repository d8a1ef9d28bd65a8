"""IAM policy of the app credential's rotation function (rotation_function.py).

What Secrets Manager's alternating-users rotation needs, on exactly the secrets and the
key involved: the app secret's four rotation steps (createSecret, setSecret, testSecret,
finishSecret), a random password, the master secret to change the app's roles with, and
the database key through Secrets Manager only. Plus its logs and its network
interfaces in the VPC.
https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotating-secrets-required-permissions-function.html
"""

from __future__ import annotations

from stacks.constructs.iam import Statement
from stacks.constructs.log_group import write_logs_statement


def rotation_statements(
    *, secret_arn: str, master_secret_arn: str, key_arn: str, log_group_arn: str, region: str, account_id: str
) -> list[Statement]:
    ec2 = f"arn:aws:ec2:{region}:{account_id}"
    return [
        {
            "sid": "RotateTheAppSecret",
            "actions": [
                "secretsmanager:DescribeSecret",
                "secretsmanager:GetSecretValue",
                "secretsmanager:PutSecretValue",
                "secretsmanager:UpdateSecretVersionStage",
            ],
            "resources": [secret_arn],
        },
        # GetRandomPassword acts on no resource, so it cannot be scoped.
        {"sid": "GenerateAPassword", "actions": ["secretsmanager:GetRandomPassword"], "resources": ["*"]},
        # The master user creates the app's two roles and changes their passwords.
        {"sid": "ReadTheMasterSecret", "actions": ["secretsmanager:GetSecretValue"], "resources": [master_secret_arn]},
        {
            "sid": "UseTheDatabaseKeyThroughSecretsManager",
            "actions": ["kms:Decrypt", "kms:GenerateDataKey"],
            "resources": [key_arn],
            "condition": [
                {
                    "test": "StringEquals",
                    "variable": "kms:ViaService",
                    "values": [f"secretsmanager.{region}.amazonaws.com"],
                }
            ],
        },
        write_logs_statement(log_group_arn),
        # The permissions of AWSLambdaVPCAccessExecutionRole without its logs on "*":
        # https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html#configuration-vpc-permissions
        # The Describe calls have no resource-level permissions.
        {
            "sid": "DescribeTheNetwork",
            "actions": ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
            "resources": ["*"],
        },
        # Lambda creates its interfaces when the function is created or changed; every
        # resource they are authorized against is in this account and region.
        {
            "sid": "ManageTheFunctionsNetworkInterfaces",
            "actions": [
                "ec2:CreateNetworkInterface",
                "ec2:DeleteNetworkInterface",
                "ec2:AssignPrivateIpAddresses",
                "ec2:UnassignPrivateIpAddresses",
            ],
            "resources": [f"{ec2}:*"],
        },
    ]
