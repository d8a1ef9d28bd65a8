"""The bootstrap and pipeline stacks: who may deploy, and what the image build may touch."""

from __future__ import annotations

from typing import Any

import pytest

from stacks.config import Environment
from stacks.naming import ci_role_arn
from tests.conftest import ENVIRONMENT_NAMES
from tests.helpers import Document, by_path, data_sources, only, ref, remote, resources


def statements(stack: Document, policy_reference: str) -> list[dict[str, Any]]:
    document = policy_reference.split(".")[2]
    return list(data_sources(stack, "aws_iam_policy_document")[document]["statement"])


def trust(stack: Document, role_path: str) -> dict[str, Any]:
    _, role = by_path(stack, "aws_iam_role", role_path)
    [statement] = statements(stack, role["assume_role_policy"])
    return statement


def conditions(statement: dict[str, Any]) -> dict[str, list[str]]:
    return {c["variable"]: c["values"] for c in statement["condition"]}


@pytest.mark.parametrize(
    ("env", "deploy_subject"),
    [
        ("dev", "repo:acme/platform:ref:refs/heads/main"),
        ("prod", "repo:acme/platform:environment:production"),
    ],
)
def test_github_roles_trust_only_this_repository(stacks: dict[str, Document], env: str, deploy_subject: str) -> None:
    stack = stacks[f"{env}-bootstrap"]
    provider_name, provider = by_path(stack, "aws_iam_openid_connect_provider", "github/provider")
    assert provider["url"] == "https://token.actions.githubusercontent.com"
    for role, subjects in (
        ("github/deploy/role", [deploy_subject]),
        ("github/plan/role", ["repo:acme/platform:pull_request", "repo:acme/platform:ref:refs/heads/main"]),
    ):
        statement = trust(stack, role)
        assert statement["actions"] == ["sts:AssumeRoleWithWebIdentity"]
        assert statement["principals"] == [
            {"identifiers": [ref("aws_iam_openid_connect_provider", provider_name, "arn")], "type": "Federated"}
        ]
        assert conditions(statement) == {
            "token.actions.githubusercontent.com:aud": ["sts.amazonaws.com"],
            "token.actions.githubusercontent.com:sub": subjects,
        }


def test_plan_role_reads_and_writes_only_lock_files(stacks: dict[str, Document]) -> None:
    stack = stacks["prod-bootstrap"]
    role_name, _ = by_path(stack, "aws_iam_role", "github/plan/role")
    attached = [
        a["policy_arn"]
        for a in resources(stack, "aws_iam_role_policy_attachment").values()
        if a["role"] == ref("aws_iam_role", role_name, "name")
    ]
    assert attached == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    _, inline = by_path(stack, "aws_iam_role_policy", "github/plan/inline")
    writes = [s for s in statements(stack, inline["policy"]) if "s3:PutObject" in s["actions"]]
    bucket_name, _ = by_path(stack, "aws_s3_bucket", "state/bucket")
    assert [w["resources"] for w in writes] == [[f"${{aws_s3_bucket.{bucket_name}.arn}}/*.tflock"]]


