"""The base of every stack: provider, state backend and tags are attached here and only here."""

from __future__ import annotations

from cdktf import S3Backend, TerraformOutput, TerraformStack
from constructs import Construct

from stacks.bindings import aws
from stacks.config import Environment
from stacks.naming import stack_id


def required_tags(env: Environment) -> dict[str, str]:
    """Tags on every taggable resource (via the provider's default_tags)."""
    return {
        **env.tags,
        "Project": env.project,
        "Environment": env.name,
        "ManagedBy": "cdktf",
        "Repository": env.repository,
    }


class EnvironmentStack(TerraformStack):
    """One Terraform state of one environment, named `<env>-<part>`."""

    def __init__(self, scope: Construct, part: str, *, env: Environment) -> None:
        super().__init__(scope, stack_id(env, part))
        self.env = env
        aws.provider.AwsProvider(
            self,
            "aws",
            region=env.region,
            # A mistyped profile can never apply dev to the production account.
            allowed_account_ids=[env.account_id],
            default_tags=[aws.provider.AwsProviderDefaultTags(tags=required_tags(env))],
        )
        if env.state.bucket:
            S3Backend(
                self,
                bucket=env.state.bucket,
                key=f"{env.name}/{part}.tfstate",
                region=env.state.region or env.region,
                encrypt=True,
            )
            # S3-native locking (Terraform ≥ 1.10); cdktf 0.21's S3Backend predates the option.
            self.add_override("terraform.backend.s3.use_lockfile", True)
        # Without a bucket, cdktf's default local backend keeps terraform.<stack>.tfstate.

    def output(self, name: str, value: object, description: str) -> None:
        TerraformOutput(self, name, value=value, description=description)
