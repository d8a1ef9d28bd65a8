"""The app's own PostgreSQL credential: a Secrets Manager secret that only rotation fills.

Terraform creates the secret empty — no `aws_secretsmanager_secret_version`, so no
password is ever in state — and turns rotation on with `rotate_immediately`: that first
rotation creates the app's role (and its alternate `<role>_clone`) with the master user
and puts the first value. From then on Secrets Manager rotates it every `rotation_days`,
alternating between the two roles so the credential the app holds stays valid while the
other one changes.
https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotation-strategy.html#rotating-secrets-two-users
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from constructs import Construct

from rotation.tls import RDS_GLOBAL_BUNDLE
from stacks.bindings import aws
from stacks.config.model import AppUser
from stacks.constructs.postgres import POSTGRES_PORT, DatabaseOutputs
from stacks.constructs.rotation_function import FunctionPackage, RotationFunction

SECRETS_MANAGER = "secretsmanager.amazonaws.com"


@dataclass(frozen=True)
class AppCredentialOutputs:
    secret_arn: str
    role: str  # the base role; the secret names whichever of it and `<role>_clone` is current


class AppCredential(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        secret_name: str,
        function_name: str,
        spec: AppUser,
        database: DatabaseOutputs,
        package: FunctionPackage,
        vpc_id: str,
        subnet_ids: Sequence[str],
        log_retention_days: int,
        recovery_window_days: int,
        region: str,
        account_id: str,
    ) -> None:
        super().__init__(scope, id_)
        secret = aws.secretsmanager_secret.SecretsmanagerSecret(
            self,
            "secret",
            name=secret_name,
            description=f"The app's PostgreSQL credential (role {spec.name} or {spec.name}_clone), set by rotation",
            # The database's key, like the master secret: its readers (External Secrets, the
            # function) decrypt with it through Secrets Manager only.
            kms_key_id=database.key_arn,
            recovery_window_in_days=recovery_window_days,
        )
        function = RotationFunction(
            self,
            "rotation",
            name=function_name,
            package=package,
            environment={
                "DATABASE_HOST": database.address,
                "DATABASE_PORT": database.port,
                "DATABASE_NAME": database.name,
                "APP_USERNAME": spec.name,
                "MASTER_SECRET_ARN": database.master_secret_arn,
                "SECRET_ARN": secret.arn,
                # Downloaded at cold start through the NAT gateways (rotation/tls.py): the
                # function verifies the database's certificate and host name, as the app does.
                "CA_BUNDLE": RDS_GLOBAL_BUNDLE,
            },
            secret_arn=secret.arn,
            master_secret_arn=database.master_secret_arn,
            key_arn=database.key_arn,
            vpc_id=vpc_id,
            subnet_ids=subnet_ids,
            database_security_group_id=database.security_group_id,
            database_port=POSTGRES_PORT,
            log_retention_days=log_retention_days,
            logs_key_arn=database.logs_key_arn,
            region=region,
            account_id=account_id,
        )
        # Only Secrets Manager, only for this secret of this account, may invoke it.
        permission = aws.lambda_permission.LambdaPermission(
            self,
            "invoked-by-secrets-manager",
            action="lambda:InvokeFunction",
            function_name=function.name,
            principal=SECRETS_MANAGER,
            source_arn=secret.arn,
            source_account=account_id,
        )
        aws.secretsmanager_secret_rotation.SecretsmanagerSecretRotation(
            self,
            "rotation-schedule",
            secret_id=secret.id,
            rotation_lambda_arn=function.arn,
            rotation_rules={"automatically_after_days": spec.rotation_days},
            # The first rotation creates the role and the secret's first value.
            rotate_immediately=True,
            depends_on=[permission, *function.ready],
        )
        self.outputs = AppCredentialOutputs(secret_arn=secret.arn, role=spec.name)
