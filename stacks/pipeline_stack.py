"""`<env>-pipeline`: the image pipeline that feeds the environment's ECR repository."""

from __future__ import annotations

from constructs import Construct

from stacks.config import Environment
from stacks.constructs.image_pipeline import ImagePipeline
from stacks.environment_stack import EnvironmentStack
from stacks.naming import physical_name


class PipelineStack(EnvironmentStack):
    def __init__(self, scope: Construct, *, env: Environment, ecr_repository_arn: str, ecr_repository_url: str) -> None:
        super().__init__(scope, "pipeline", env=env)
        pipeline = ImagePipeline(
            self,
            "image",
            name=physical_name(env, "image"),
            repository=env.github_repository,
            branch=env.delivery.branch,
            ecr_repository_arn=ecr_repository_arn,
            ecr_repository_url=ecr_repository_url,
            account_id=env.account_id,
            region=env.region,
            log_retention_days=env.cluster.log_retention_days,
        )
        self.output("connection_arn", pipeline.connection.arn, "GitHub connection: approve it once in the console")
        self.output("pipeline_name", pipeline.pipeline.name, "CodePipeline of the app image")
