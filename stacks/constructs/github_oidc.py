"""GitHub Actions → AWS without stored keys: the OIDC provider and two roles.

- plan: `cdktf diff` on pull requests and the scheduled drift check; reads everything,
  writes only Terraform's lock files in the state bucket.
- deploy: `cdktf deploy`; trusted only from the deploy branch, or from the GitHub
  environment whose reviewers approve each deploy.
Both trust only this repository (the token's `sub` claim) and only STS as audience.
"""

from __future__ import annotations

from collections.abc import Sequence

from constructs import Construct

from stacks.bindings import aws
from stacks.constructs.encryption_key import use_key_statement
from stacks.constructs.iam import ServiceRole, Statement, policy_document

TOKEN_ISSUER = "token.actions.githubusercontent.com"  # noqa: S105 - a host name, not a secret


def oidc_provider_arn(account_id: str) -> str:
    """IAM names an OIDC provider after its URL without the scheme."""
    return f"arn:aws:iam::{account_id}:oidc-provider/{TOKEN_ISSUER}"


def github_trust(provider_arn: str, subjects: Sequence[str]) -> Statement:
    return {
        "effect": "Allow",
        "actions": ["sts:AssumeRoleWithWebIdentity"],
        "principals": [{"type": "Federated", "identifiers": [provider_arn]}],
        "condition": [
            {"test": "StringEquals", "variable": f"{TOKEN_ISSUER}:aud", "values": ["sts.amazonaws.com"]},
            {"test": "StringEquals", "variable": f"{TOKEN_ISSUER}:sub", "values": list(subjects)},
        ],
    }


class GithubDeployRoles(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        plan_role_name: str,
        deploy_role_name: str,
        deploy_boundary_arn: str,
        repository: str,
        branch: str,
        github_environment: str | None,
        state_bucket_arn: str,
        state_key_arn: str,
        create_provider: bool = True,
    ) -> None:
        super().__init__(scope, id_)
        if create_provider:
            provider_arn = aws.iam_openid_connect_provider.IamOpenidConnectProvider(
                self, "provider", url=f"https://{TOKEN_ISSUER}", client_id_list=["sts.amazonaws.com"]
            ).arn
        else:  # another environment of this account owns it; a missing one fails the plan, found by URL
            provider_arn = aws.data_aws_iam_openid_connect_provider.DataAwsIamOpenidConnectProvider(
                self, "provider", url=f"https://{TOKEN_ISSUER}"
            ).arn
        plan_subjects = [f"repo:{repository}:pull_request", f"repo:{repository}:ref:refs/heads/{branch}"]
        deploy_subject = (
            f"repo:{repository}:environment:{github_environment}"
            if github_environment
            else f"repo:{repository}:ref:refs/heads/{branch}"
        )
        lock_files: list[Statement] = [
            {
                "sid": "TerraformLockFiles",
                "actions": ["s3:PutObject", "s3:DeleteObject"],
                "resources": [f"{state_bucket_arn}/*.tflock"],
            },
            use_key_statement(state_key_arn),
        ]
        self.plan = ServiceRole(
            self,
            "plan",
            name=plan_role_name,
            trust=github_trust(provider_arn, plan_subjects),
            managed_policies=["ReadOnlyAccess"],
            inline_policy=policy_document(self, "plan-state", lock_files),
        )
        self.deploy = ServiceRole(
            self,
            "deploy",
            name=deploy_role_name,
            trust=github_trust(provider_arn, [deploy_subject]),
            # Deploying creates IAM roles, KMS keys, clusters and databases: administrator
            # rights, reachable only through the trust above, and capped by the boundary
            # (deploy_boundary.py) so that it cannot mint rights beyond its own.
            managed_policies=["AdministratorAccess"],
            permissions_boundary=deploy_boundary_arn,
        )
