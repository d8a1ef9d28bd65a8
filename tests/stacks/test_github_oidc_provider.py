"""One GitHub OIDC provider per account: created by one environment, used by the others of that account."""

from __future__ import annotations

import json
from typing import Any

import cdktf
import pytest

from stacks.constructs.github_oidc import GithubDeployRoles


def synth_roles(*, create_provider: bool) -> dict[str, Any]:
    stack = cdktf.TerraformStack(cdktf.Testing.app(), "bare")
    GithubDeployRoles(
        stack,
        "github",
        plan_role_name="acme-staging-github-plan",
        deploy_role_name="acme-staging-github-deploy",
        deploy_boundary_arn="arn:aws:iam::111111111111:policy/acme-staging-deploy-boundary",
        repository="acme/platform",
        branch="main",
        github_environment=None,
        state_bucket_arn="arn:aws:s3:::acme-state",
        state_key_arn="arn:aws:kms:eu-west-1:111111111111:key/11111111-1111-4111-8111-111111111111",
        create_provider=create_provider,
    )
    document: dict[str, Any] = json.loads(cdktf.Testing.synth(stack))
    return document


def federated(document: dict[str, Any]) -> set[str]:
    return {
        identifier
        for policy in document["data"]["aws_iam_policy_document"].values()
        for statement in policy.get("statement", [])
        for principal in statement.get("principals", [])
        if principal["type"] == "Federated"
        for identifier in principal["identifiers"]
    }


@pytest.mark.parametrize("create_provider", [True, False])
def test_both_roles_trust_the_accounts_one_provider(create_provider: bool) -> None:
    document = synth_roles(create_provider=create_provider)
    created = document.get("resource", {}).get("aws_iam_openid_connect_provider", {})
    looked_up = document.get("data", {}).get("aws_iam_openid_connect_provider", {})
    assert (len(created), len(looked_up)) == ((1, 0) if create_provider else (0, 1))
    [(name, provider)] = (created or looked_up).items()
    assert provider["url"] == "https://token.actions.githubusercontent.com"
    prefix = "" if create_provider else "data."
    assert federated(document) == {f"${{{prefix}aws_iam_openid_connect_provider.{name}.arn}}"}
