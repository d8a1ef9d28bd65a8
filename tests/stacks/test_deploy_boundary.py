"""The deploy role's permissions boundary: what a compromised deploy job still cannot do,
and that every role the deploy creates lives under the same boundary."""

from __future__ import annotations

import copy
import fnmatch
import json
from typing import Any

import cdktf
import pytest

from stacks.bindings import aws
from stacks.config import Environment
from stacks.environment_stack import EnvironmentStack
from stacks.naming import deploy_boundary_arn, deploy_boundary_name
from tests.conftest import ENVIRONMENT_NAMES
from tests.helpers import Document, by_path, data_sources, ref, resources

ENVS = ENVIRONMENT_NAMES
Request = tuple[str, str, dict[str, str]]  # action, resource, request context


def boundary(stack: Document) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
    name, policy = by_path(stack, "aws_iam_policy", "deploy-boundary/policy")
    document = policy["policy"].split(".")[2]
    return name, policy, list(data_sources(stack, "aws_iam_policy_document")[document]["statement"])


def _matches(patterns: list[str], value: str) -> bool:
    return any(fnmatch.fnmatchcase(value.lower(), p.lower()) for p in patterns)


def _applies(statement: dict[str, Any], action: str, resource: str, context: dict[str, str]) -> bool:
    """IAM's matching for the parts these statements use (actions, resources, StringNotEquals)."""
    if "actions" in statement and not _matches(statement["actions"], action):
        return False
    if "not_actions" in statement and _matches(statement["not_actions"], action):
        return False
    if "resources" in statement and not _matches(statement["resources"], resource):
        return False
    if "not_resources" in statement and _matches(statement["not_resources"], resource):
        return False
    for condition in statement.get("condition", []):
        assert condition["test"] == "StringNotEquals", condition
        # A negated operator matches when the key is absent from the request.
        if context.get(condition["variable"]) in condition["values"]:
            return False
    return True


def decision(statements: list[dict[str, Any]], request: Request) -> str:
    applying = [s.get("effect", "Allow") for s in statements if _applies(s, *request)]
    return "Deny" if "Deny" in applying else "Allow" if "Allow" in applying else "Deny"


def requests(env: Environment) -> list[tuple[Request, str]]:
    """What the deploy role may do under the boundary (dev's names; the boundary's own ARN)."""
    account = f"arn:aws:iam::{env.account_id}"
    bounded = {"iam:PermissionsBoundary": deploy_boundary_arn(env)}
    other = {"iam:PermissionsBoundary": f"{account}:policy/AdministratorAccessBoundary"}
    own_role = f"{account}:role/acme-{env.name}-eks-cluster"
    deploy_role = f"{account}:role/acme-{env.name}-github-deploy"
    admin_role = f"{account}:role/platform-admin"
    return [
        # What deploying needs.
        (("eks:CreateCluster", "*", {}), "Allow"),
        (("iam:CreateRole", own_role, bounded), "Allow"),
        (("iam:AttachRolePolicy", own_role, bounded), "Allow"),
        (("iam:DetachRolePolicy", own_role, bounded), "Allow"),
        (("iam:PassRole", own_role, {}), "Allow"),
        (("iam:CreatePolicyVersion", f"{account}:policy/acme-{env.name}-something", {}), "Allow"),
        (("iam:GetRole", deploy_role, {}), "Allow"),
        # Roles only under this boundary.
        (("iam:CreateRole", own_role, {}), "Deny"),
        (("iam:CreateRole", own_role, other), "Deny"),
        (("iam:PutRolePermissionsBoundary", own_role, other), "Deny"),
        (("iam:AttachRolePolicy", admin_role, {}), "Deny"),
        (("iam:PutRolePolicy", admin_role, {}), "Deny"),
        (("iam:DeleteRolePermissionsBoundary", own_role, bounded), "Deny"),
        # The boundary itself and the bootstrap's roles and OIDC provider.
        (("iam:CreatePolicyVersion", deploy_boundary_arn(env), {}), "Deny"),
        (("iam:SetDefaultPolicyVersion", deploy_boundary_arn(env), {}), "Deny"),
        (("iam:DeletePolicy", deploy_boundary_arn(env), {}), "Deny"),
        (("iam:AttachRolePolicy", deploy_role, bounded), "Deny"),
        (("iam:UpdateAssumeRolePolicy", deploy_role, bounded), "Deny"),
        (("iam:PutRolePolicy", f"{account}:role/acme-{env.name}-github-plan", bounded), "Deny"),
        (
            ("iam:DeleteOpenIDConnectProvider", f"{account}:oidc-provider/token.actions.githubusercontent.com", {}),
            "Deny",
        ),
        # Roles of the account outside this environment.
        (("iam:PassRole", admin_role, {}), "Deny"),
        (("sts:AssumeRole", admin_role, {}), "Deny"),
        (("iam:UpdateAssumeRolePolicy", admin_role, {}), "Deny"),
        # Users and their credentials.
        (("iam:CreateUser", f"{account}:user/ci", bounded), "Deny"),
        (("iam:CreateAccessKey", f"{account}:user/admin", {}), "Deny"),
        (("iam:CreateLoginProfile", f"{account}:user/admin", {}), "Deny"),
        (("iam:AddUserToGroup", f"{account}:group/admins", {}), "Deny"),
    ]


