"""The Lambda function that rotates the app's database credential (rotation/ in this repository).

Ours rather than AWS's Serverless Application Repository template: that one is deployed
by CloudFormation, whose role would not carry the permissions boundary every role here
must have (deploy_boundary.py). It runs in the private subnets: it reaches PostgreSQL in
the VPC and Secrets Manager's public endpoint through the NAT gateways.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from cdktf import AssetType, TerraformAsset
from constructs import Construct

from rotation.package import ARCHITECTURE, HANDLER, RUNTIME
from stacks.bindings import aws
from stacks.constructs.iam import ServiceRole, policy_document, service_trust
from stacks.constructs.log_group import encrypted_log_group
from stacks.constructs.rotation_function_policy import rotation_statements

HTTPS = 443


class FunctionPackage(Protocol):
    """A built deployment package: rotation.package.build() returns one."""

    @property
    def path(self) -> Path: ...

    @property
    def base64_sha256(self) -> str: ...


class RotationFunction(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        package: FunctionPackage,
        environment: Mapping[str, str],
        secret_arn: str,
        master_secret_arn: str,
        key_arn: str,
        vpc_id: str,
        subnet_ids: Sequence[str],
        database_security_group_id: str,
        database_port: int,
        log_retention_days: int,
        logs_key_arn: str,
        region: str,
        account_id: str,
    ) -> None:
        super().__init__(scope, id_)
        log_group = encrypted_log_group(
            self, "log-group", name=f"/aws/lambda/{name}", retention_days=log_retention_days, key_arn=logs_key_arn
        )
        role = ServiceRole(
            self,
            "role",
            name=name,
            trust=service_trust("lambda.amazonaws.com", account_id=account_id),
            inline_policy=policy_document(
                self,
                "policy",
                rotation_statements(
                    secret_arn=secret_arn,
                    master_secret_arn=master_secret_arn,
                    key_arn=key_arn,
                    log_group_arn=log_group.arn,
                    region=region,
                    account_id=account_id,
                ),
            ),
        )
        firewall = aws.security_group.SecurityGroup(
            self,
            "security-group",
            name=name,
            vpc_id=vpc_id,
            description=f"{name}: PostgreSQL and HTTPS out (Secrets Manager), nothing in",
        )
        rules: list[Any] = [
            aws.vpc_security_group_egress_rule.VpcSecurityGroupEgressRule(
                self,
                "to-database",
                security_group_id=firewall.id,
                referenced_security_group_id=database_security_group_id,
                ip_protocol="tcp",
                from_port=database_port,
                to_port=database_port,
                description="PostgreSQL",
            ),
            # Secrets Manager's public endpoint and RDS's CA bundle, through the NAT gateways;
            # their addresses are not fixed, so the destination is any.
            aws.vpc_security_group_egress_rule.VpcSecurityGroupEgressRule(
                self,
                "to-https",
                security_group_id=firewall.id,
                cidr_ipv4="0.0.0.0/0",
                ip_protocol="tcp",
                from_port=HTTPS,
                to_port=HTTPS,
                description="HTTPS to AWS APIs",
            ),
            aws.vpc_security_group_ingress_rule.VpcSecurityGroupIngressRule(
                self,
                "database-from-function",
                security_group_id=database_security_group_id,
                referenced_security_group_id=firewall.id,
                ip_protocol="tcp",
                from_port=database_port,
                to_port=database_port,
                description=f"PostgreSQL from {name}",
            ),
        ]
        code = TerraformAsset(self, "code", path=str(package.path), type=AssetType.FILE)
        self.function = aws.lambda_function.LambdaFunction(
            self,
            "function",
            function_name=name,
            description="Rotates the app's PostgreSQL credential (alternating users)",
            role=role.arn,
            # The runtime and architecture the package's dependencies were chosen for.
            runtime=RUNTIME,
            architectures=[ARCHITECTURE],
            handler=HANDLER,
            filename=code.path,
            source_code_hash=package.base64_sha256,
            memory_size=256,
            timeout=60,
            # No reserved concurrency: Secrets Manager never runs two rotations of one secret
            # at once (RotateSecret refuses while AWSPENDING is in flight), and reserving any
            # fails CreateFunction on new accounts whose quota is the minimum of 10 unreserved.
            environment={"variables": dict(environment)},
            vpc_config={"subnet_ids": list(subnet_ids), "security_group_ids": [firewall.id]},
            logging_config={"log_format": "JSON", "log_group": log_group.name},
            # CreateFunction checks that the role may create the function's network
            # interfaces; on destroy the function goes before the policy it cleans up with.
            depends_on=[role.inline_policy, log_group],
        )
        # What must exist before Secrets Manager first invokes the function.
        self.ready: list[Any] = [role.inline_policy, *rules]
        self.security_group_id = firewall.id
        self.role_arn = role.arn

    @property
    def arn(self) -> str:
        return str(self.function.arn)

    @property
    def name(self) -> str:
        return str(self.function.function_name)
