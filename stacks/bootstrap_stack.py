"""`<env>-bootstrap`: what must exist before the other stacks can keep remote state and
before GitHub can deploy them. Applied once, by hand, with local state (README).

Its roles and the deploy boundary are changed only here: the boundary denies the deploy
role any change to them."""

from __future__ import annotations

from constructs import Construct

from stacks.bindings import aws
from stacks.config import Environment
from stacks.constructs.deploy_boundary import DeployBoundary
from stacks.constructs.encryption_key import EncryptionKey
from stacks.constructs.github_oidc import GithubDeployRoles, oidc_provider_arn
from stacks.constructs.private_bucket import PrivateBucket
from stacks.environment_stack import EnvironmentStack
from stacks.naming import (
    ci_role_arn,
    ci_role_name,
    deploy_boundary_arn,
    deploy_boundary_name,
    github_connection_name,
    physical_name,
)


class BootstrapStack(EnvironmentStack):
    def __init__(self, scope: Construct, *, env: Environment) -> None:
        super().__init__(scope, "bootstrap", env=env, bootstrap=True)
        key = EncryptionKey(
            self,
            "state-key",
            alias=physical_name(env, "terraform-state"),
            description="Terraform state of every stack",
            account_id=env.account_id,
            region=env.region,
        )
        bucket = PrivateBucket(self, "state", name=env.state.bucket, key_arn=key.arn, noncurrent_days=90)
        self.output("state_bucket", bucket.name, "S3 bucket of every stack's Terraform state")
        self.output("state_key_arn", key.arn, "KMS key of the state: set it as state.kms_key_arn")
        ids = {"account_id": env.account_id, "project": env.project, "environment": env.name}
        boundary = DeployBoundary(
            self,
            "deploy-boundary",
            name=deploy_boundary_name(env),
            arn=deploy_boundary_arn(env),
            account_id=env.account_id,
            environment_roles=f"arn:aws:iam::{env.account_id}:role/{physical_name(env, '*')}",
            protected_arns=[
                ci_role_arn(**ids, role="plan"),
                ci_role_arn(**ids, role="deploy"),
                oidc_provider_arn(env.account_id),
            ],
        )
        roles = GithubDeployRoles(
            self,
            "github",
            plan_role_name=ci_role_name(project=env.project, environment=env.name, role="plan"),
            deploy_role_name=ci_role_name(project=env.project, environment=env.name, role="deploy"),
            deploy_boundary_arn=boundary.arn,
            repository=env.github_repository,
            branch=env.delivery.branch,
            github_environment=env.delivery.github_environment,
            create_provider=env.delivery.github_oidc_provider == "create",
            state_bucket_arn=bucket.arn,
            state_key_arn=key.arn,
        )
        self.output("plan_role_arn", roles.plan.arn, "Role GitHub Actions assumes for cdktf diff")
        self.output("deploy_role_arn", roles.deploy.arn, "Role GitHub Actions assumes for cdktf deploy")
        # The environment's one GitHub connection (image pipeline, in-VPC CI runner). Created
        # here because it stays PENDING until someone approves it in the console, which must
        # happen before the stacks that use it are deployed; they look it up by name.
        connection = aws.codestarconnections_connection.CodestarconnectionsConnection(
            self, "github-connection", name=github_connection_name(env), provider_type="GitHub"
        )
        self.output("github_connection_arn", connection.arn, "GitHub connection: approve it in the console now")
