"""`<env>-pipeline`: the image pipeline that feeds the environment's ECR repository."""

from __future__ import annotations

from constructs import Construct

from stacks.bindings import aws
from stacks.config import Environment
from stacks.constructs.image_pipeline import ImagePipeline
from stacks.environment_stack import EnvironmentStack
from stacks.naming import github_connection_name, physical_name


class PipelineStack(EnvironmentStack):
    def __init__(self, scope: Construct, *, env: Environment, ecr_repository_arn: str, ecr_repository_url: str) -> None:
        super().__init__(scope, "pipeline", env=env)
        # Created by the bootstrap stack, whose state is local: found by name, not by reference.
        connection = aws.data_aws_codestarconnections_connection.DataAwsCodestarconnectionsConnection(
            self, "github-connection", name=github_connection_name(env)
        )
        pipeline = ImagePipeline(
            self,
            "image",
            name=physical_name(env, "image"),
            repository=env.github_repository,
            branch=env.delivery.branch,
            connection_arn=connection.arn,
            ecr_repository_arn=ecr_repository_arn,
            ecr_repository_url=ecr_repository_url,
            account_id=env.account_id,
            region=env.region,
            log_retention_days=env.cluster.log_retention_days,
        )
        self.output("pipeline_name", pipeline.pipeline.name, "CodePipeline of the app image")
