"""`<env>-bootstrap`: what must exist before the other stacks can keep remote state and
before GitHub can deploy them. Applied once, by hand, with local state (README)."""

from __future__ import annotations

from constructs import Construct

from stacks.config import Environment
from stacks.constructs.encryption_key import EncryptionKey
from stacks.constructs.github_oidc import GithubDeployRoles
from stacks.constructs.private_bucket import PrivateBucket
from stacks.environment_stack import EnvironmentStack
from stacks.naming import physical_name


class BootstrapStack(EnvironmentStack):
    def __init__(self, scope: Construct, *, env: Environment) -> None:
        super().__init__(scope, "bootstrap", env=env, local_state=True)
        bucket_arn = key_arn = None
        if env.state.bucket:
            key = EncryptionKey(
                self,
                "state-key",
                alias=physical_name(env, "terraform-state"),
                description="Terraform state of every stack",
                account_id=env.account_id,
                region=env.region,
            )
            bucket = PrivateBucket(self, "state", name=env.state.bucket, key_arn=key.arn, noncurrent_days=90)
            bucket_arn, key_arn = bucket.arn, key.arn
            self.output("state_bucket", bucket.name, "S3 bucket of every stack's Terraform state")
        roles = GithubDeployRoles(
            self,
            "github",
            name_prefix=physical_name(env),
            repository=env.github_repository,
            branch=env.delivery.branch,
            github_environment=env.delivery.github_environment,
            state_bucket_arn=bucket_arn,
            state_key_arn=key_arn,
        )
        self.output("plan_role_arn", roles.plan.arn, "Role GitHub Actions assumes for cdktf diff")
        self.output("deploy_role_arn", roles.deploy.arn, "Role GitHub Actions assumes for cdktf deploy")
