"""The in-VPC CI runner: where it runs, what starts it, what it may reach and do.

Also the environment's one GitHub connection, which the runner shares with the image
pipeline: created by bootstrap only, found by name everywhere else.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from stacks.config import Environment
from stacks.naming import github_connection_name
from tests.conftest import ENVIRONMENT_NAMES
from tests.helpers import Document, by_path, data_sources, only, ref, remote, resources

ENVS = ENVIRONMENT_NAMES
CONNECTION = "${data.aws_codestarconnections_connection.github-connection.arn}"


def project(stack: Document) -> tuple[str, dict[str, Any]]:
    return by_path(stack, "aws_codebuild_project", "ci-runner/project")


def runner_group(stack: Document) -> str:
    name, _ = by_path(stack, "aws_security_group", "ci-runner/security-group")
    return ref("aws_security_group", name, "id")


def statements(stack: Document, policy_reference: str) -> list[dict[str, Any]]:
    document = policy_reference.split(".")[2]
    return list(data_sources(stack, "aws_iam_policy_document")[document]["statement"])


def conditions(statement: dict[str, Any]) -> dict[str, tuple[str, list[str]]]:
    return {c["variable"]: (c["test"], c["values"]) for c in statement.get("condition", [])}


@pytest.mark.parametrize("env", ENVS)
def test_runner_builds_in_the_private_subnets_behind_its_own_security_group(
    stacks: dict[str, Document], environments: dict[str, Environment], env: str
) -> None:
    stack = stacks[f"{env}-cluster"]
    _, body = project(stack)
    vpc = body["vpc_config"]
    zones = environments[env].network.availability_zones
    assert len(vpc["subnets"]) == len(zones)
    assert all(remote(s, f"{env}-network") and "_private-" in s for s in vpc["subnets"])
    assert remote(vpc["vpc_id"], f"{env}-network")
    assert vpc["security_group_ids"] == [runner_group(stack)]


@pytest.mark.parametrize("env", ENVS)
def test_runner_is_an_unprivileged_linux_container_on_the_environments_repository(
    stacks: dict[str, Document], environments: dict[str, Environment], env: str
) -> None:
    _, body = project(stacks[f"{env}-cluster"])
    assert body["name"] == f"acme-{env}-ci-runner"
    environment = body["environment"]
    assert environment["type"] == "LINUX_CONTAINER"
    assert environment["privileged_mode"] is False
    assert environment["compute_type"] == "BUILD_GENERAL1_SMALL"
    assert environment["image"].startswith("aws/codebuild/standard:")
    assert body["source"] == {
        "type": "GITHUB",
        "location": environments[env].repository,
        "auth": {"type": "CODECONNECTIONS", "resource": CONNECTION},
    }


@pytest.mark.parametrize("env", ENVS)
def test_only_queued_jobs_of_the_delivery_workflows_start_a_build(stacks: dict[str, Document], env: str) -> None:
    stack = stacks[f"{env}-cluster"]
    project_name, _ = project(stack)
    webhook = only(stack, "aws_codebuild_webhook")
    assert webhook["project_name"] == ref("aws_codebuild_project", project_name, "name")
    [group] = webhook["filter_group"]
    filters = {f["type"]: f["pattern"] for f in group["filter"]}
    assert len(group["filter"]) == len(filters) == 2
    assert filters["EVENT"] == "WORKFLOW_JOB_QUEUED"
    workflow = re.compile(filters["WORKFLOW_NAME"])
    assert all(workflow.search(name) for name in ("deploy", "pull request", "drift"))
    assert not any(workflow.search(name) for name in ("redeploy", "deploy preview", "lint", "pull request target"))


@pytest.mark.parametrize("env", ENVS)
def test_only_the_runner_is_let_into_the_kubernetes_api_and_only_on_443(stacks: dict[str, Document], env: str) -> None:
    stack = stacks[f"{env}-cluster"]
    cluster_name, _ = by_path(stack, "aws_eks_cluster", "eks/cluster")
    cluster_group = ref("aws_eks_cluster", cluster_name, "vpc_config[0].cluster_security_group_id")
    ingress = resources(stack, "aws_vpc_security_group_ingress_rule").values()
    [rule] = [r for r in ingress if r["security_group_id"] == cluster_group]
    assert rule["referenced_security_group_id"] == runner_group(stack)
    assert (rule["ip_protocol"], rule.get("from_port"), rule.get("to_port")) == ("tcp", 443, 443)
    assert "cidr_ipv4" not in rule and "cidr_ipv6" not in rule
    assert not [r for r in ingress if r["security_group_id"] == runner_group(stack)], "nothing may connect to it"


@pytest.mark.parametrize("env", ENVS)
def test_runner_sends_only_https(stacks: dict[str, Document], env: str) -> None:
    stack = stacks[f"{env}-cluster"]
    _, group = by_path(stack, "aws_security_group", "ci-runner/security-group")
    assert "egress" not in group and "ingress" not in group
    egress = [r for r in resources(stack, "aws_vpc_security_group_egress_rule").values()]
    assert [(r["security_group_id"], r["ip_protocol"], r.get("from_port"), r.get("to_port")) for r in egress] == [
        (runner_group(stack), "tcp", 443, 443)
    ]


@pytest.mark.parametrize("env", ENVS)
def test_runner_logs_go_to_an_encrypted_group_kept_as_configured(
    stacks: dict[str, Document], environments: dict[str, Environment], env: str
) -> None:
    stack = stacks[f"{env}-cluster"]
    group_name, group = by_path(stack, "aws_cloudwatch_log_group", "ci-runner/log-group")
    _, body = project(stack)
    assert body["logs_config"]["cloudwatch_logs"] == {
        "group_name": ref("aws_cloudwatch_log_group", group_name, "name"),
        "status": "ENABLED",
    }
    assert group["kms_key_id"].startswith("${aws_kms_key.")
    assert group["retention_in_days"] == environments[env].cluster.log_retention_days


def test_runner_role_may_write_its_logs_attach_to_its_subnets_and_use_the_connection_only(
    stacks: dict[str, Document],
) -> None:
    stack = stacks["prod-cluster"]
    _, policy = by_path(stack, "aws_iam_role_policy", "ci-runner/role/inline")
    granted = statements(stack, policy["policy"])
    assert all(s.get("effect", "Allow") == "Allow" for s in granted)
    by_action = {action: s for s in granted for action in s["actions"]}
    assert sorted(by_action) == sorted(
        [
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            "ec2:CreateNetworkInterface",
            "ec2:DeleteNetworkInterface",
            "ec2:DescribeDhcpOptions",
            "ec2:DescribeNetworkInterfaces",
            "ec2:DescribeSecurityGroups",
            "ec2:DescribeSubnets",
            "ec2:DescribeVpcs",
            "ec2:CreateNetworkInterfacePermission",
            "codeconnections:GetConnection",
            "codeconnections:GetConnectionToken",
            "codestar-connections:GetConnection",
            "codestar-connections:GetConnectionToken",
        ]
    )
    group_name, _ = by_path(stack, "aws_cloudwatch_log_group", "ci-runner/log-group")
    group_arn = ref("aws_cloudwatch_log_group", group_name, "arn")
    assert by_action["logs:PutLogEvents"]["resources"] == [group_arn, f"{group_arn}:*"]
    unscoped = sorted(a for a, s in by_action.items() if "*" in s["resources"])
    assert all(a.startswith("ec2:Describe") for a in unscoped)
    assert by_action["ec2:CreateNetworkInterface"]["resources"] == ["arn:aws:ec2:eu-west-1:222222222222:*"]
    assert by_action["codeconnections:GetConnectionToken"]["resources"] == [CONNECTION]
    assert by_action["codestar-connections:GetConnectionToken"]["resources"] == [CONNECTION]


def test_codebuild_may_hand_network_interfaces_only_to_itself_in_the_runner_subnets(
    stacks: dict[str, Document],
) -> None:
    stack = stacks["prod-cluster"]
    _, policy = by_path(stack, "aws_iam_role_policy", "ci-runner/role/inline")
    [permission] = [
        s for s in statements(stack, policy["policy"]) if "ec2:CreateNetworkInterfacePermission" in s["actions"]
    ]
    assert permission["resources"] == ["arn:aws:ec2:eu-west-1:222222222222:network-interface/*"]
    _, body = project(stack)
    subnet_arns = [f"arn:aws:ec2:eu-west-1:222222222222:subnet/{s}" for s in body["vpc_config"]["subnets"]]
    assert conditions(permission) == {
        "ec2:AuthorizedService": ("StringEquals", ["codebuild.amazonaws.com"]),
        "ec2:Subnet": ("ArnEquals", subnet_arns),
    }


@pytest.mark.parametrize("env", ENVS)
def test_runner_role_trusts_codebuild_for_this_project_in_this_account_only(
    stacks: dict[str, Document], environments: dict[str, Environment], env: str
) -> None:
    stack = stacks[f"{env}-cluster"]
    _, role = by_path(stack, "aws_iam_role", "ci-runner/role/role")
    [trust] = statements(stack, role["assume_role_policy"])
    account = environments[env].account_id
    assert trust["principals"] == [{"identifiers": ["codebuild.amazonaws.com"], "type": "Service"}]
    assert {variable: values for variable, (_, values) in conditions(trust).items()} == {
        "aws:SourceAccount": [account],
        "aws:SourceArn": [f"arn:aws:codebuild:eu-west-1:{account}:project/acme-{env}-ci-runner"],
    }


def test_project_is_created_after_its_role_may_manage_network_interfaces(stacks: dict[str, Document]) -> None:
    # CreateProject checks the VPC permissions of the service role (aws/aws-cdk#2652).
    stack = stacks["dev-cluster"]
    policy_name, _ = by_path(stack, "aws_iam_role_policy", "ci-runner/role/inline")
    _, body = project(stack)
    assert f"aws_iam_role_policy.{policy_name}" in body["depends_on"]


@pytest.mark.parametrize("env", ENVS)
def test_cluster_stack_names_the_runner_for_the_workflows(stacks: dict[str, Document], env: str) -> None:
    stack = stacks[f"{env}-cluster"]
    project_name, _ = project(stack)
    outputs = stack["output"]
    assert outputs["ci_runner_project"]["value"] == ref("aws_codebuild_project", project_name, "name")
    assert outputs["ci_runner_security_group_id"]["value"] == runner_group(stack)


@pytest.mark.parametrize("env", ENVS)
def test_github_connection_is_created_by_bootstrap_only_and_found_by_name_elsewhere(
    stacks: dict[str, Document], environments: dict[str, Environment], env: str
) -> None:
    bootstrap = stacks[f"{env}-bootstrap"]
    connection_name, connection = by_path(bootstrap, "aws_codestarconnections_connection", "github-connection")
    assert (connection["name"], connection["provider_type"]) == (f"acme-{env}-github", "GitHub")
    assert bootstrap["output"]["github_connection_arn"]["value"] == ref(
        "aws_codestarconnections_connection", connection_name, "arn"
    )
    creators = [name for name, stack in stacks.items() if resources(stack, "aws_codestarconnections_connection")]
    assert sorted(creators) == sorted(f"{name}-bootstrap" for name in environments)
    for part in ("cluster", "pipeline"):
        lookups = data_sources(stacks[f"{env}-{part}"], "aws_codestarconnections_connection")
        assert {name: body["name"] for name, body in lookups.items()} == {"github-connection": f"acme-{env}-github"}


def test_a_connection_name_codeconnections_would_refuse_stops_synthesis(
    environments: dict[str, Environment],
) -> None:
    long_project = environments["dev"].model_copy(update={"project": "a-project-name-of-twenty-two"})
    with pytest.raises(ValueError, match="longer than 32 characters"):
        github_connection_name(long_project)