@pytest.mark.parametrize("env", ENVS)
def test_deploy_role_is_capped_by_the_boundary(
    stacks: dict[str, Document], environments: dict[str, Environment], env: str
) -> None:
    spec = environments[env]
    stack = stacks[f"{env}-bootstrap"]
    name, policy, _ = boundary(stack)
    assert policy["name"] == deploy_boundary_name(spec)
    # The ARN the other stacks use is the one this policy gets.
    assert deploy_boundary_arn(spec) == f"arn:aws:iam::{spec.account_id}:policy/{policy['name']}"
    _, deploy = by_path(stack, "aws_iam_role", "github/deploy/role")
    assert deploy["permissions_boundary"] == ref("aws_iam_policy", name, "arn")


@pytest.mark.parametrize("env", ENVS)
def test_boundary_allows_deploying_and_denies_escalation(
    stacks: dict[str, Document], environments: dict[str, Environment], env: str
) -> None:
    _, _, statements = boundary(stacks[f"{env}-bootstrap"])
    table = requests(environments[env])
    assert [decision(statements, request) for request, _ in table] == [expected for _, expected in table]


def test_every_deny_of_the_boundary_is_needed(
    stacks: dict[str, Document], environments: dict[str, Environment]
) -> None:
    """Taking any one Deny away lets through a request of the table above."""
    _, _, statements = boundary(stacks["dev-bootstrap"])
    table = requests(environments["dev"])
    for index, statement in enumerate(statements):
        if statement.get("effect") != "Deny":
            continue
        weakened = statements[:index] + statements[index + 1 :]
        let_through = [r for r, expected in table if expected == "Deny" and decision(weakened, r) == "Allow"]
        assert let_through, f"{statement['sid']} denies nothing the others do not"


def unbounded_roles(stacks: dict[str, Document], environments: dict[str, Environment]) -> list[str]:
    problems = []
    for name, stack in sorted(stacks.items()):
        env, _, part = name.partition("-")
        if part == "bootstrap":
            continue
        for role in resources(stack, "aws_iam_role").values():
            if role.get("permissions_boundary") != deploy_boundary_arn(environments[env]):
                problems.append(f"{name} {role['name']}: permissions_boundary {role.get('permissions_boundary')}")
    return problems


def test_every_role_the_deploy_creates_carries_the_boundary(
    stacks: dict[str, Document], environments: dict[str, Environment]
) -> None:
    assert unbounded_roles(stacks, environments) == []
    assert sum(len(resources(s, "aws_iam_role")) for n, s in stacks.items() if "bootstrap" not in n) > 20


def test_a_role_without_the_boundary_is_reported(
    stacks: dict[str, Document], environments: dict[str, Environment]
) -> None:
    planted = copy.deepcopy(stacks["dev-data"])
    _, role = by_path(planted, "aws_iam_role", "postgres/monitoring-role/role")
    del role["permissions_boundary"]
    assert unbounded_roles({"dev-data": planted}, environments) == [
        "dev-data acme-dev-postgres-monitoring: permissions_boundary None"
    ]


@pytest.mark.parametrize("env", ENVS)
def test_the_deploy_may_pass_every_role_it_creates(
    stacks: dict[str, Document], environments: dict[str, Environment], env: str
) -> None:
    """The boundary lets the deploy pass only this environment's roles: all of them qualify."""
    _, _, statements = boundary(stacks[f"{env}-bootstrap"])
    account = environments[env].account_id
    for name, stack in stacks.items():
        if not name.startswith(f"{env}-") or name.endswith("-bootstrap"):
            continue
        clusters = {
            ref("aws_eks_cluster", n, "name"): c["name"] for n, c in resources(stack, "aws_eks_cluster").items()
        }
        for role in resources(stack, "aws_iam_role").values():
            role_name = role["name"]
            for token, value in clusters.items():
                role_name = role_name.replace(token, value)
            arn = f"arn:aws:iam::{account}:role/{role_name}"
            assert decision(statements, ("iam:PassRole", arn, {})) == "Allow", arn


def test_a_role_added_to_any_stack_but_bootstrap_gets_the_boundary(environments: dict[str, Environment]) -> None:
    """The Aspect reaches roles that no construct of ours created."""
    env = environments["dev"]
    app = cdktf.Testing.app()
    for part, bootstrap in (("anything", False), ("bootstrap", True)):
        stack = EnvironmentStack(app, part, env=env, bootstrap=bootstrap)
        aws.iam_role.IamRole(stack, "raw", name="raw", assume_role_policy=json.dumps({"Statement": []}))
        [role] = json.loads(cdktf.Testing.synth(stack))["resource"]["aws_iam_role"].values()
        assert role.get("permissions_boundary") == (None if bootstrap else deploy_boundary_arn(env))
