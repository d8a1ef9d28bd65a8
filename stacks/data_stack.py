"""`<env>-data`: the application's PostgreSQL database, the app's own rotated credential, and
its container registry."""

from __future__ import annotations

from constructs import Construct

from stacks.config import Environment
from stacks.constructs.app_credential import AppCredential, AppCredentialOutputs
from stacks.constructs.container_registry import ContainerRegistry
from stacks.constructs.eks_cluster import ClusterOutputs
from stacks.constructs.network import NetworkOutputs
from stacks.constructs.postgres import DatabaseOutputs, PostgresDatabase
from stacks.constructs.rotation_function import FunctionPackage
from stacks.environment_stack import EnvironmentStack
from stacks.naming import physical_name, rotation_function_name, secret_name


class DataStack(EnvironmentStack):
    def __init__(
        self,
        scope: Construct,
        *,
        env: Environment,
        network: NetworkOutputs,
        cluster: ClusterOutputs,
        rotation_package: FunctionPackage,
    ) -> None:
        super().__init__(scope, "data", env=env)
        database = PostgresDatabase(
            self,
            "postgres",
            identifier=physical_name(env, "postgres"),
            spec=env.database,
            vpc_id=network.vpc_id,
            subnet_ids=network.database_subnet_ids,
            client_security_group_id=cluster.security_group_id,
            account_id=env.account_id,
            region=env.region,
        )
        credential = AppCredential(
            self,
            "app-credential",
            secret_name=secret_name(env, env.database.app_user.name, "database"),
            function_name=rotation_function_name(env),
            spec=env.database.app_user,
            database=database.outputs,
            package=rotation_package,
            vpc_id=network.vpc_id,
            subnet_ids=network.private_subnet_ids,
            log_retention_days=env.database.log_retention_days,
            recovery_window_days=env.platform.secret_recovery_days,
            region=env.region,
            account_id=env.account_id,
        )
        registry = ContainerRegistry(
            self,
            "registry",
            name=f"{env.project}/{env.name}/{env.registry.repository}",
            untagged_expiry_days=env.registry.untagged_expiry_days,
            images_to_keep=env.registry.images_to_keep,
            force_delete=env.registry.force_delete,
        )
        self.database: DatabaseOutputs = database.outputs
        self.app_credential: AppCredentialOutputs = credential.outputs
        self.registry_url = registry.url
        self.registry_arn = registry.arn
        self.output("database_address", database.outputs.address, "PostgreSQL host name")
        self.output(
            "app_secret_arn",
            credential.outputs.secret_arn,
            "Secrets Manager ARN of the app's own PostgreSQL credential (rotated, alternating users)",
        )
        self.output(
            "master_secret_arn",
            database.outputs.master_secret_arn,
            "Secrets Manager ARN of the RDS-managed master secret: for operators and the rotation function only",
        )
        self.output("repository_url", registry.url, "ECR repository of the app image")
