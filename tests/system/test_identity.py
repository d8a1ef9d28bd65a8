"""Identity invariant: each planted defect is reported with its exact line."""

from __future__ import annotations

from typing import Any

from system import identity
from system.facts import SystemFacts
from system.terraform import construct_path, resources
from system.workflow_jobs import expanded_jobs
from tests.system.conftest import FactsFactory

DEPLOY = "arn:aws:iam::111111111111:role/acme-dev-github-deploy"
PLAN = "arn:aws:iam::111111111111:role/acme-dev-github-plan"


def lines(facts: SystemFacts) -> list[str]:
    return [str(v) for v in identity.check(facts)]


def first_job(facts: SystemFacts, stack: str, *, applies: bool) -> str:
    return next(
        str(j) for j in expanded_jobs(facts.workflows, [facts.env]) if j.touches(stack) and j.applies == applies
    )


def trust_statement(document: dict[str, Any], role: dict[str, Any]) -> dict[str, Any]:
    """The first statement of a role's trust policy document, editable in place."""
    trust_name = role["assume_role_policy"].split(".")[2]
    statement: dict[str, Any] = document["data"]["aws_iam_policy_document"][trust_name]["statement"][0]
    return statement


def test_the_examples_hold(system_facts: FactsFactory) -> None:
    for name in ("dev", "prod"):
        assert lines(system_facts(name)) == []


def test_a_ci_role_without_an_access_entry_is_reported(system_facts: FactsFactory) -> None:
    facts = system_facts("dev")
    entries = facts.stack("cluster")["resource"]["aws_eks_access_entry"]
    [name] = [n for n, b in entries.items() if b["principal_arn"] == DEPLOY]
    del entries[name]
    job = first_job(facts, "dev-platform", applies=True)
    assert lines(facts) == [
        f"dev-cluster: identity: {DEPLOY} ({job}) has no access entry; it needs AmazonEKSClusterAdminPolicy "
        "and gets Unauthorized"
    ]


def test_the_plan_role_may_only_view(system_facts: FactsFactory) -> None:
    facts = system_facts("dev")
    associations = facts.stack("cluster")["resource"]["aws_eks_access_policy_association"]
    entries = facts.stack("cluster")["resource"]["aws_eks_access_entry"]
    [entry] = [n for n, b in entries.items() if b["principal_arn"] == PLAN]
    for body in associations.values():
        if entry in str(body["principal_arn"]) or body["principal_arn"] == PLAN:
            body["policy_arn"] = identity.ADMIN
    job = first_job(facts, "dev-platform", applies=False)
    assert lines(facts) == [
        f"dev-cluster: identity: {PLAN} ({job}) needs AmazonEKSAdminViewPolicy, has AmazonEKSClusterAdminPolicy",
        f"dev-cluster: identity: {PLAN} (plan and drift) may only view, has AmazonEKSClusterAdminPolicy",
    ]


def test_an_admin_principal_without_an_entry_is_reported(system_facts: FactsFactory) -> None:
    facts = system_facts("dev")
    admin = facts.env.cluster.admin_principal_arns[0]
    entries = facts.stack("cluster")["resource"]["aws_eks_access_entry"]
    for name in [n for n, b in entries.items() if b["principal_arn"] == admin]:
        del entries[name]
    assert lines(facts) == [
        f"dev-cluster: identity: {admin} (cluster.admin_principal_arns) has no access entry; "
        "it needs AmazonEKSClusterAdminPolicy and gets Unauthorized"
    ]


def test_a_pod_identity_for_a_missing_service_account_is_reported(system_facts: FactsFactory) -> None:
    facts = system_facts("dev")
    associations = facts.stack("platform")["resource"]["aws_eks_pod_identity_association"]
    [body] = [b for b in associations.values() if b["namespace"] == "external-dns"]
    body["service_account"] = "external-dsn"
    reported = lines(facts)
    assert (
        "dev-platform: Pod Identity external-dns/external-dsn: identity: "
        "no such service account among the objects that will be in the cluster"
    ) in reported


def test_a_trust_on_the_cluster_arn_instead_of_session_tags_is_reported(system_facts: FactsFactory) -> None:
    facts = system_facts("dev")
    platform = facts.stack("platform")
    roles = resources(platform, "aws_iam_role")
    [role] = [b for b in roles.values() if construct_path(b).endswith("external-dns/role/role")]
    trust_statement(platform, role)["condition"] = [
        {"test": "StringEquals", "variable": "aws:SourceAccount", "values": ["111111111111"]},
        {"test": "ArnEquals", "variable": "aws:SourceArn", "values": ["${cluster.arn}"]},
    ]
    where = f"dev-platform: Pod Identity external-dns/external-dns: role {role['name']}: identity"
    assert lines(facts) == [
        f"{where}: trust needs StringEquals aws:RequestTag/kubernetes-namespace = external-dns",
        f"{where}: trust needs StringEquals aws:RequestTag/kubernetes-service-account = external-dns",
        f"{where}: trust does not name the cluster (aws:RequestTag/eks-cluster-arn)",
        f"{where}: trust conditions on aws:SourceArn, which EKS Pod Identity does not document for this trust",
    ]


def test_a_trust_for_another_service_account_is_reported(system_facts: FactsFactory) -> None:
    facts = system_facts("dev")
    cluster = facts.stack("cluster")
    roles = resources(cluster, "aws_iam_role")
    [role] = [b for b in roles.values() if str(b.get("name", "")).endswith("-vpc-cni")]
    for condition in trust_statement(cluster, role)["condition"]:
        if condition["variable"] == "aws:RequestTag/kubernetes-service-account":
            condition["values"] = ["ebs-csi-controller-sa"]
    assert lines(facts) == [
        f"dev-cluster: Pod Identity kube-system/aws-node: role {role['name']}: identity: "
        "trust needs StringEquals aws:RequestTag/kubernetes-service-account = aws-node"
    ]


def rotation_function(facts: SystemFacts) -> dict[str, Any]:
    [body] = resources(facts.stack("data"), "aws_lambda_function").values()
    return body


def test_a_function_role_lambda_cannot_assume_is_reported(system_facts: FactsFactory) -> None:
    facts = system_facts("dev")
    data = facts.stack("data")
    role_name = rotation_function(facts)["role"].split(".")[1]
    trust = trust_statement(data, data["resource"]["aws_iam_role"][role_name])
    trust["principals"] = [{"type": "Service", "identifiers": ["edgelambda.amazonaws.com"]}]
    assert lines(facts) == [
        "dev-data: Lambda acme-dev-app-credential-rotation: identity: role acme-dev-app-credential-rotation "
        "does not trust lambda.amazonaws.com"
    ]


def test_secrets_manager_invoking_for_any_secret_is_reported(system_facts: FactsFactory) -> None:
    facts = system_facts("prod")
    [permission] = resources(facts.stack("data"), "aws_lambda_permission").values()
    del permission["source_arn"]
    assert lines(facts) == [
        "prod-data: Lambda acme-prod-app-credential-rotation: identity: secretsmanager.amazonaws.com may invoke it "
        "for any resource: the permission needs source_arn"
    ]
