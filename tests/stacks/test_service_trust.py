"""Service-role trusts condition only on keys the service documents for them.

A condition on a key the service does not put into its AssumeRole request never matches,
and the service cannot assume the role: the node group never joins, the cluster is never
created. EKS Pod Identity trusts are tested with the cluster (test_cluster.py).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from stacks.constructs.iam import SOURCE_ACCOUNT_IN_TRUST, service_trust
from tests.helpers import Document, by_path, data_sources, resources

POD_IDENTITY = "pods.eks.amazonaws.com"


def service_trusts(stack: Document) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(role name, service, trust statement) for every role a service assumes."""
    documents = data_sources(stack, "aws_iam_policy_document")
    for role in resources(stack, "aws_iam_role").values():
        for statement in documents[role["assume_role_policy"].split(".")[2]]["statement"]:
            for principal in statement.get("principals", []):
                if principal["type"] == "Service":
                    for service in principal["identifiers"]:
                        yield role["name"], service, statement


def guard_problems(stacks: dict[str, Document]) -> list[str]:
    problems = []
    for name, stack in sorted(stacks.items()):
        for role, service, statement in service_trusts(stack):
            if service == POD_IDENTITY:
                continue
            guarded = any(c["variable"] == "aws:SourceAccount" for c in statement.get("condition", []))
            if guarded != SOURCE_ACCOUNT_IN_TRUST.get(service, False):
                problems.append(f"{name} {role}: aws:SourceAccount {'set' if guarded else 'missing'} for {service}")
    return problems


def test_every_service_trust_conditions_only_on_documented_keys(stacks: dict[str, Document]) -> None:
    assert guard_problems(stacks) == []
    services = {service for stack in stacks.values() for _, service, _ in service_trusts(stack)}
    # Every service the stacks trust has a looked-up answer, and every answer is used.
    assert services - {POD_IDENTITY} == set(SOURCE_ACCOUNT_IN_TRUST)


def test_an_undocumented_guard_is_reported(stacks: dict[str, Document]) -> None:
    planted = copy.deepcopy(stacks["dev-cluster"])
    _, role = by_path(planted, "aws_iam_role", "nodes-general/role/role")
    [statement] = data_sources(planted, "aws_iam_policy_document")[role["assume_role_policy"].split(".")[2]][
        "statement"
    ]
    statement["condition"] = [{"test": "StringEquals", "variable": "aws:SourceAccount", "values": ["111111111111"]}]
    assert guard_problems({"dev-cluster": planted}) == [
        f"dev-cluster {role['name']}: aws:SourceAccount set for ec2.amazonaws.com"
    ]


@pytest.mark.parametrize("path", ["nodes-general/role/role", "eks/role/role"])
def test_node_and_cluster_roles_trust_their_service_without_conditions(stacks: dict[str, Document], path: str) -> None:
    """EKS documents both trusts without conditions (create-node-role, cluster-iam-role)."""
    stack = stacks["prod-cluster"]
    _, role = by_path(stack, "aws_iam_role", path)
    [statement] = data_sources(stack, "aws_iam_policy_document")[role["assume_role_policy"].split(".")[2]]["statement"]
    assert "condition" not in statement


def test_a_service_nobody_looked_up_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^states\.amazonaws\.com: look up whether its documentation shows"):
        service_trust("states.amazonaws.com", account_id="111111111111")


def test_a_source_arn_only_where_the_service_documents_the_guard() -> None:
    trust = service_trust("codebuild.amazonaws.com", account_id="111111111111", source_arn="arn:aws:codebuild:x")
    assert {c["variable"] for c in trust["condition"]} == {"aws:SourceAccount", "aws:SourceArn"}
    with pytest.raises(ValueError, match="does not document aws:SourceArn"):
        service_trust("ec2.amazonaws.com", account_id="111111111111", source_arn="arn:aws:ec2:x")