def test_state_bucket_is_private_versioned_encrypted_and_tls_only(stacks: dict[str, Document]) -> None:
    stack = stacks["prod-bootstrap"]
    _, bucket = by_path(stack, "aws_s3_bucket", "state/bucket")
    assert bucket["bucket"] == "acme-terraform-state-222222222222"
    assert only(stack, "aws_s3_bucket_versioning")["versioning_configuration"] == {"status": "Enabled"}
    [rule] = only(stack, "aws_s3_bucket_server_side_encryption_configuration")["rule"]
    assert rule["apply_server_side_encryption_by_default"]["sse_algorithm"] == "aws:kms"
    block = only(stack, "aws_s3_bucket_public_access_block")
    assert all(
        block[flag] is True
        for flag in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )
    [deny] = statements(stack, only(stack, "aws_s3_bucket_policy")["policy"])
    assert deny["effect"] == "Deny"
    assert deny["condition"] == [{"test": "Bool", "values": ["false"], "variable": "aws:SecureTransport"}]


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_bootstrap_creates_the_state_bucket_and_hands_out_its_key(
    stacks: dict[str, Document], environments: dict[str, Environment], env: str
) -> None:
    stack = stacks[f"{env}-bootstrap"]
    _, bucket = by_path(stack, "aws_s3_bucket", "state/bucket")
    assert bucket["bucket"] == environments[env].state.bucket
    key_name, _ = by_path(stack, "aws_kms_key", "state-key/key")
    # The value to put into state.kms_key_arn once bootstrap is applied.
    assert stack["output"]["state_key_arn"]["value"] == ref("aws_kms_key", key_name, "arn")


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_github_roles_have_the_names_the_cluster_grants_access_to(
    stacks: dict[str, Document], environments: dict[str, Environment], env: str
) -> None:
    spec = environments[env]
    for kind in ("plan", "deploy"):
        _, role = by_path(stacks[f"{env}-bootstrap"], "aws_iam_role", f"github/{kind}/role")
        assert role["name"] == f"acme-{env}-github-{kind}"
        arn = ci_role_arn(account_id=spec.account_id, project=spec.project, environment=spec.name, role=kind)
        assert arn in {e["principal_arn"] for e in resources(stacks[f"{env}-cluster"], "aws_eks_access_entry").values()}


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_pipeline_runs_for_image_changes_on_the_deploy_branch(stacks: dict[str, Document], env: str) -> None:
    pipeline = only(stacks[f"{env}-pipeline"], "aws_codepipeline")
    assert pipeline["pipeline_type"] == "V2"
    [trigger] = pipeline["trigger"]
    [push] = trigger["git_configuration"]["push"]
    assert push["branches"] == {"includes": ["main"]}
    assert push["file_paths"] == {"includes": ["dockerbuild/**"]}
    source = pipeline["stage"][0]["action"][0]
    assert source["configuration"]["FullRepositoryId"] == "acme/platform"
    assert source["configuration"]["BranchName"] == "main"


def test_build_is_privileged_uses_the_buildspec_and_targets_the_environments_repository(
    stacks: dict[str, Document],
) -> None:
    project = only(stacks["dev-pipeline"], "aws_codebuild_project")
    assert project["environment"]["privileged_mode"] is True
    assert project["environment"]["type"] == "ARM_CONTAINER"
    assert project["source"]["buildspec"] == "dockerbuild/buildspec.yml"
    [variable] = project["environment"]["environment_variable"]
    assert variable["name"] == "REPOSITORY_URI" and remote(variable["value"], "dev-data")


def test_build_may_push_to_one_repository_only(stacks: dict[str, Document]) -> None:
    stack = stacks["dev-pipeline"]
    _, inline = by_path(stack, "aws_iam_role_policy", "image/build-role/inline")
    ecr = [s for s in statements(stack, inline["policy"]) if any(a.startswith("ecr:") for a in s["actions"])]
    push = [s for s in ecr if "ecr:PutImage" in s["actions"]]
    assert len(push) == 1 and len(push[0]["resources"]) == 1 and remote(push[0]["resources"][0], "dev-data")
    unscoped = [a for s in ecr if s["resources"] == ["*"] for a in s["actions"]]
    assert unscoped == ["ecr:GetAuthorizationToken"]


def test_artifacts_are_encrypted_and_private(stacks: dict[str, Document]) -> None:
    stack = stacks["prod-pipeline"]
    pipeline = only(stack, "aws_codepipeline")
    [store] = pipeline["artifact_store"]
    assert store["encryption_key"]["type"] == "KMS"
    block = only(stack, "aws_s3_bucket_public_access_block")
    assert block["restrict_public_buckets"] is True


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_pipeline_uses_the_bootstrap_connection_and_may_use_no_other(stacks: dict[str, Document], env: str) -> None:
    stack = stacks[f"{env}-pipeline"]
    assert "aws_codestarconnections_connection" not in stack["resource"]
    lookup = data_sources(stack, "aws_codestarconnections_connection")["github-connection"]
    assert lookup["name"] == f"acme-{env}-github"
    connection = "${data.aws_codestarconnections_connection.github-connection.arn}"
    source = only(stack, "aws_codepipeline")["stage"][0]["action"][0]
    assert source["configuration"]["ConnectionArn"] == connection
    _, inline = by_path(stack, "aws_iam_role_policy", "image/pipeline-role/inline")
    uses = [s for s in statements(stack, inline["policy"]) if any("Connection" in a for a in s["actions"])]
    assert [(sorted(s["actions"]), s["resources"]) for s in uses] == [
        (["codeconnections:UseConnection", "codestar-connections:UseConnection"], [connection])
    ]
