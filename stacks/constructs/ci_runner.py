"""The in-VPC GitHub Actions runner: a CodeBuild project started by GitHub's queued jobs.

GitHub-hosted runners reach neither EKS endpoint (the public one admits only
cluster.public_access_cidrs, the private one only the VPC), yet planning and deploying
`<env>-platform` talks to the Kubernetes API. Jobs that say
`runs-on: codebuild-<project name>-${{ github.run_id }}-${{ github.run_attempt }}` run here
instead: for each queued job of the named workflows CodeBuild starts a build in the private
subnets that registers itself with GitHub as an ephemeral runner
(https://docs.aws.amazon.com/codebuild/latest/userguide/action-runner.html).

The service role only lets CodeBuild run the build (logs, network interfaces, the GitHub
connection); the jobs get their AWS permissions from the GitHub OIDC roles as before.
"""

from __future__ import annotations

from collections.abc import Sequence

from constructs import Construct

from stacks.bindings import aws
from stacks.constructs.ci_runner_policy import runner_statements
from stacks.constructs.encryption_key import EncryptionKey
from stacks.constructs.iam import ServiceRole, policy_document, service_trust
from stacks.constructs.log_group import encrypted_log_group

# `name:` of the workflows whose jobs may run inside the VPC.
WORKFLOWS = ("deploy", "pull request", "drift")
# The x86_64 Ubuntu image CodeBuild maintains; the runner needs no Docker daemon (not privileged).
IMAGE = "aws/codebuild/standard:7.0"
HTTPS = 443


class CiRunner(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        repository_url: str,
        connection_arn: str,
        vpc_id: str,
        subnet_ids: Sequence[str],
        cluster_security_group_id: str,
        log_retention_days: int,
        account_id: str,
        region: str,
    ) -> None:
        super().__init__(scope, id_)
        key = EncryptionKey(
            self,
            "logs-key",
            alias=f"{name}-logs",
            description=f"{name} build logs",
            account_id=account_id,
            region=region,
            for_cloudwatch_logs=True,
        )
        logs = encrypted_log_group(
            self, "log-group", name=f"/aws/codebuild/{name}", retention_days=log_retention_days, key_arn=key.arn
        )
        self.security_group = aws.security_group.SecurityGroup(
            self, "security-group", name=name, vpc_id=vpc_id, description=f"{name}: HTTPS out only"
        )
        # HTTPS is all a job needs: GitHub, AWS APIs (through the NAT gateway) and the Kubernetes
        # API. DNS needs no rule: security groups do not filter traffic to the VPC's Amazon DNS
        # server (https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html).
        aws.vpc_security_group_egress_rule.VpcSecurityGroupEgressRule(
            self,
            "https-out",
            security_group_id=self.security_group.id,
            ip_protocol="tcp",
            from_port=HTTPS,
            to_port=HTTPS,
            cidr_ipv4="0.0.0.0/0",
            description="GitHub, AWS APIs and the Kubernetes API",
        )
        aws.vpc_security_group_ingress_rule.VpcSecurityGroupIngressRule(
            self,
            "kubernetes-api-from-runner",
            security_group_id=cluster_security_group_id,
            referenced_security_group_id=self.security_group.id,
            ip_protocol="tcp",
            from_port=HTTPS,
            to_port=HTTPS,
            description=f"Kubernetes API from {name}",
        )
        # CodeBuild's confused-deputy guard names the project as well as the account
        # (https://docs.aws.amazon.com/codebuild/latest/userguide/cross-service-confused-deputy-prevention.html).
        project_arn = f"arn:aws:codebuild:{region}:{account_id}:project/{name}"
        statements = runner_statements(
            log_group_arn=logs.arn,
            connection_arn=connection_arn,
            subnet_ids=subnet_ids,
            region=region,
            account_id=account_id,
        )
        role = ServiceRole(
            self,
            "role",
            name=name,
            trust=service_trust("codebuild.amazonaws.com", account_id=account_id, source_arn=project_arn),
            inline_policy=policy_document(self, "policy", statements),
        )
        self.project = aws.codebuild_project.CodebuildProject(
            self,
            "project",
            name=name,
            description="GitHub Actions runner inside the VPC, for jobs that reach the Kubernetes API",
            service_role=role.arn,
            build_timeout=60,
            artifacts={"type": "NO_ARTIFACTS"},
            # The runner checks out what the workflow asks for; CodeBuild only needs the
            # repository (and the connection) to register the webhook and the runner.
            source={
                "type": "GITHUB",
                "location": repository_url,
                "auth": {"type": "CODECONNECTIONS", "resource": connection_arn},
            },
            environment={
                "type": "LINUX_CONTAINER",
                "image": IMAGE,
                "compute_type": "BUILD_GENERAL1_SMALL",
                "image_pull_credentials_type": "CODEBUILD",
                "privileged_mode": False,
            },
            vpc_config={"vpc_id": vpc_id, "subnets": list(subnet_ids), "security_group_ids": [self.security_group.id]},
            logs_config={"cloudwatch_logs": {"group_name": logs.name, "status": "ENABLED"}},
            # CreateProject checks the role's VPC permissions
            # (https://github.com/aws/aws-cdk/issues/2652): the policy must exist first.
            depends_on=[role.inline_policy],
        )
        webhook = aws.codebuild_webhook
        # Creating the webhook needs the connection approved (AVAILABLE), hence its approval
        # right after bootstrap. One filter group: a queued job of one of the named workflows.
        webhook.CodebuildWebhook(
            self,
            "webhook",
            project_name=self.project.name,
            build_type="BUILD",
            filter_group=[
                webhook.CodebuildWebhookFilterGroup(
                    filter=[
                        webhook.CodebuildWebhookFilterGroupFilter(type="EVENT", pattern="WORKFLOW_JOB_QUEUED"),
                        webhook.CodebuildWebhookFilterGroupFilter(
                            type="WORKFLOW_NAME", pattern=f"^({'|'.join(WORKFLOWS)})$"
                        ),
                    ]
                )
            ],
        )
