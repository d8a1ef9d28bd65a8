"""The image pipeline: a push that changes dockerbuild/ → CodeBuild → the environment's ECR.

CodePipeline V2 starts only for pushes to the configured branch that touch
`dockerbuild/**`. The build role can push to that one repository and nothing else.
The GitHub connection is the environment's one connection, created by the bootstrap
stack and approved once in the console (README); the pipeline only uses it.
"""

from __future__ import annotations

from constructs import Construct

from stacks.bindings import aws
from stacks.constructs.encryption_key import EncryptionKey, use_key_statement
from stacks.constructs.iam import ServiceRole, policy_document, service_trust
from stacks.constructs.log_group import encrypted_log_group, write_logs_statement
from stacks.constructs.private_bucket import PrivateBucket

BUILDSPEC = "dockerbuild/buildspec.yml"
SOURCE_PATHS = ["dockerbuild/**"]
# Nodes are Graviton: build arm64 images on an arm64 build host.
BUILD_IMAGE = "aws/codebuild/amazonlinux-aarch64-standard:3.0"
ECR_PUSH = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:CompleteLayerUpload",
    "ecr:DescribeImages",
    "ecr:GetDownloadUrlForLayer",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
]


class ImagePipeline(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        repository: str,
        branch: str,
        connection_arn: str,
        ecr_repository_arn: str,
        ecr_repository_url: str,
        account_id: str,
        region: str,
        log_retention_days: int,
    ) -> None:
        super().__init__(scope, id_)
        key = EncryptionKey(
            self,
            "key",
            alias=name,
            description=f"{name} artifacts and build logs",
            account_id=account_id,
            region=region,
            for_cloudwatch_logs=True,
        )
        artifacts = PrivateBucket(
            self,
            "artifacts",
            name=f"{name}-artifacts-{account_id}",
            key_arn=key.arn,
            noncurrent_days=7,
            expire_days=30,
            force_destroy=True,
        )
        logs = encrypted_log_group(
            self, "build-logs", name=f"/aws/codebuild/{name}", retention_days=log_retention_days, key_arn=key.arn
        )
        build_role = ServiceRole(
            self,
            "build-role",
            name=f"{name}-build",
            trust=service_trust("codebuild.amazonaws.com", account_id=account_id),
            inline_policy=policy_document(
                self,
                "build-policy",
                [
                    write_logs_statement(logs.arn),
                    # GetAuthorizationToken has no resource-level permission.
                    {"sid": "LogInToEcr", "actions": ["ecr:GetAuthorizationToken"], "resources": ["*"]},
                    {"sid": "PushToTheAppRepository", "actions": ECR_PUSH, "resources": [ecr_repository_arn]},
                    {
                        "sid": "ReadSource",
                        "actions": ["s3:GetObject", "s3:GetObjectVersion"],
                        "resources": [f"{artifacts.arn}/*"],
                    },
                    use_key_statement(key.arn),
                ],
            ),
        )
        self.project = aws.codebuild_project.CodebuildProject(
            self,
            "build",
            name=name,
            description="Builds dockerbuild/ and pushes the image to ECR",
            service_role=build_role.arn,
            build_timeout=30,
            encryption_key=key.arn,
            artifacts={"type": "CODEPIPELINE"},
            source={"type": "CODEPIPELINE", "buildspec": BUILDSPEC},
            environment={
                "type": "ARM_CONTAINER",
                "image": BUILD_IMAGE,
                "compute_type": "BUILD_GENERAL1_SMALL",
                # Docker builds need the privileged Docker daemon of the build host.
                "privileged_mode": True,
                "environment_variable": [
                    aws.codebuild_project.CodebuildProjectEnvironmentEnvironmentVariable(
                        name="REPOSITORY_URI", value=ecr_repository_url
                    )
                ],
            },
            logs_config={"cloudwatch_logs": {"group_name": logs.name, "status": "ENABLED"}},
        )
        pipeline_role = ServiceRole(
            self,
            "pipeline-role",
            name=f"{name}-pipeline",
            trust=service_trust("codepipeline.amazonaws.com", account_id=account_id),
            inline_policy=policy_document(
                self,
                "pipeline-policy",
                [
                    {
                        "sid": "Artifacts",
                        "actions": ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
                        "resources": [f"{artifacts.arn}/*"],
                    },
                    {
                        "sid": "ArtifactBucket",
                        "actions": ["s3:GetBucketVersioning", "s3:GetBucketLocation"],
                        "resources": [artifacts.arn],
                    },
                    {
                        "sid": "UseTheConnection",
                        "actions": ["codestar-connections:UseConnection", "codeconnections:UseConnection"],
                        "resources": [connection_arn],
                    },
                    {
                        "sid": "RunTheBuild",
                        "actions": ["codebuild:StartBuild", "codebuild:BatchGetBuilds"],
                        "resources": [self.project.arn],
                    },
                    use_key_statement(key.arn),
                ],
            ),
        )
        pipeline = aws.codepipeline
        self.pipeline = pipeline.Codepipeline(
            self,
            "pipeline",
            name=name,
            pipeline_type="V2",
            execution_mode="QUEUED",
            role_arn=pipeline_role.arn,
            artifact_store=[
                pipeline.CodepipelineArtifactStore(
                    location=artifacts.name, type="S3", encryption_key={"id": key.arn, "type": "KMS"}
                )
            ],
            stage=[
                pipeline.CodepipelineStage(
                    name="Source",
                    action=[
                        pipeline.CodepipelineStageAction(
                            name="Source",
                            category="Source",
                            owner="AWS",
                            provider="CodeStarSourceConnection",
                            version="1",
                            output_artifacts=["source"],
                            configuration={
                                "ConnectionArn": connection_arn,
                                "FullRepositoryId": repository,
                                "BranchName": branch,
                                "OutputArtifactFormat": "CODE_ZIP",
                            },
                        )
                    ],
                ),
                pipeline.CodepipelineStage(
                    name="Build",
                    action=[
                        pipeline.CodepipelineStageAction(
                            name="Image",
                            category="Build",
                            owner="AWS",
                            provider="CodeBuild",
                            version="1",
                            input_artifacts=["source"],
                            configuration={"ProjectName": self.project.name},
                        )
                    ],
                ),
            ],
            trigger=[
                pipeline.CodepipelineTrigger(
                    provider_type="CodeStarSourceConnection",
                    git_configuration={
                        "source_action_name": "Source",
                        "push": [
                            pipeline.CodepipelineTriggerGitConfigurationPush(
                                branches={"includes": [branch]},
                                file_paths={"includes": SOURCE_PATHS},
                            )
                        ],
                    },
                )
            ],
        )
