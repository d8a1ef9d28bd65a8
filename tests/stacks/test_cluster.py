"""The cluster stack: control-plane hardening, node hardening, add-on identities."""

from __future__ import annotations

import json

import pytest

from stacks.config import Environment
from stacks.constructs.core_addons import OBSERVABILITY
from stacks.constructs.eks_cluster import CONTROL_PLANE_LOG_TYPES
from tests.conftest import ENVIRONMENT_NAMES
from tests.helpers import Document, by_path, data_sources, only, ref, remote, resources

ENVS = ENVIRONMENT_NAMES


@pytest.mark.parametrize("env", ENVS)
def test_control_plane_is_private_first_and_encrypted(
    stacks: dict[str, Document], environments: dict[str, Environment], env: str
) -> None:
    stack = stacks[f"{env}-cluster"]
    cluster = only(stack, "aws_eks_cluster")
    vpc = cluster["vpc_config"]
    assert vpc["endpoint_private_access"] is True
    assert vpc["public_access_cidrs"] == [str(c) for c in environments[env].cluster.public_access_cidrs]
    assert "0.0.0.0/0" not in vpc["public_access_cidrs"]
    assert all(remote(subnet, f"{env}-network") for subnet in vpc["subnet_ids"])
    key_name, key = by_path(stack, "aws_kms_key", "secrets-key/key")
    assert cluster["encryption_config"] == {
        "provider": {"key_arn": ref("aws_kms_key", key_name, "arn")},
        "resources": ["secrets"],
    }
    assert key["enable_key_rotation"] is True
    assert cluster["enabled_cluster_log_types"] == list(CONTROL_PLANE_LOG_TYPES)
    assert cluster["version"] == environments[env].cluster.kubernetes_version


def access(stack: Document) -> dict[str, str]:
    """Principal ARN → the access policy it has on the whole cluster (one each)."""
    entries = resources(stack, "aws_eks_access_entry")
    granted: dict[str, str] = {}
    for association in resources(stack, "aws_eks_access_policy_association").values():
        assert association["access_scope"] == {"type": "cluster"}
        principal = entries[association["principal_arn"].split(".")[1]]["principal_arn"]
        assert principal not in granted, f"{principal} has two access policies"
        granted[principal] = association["policy_arn"].rsplit("/", 1)[1]
    assert sorted(granted) == sorted(entry["principal_arn"] for entry in entries.values())
    return granted


def github_role_arn(stacks: dict[str, Document], env: Environment, kind: str) -> str:
    """The ARN of the GitHub role the bootstrap stack creates (the workflows assume it)."""
    _, role = by_path(stacks[f"{env.name}-bootstrap"], "aws_iam_role", f"github/{kind}/role")
    return f"arn:aws:iam::{env.account_id}:role/{role['name']}"


@pytest.mark.parametrize("env", ENVS)
def test_access_is_by_access_entries_for_admins_and_ci_only(
    stacks: dict[str, Document], environments: dict[str, Environment], env: str
) -> None:
    stack = stacks[f"{env}-cluster"]
    cluster = only(stack, "aws_eks_cluster")
    assert cluster["access_config"] == {
        "authentication_mode": "API",
        "bootstrap_cluster_creator_admin_permissions": False,
    }
    spec = environments[env]
    assert access(stack) == {
        **{principal: "AmazonEKSClusterAdminPolicy" for principal in spec.cluster.admin_principal_arns},
        # CI applies Helm releases with the deploy role; the plan role reads, Secrets
        # included, where the Helm provider keeps release state.
        github_role_arn(stacks, spec, "deploy"): "AmazonEKSClusterAdminPolicy",
        github_role_arn(stacks, spec, "plan"): "AmazonEKSAdminViewPolicy",
    }


@pytest.mark.parametrize("env", ENVS)
def test_nodes_require_imdsv2_with_one_hop_and_encrypted_disks(stacks: dict[str, Document], env: str) -> None:
    template = only(stacks[f"{env}-cluster"], "aws_launch_template")
    assert template["metadata_options"]["http_tokens"] == "required"
    assert template["metadata_options"]["http_put_response_hop_limit"] == 1
    assert [m["ebs"]["encrypted"] for m in template["block_device_mappings"]] == ["true"]


@pytest.mark.parametrize("env", ENVS)
def test_node_groups_use_the_template_in_private_subnets(
    stacks: dict[str, Document], environments: dict[str, Environment], env: str
) -> None:
    stack = stacks[f"{env}-cluster"]
    template_name, _ = by_path(stack, "aws_launch_template", "launch-template")
    group = only(stack, "aws_eks_node_group")
    spec = environments[env].cluster.node_groups[0]
    assert group["ami_type"].startswith("AL2023_")
    assert group["launch_template"]["id"] == ref("aws_launch_template", template_name, "id")
    assert group["instance_types"] == spec.instance_types
    assert all(remote(subnet, f"{env}-network") for subnet in group["subnet_ids"])


@pytest.mark.parametrize("env", ENVS)
def test_node_role_carries_no_add_on_permissions(stacks: dict[str, Document], env: str) -> None:
    stack = stacks[f"{env}-cluster"]
    role_name, _ = by_path(stack, "aws_iam_role", "nodes-general/role/role")
    attached = sorted(
        a["policy_arn"].rsplit("/", 1)[1]
        for a in resources(stack, "aws_iam_role_policy_attachment").values()
        if a["role"] == ref("aws_iam_role", role_name, "name")
    )
    assert attached == ["AmazonEC2ContainerRegistryPullOnly", "AmazonEKSWorkerNodePolicy"]


@pytest.mark.parametrize("env", ENVS)
def test_core_add_ons_are_installed(
    stacks: dict[str, Document], environments: dict[str, Environment], env: str
) -> None:
    addons = {a["addon_name"] for a in resources(stacks[f"{env}-cluster"], "aws_eks_addon").values()}
    core = {"vpc-cni", "coredns", "kube-proxy", "eks-pod-identity-agent", "aws-ebs-csi-driver", "metrics-server"}
    observed = set(OBSERVABILITY) if environments[env].observability.enabled else set()
    assert addons == core | observed


@pytest.mark.parametrize(
    ("addon", "service_account"), [("vpc-cni", "aws-node"), ("aws-ebs-csi-driver", "ebs-csi-controller-sa")]
)
def test_add_on_roles_trust_only_their_service_account_on_this_cluster(
    stacks: dict[str, Document], addon: str, service_account: str
) -> None:
    stack = stacks["prod-cluster"]
    _, installed = by_path(stack, "aws_eks_addon", f"addons/{addon}")
    [association] = installed["pod_identity_association"]
    assert association["service_account"] == service_account
    role_name = association["role_arn"].split(".")[1]
    trust_name = resources(stack, "aws_iam_role")[role_name]["assume_role_policy"].split(".")[2]
    [statement] = data_sources(stack, "aws_iam_policy_document")[trust_name]["statement"]
    assert statement["principals"] == [{"identifiers": ["pods.eks.amazonaws.com"], "type": "Service"}]
    assert statement["actions"] == ["sts:AssumeRole", "sts:TagSession"]
    cluster_name, _ = by_path(stack, "aws_eks_cluster", "eks/cluster")
    # The session tags EKS Pod Identity sets; no aws:SourceArn, which it does not document here.
    assert {c["variable"]: (c["test"], c["values"]) for c in statement["condition"]} == {
        "aws:SourceAccount": ("StringEquals", ["222222222222"]),
        "aws:RequestTag/eks-cluster-arn": ("StringEquals", [ref("aws_eks_cluster", cluster_name, "arn")]),
        "aws:RequestTag/kubernetes-namespace": ("StringEquals", ["kube-system"]),
        "aws:RequestTag/kubernetes-service-account": ("StringEquals", [service_account]),
    }


def test_vpc_cni_enforces_network_policies(stacks: dict[str, Document]) -> None:
    _, cni = by_path(stacks["dev-cluster"], "aws_eks_addon", "addons/vpc-cni")
    assert json.loads(cni["configuration_values"]) == {"enableNetworkPolicy": "true"}


def test_workload_add_ons_wait_for_nodes(stacks: dict[str, Document]) -> None:
    stack = stacks["dev-cluster"]
    group_name, _ = by_path(stack, "aws_eks_node_group", "nodes-general/node-group")
    for addon in ("coredns", "aws-ebs-csi-driver", "metrics-server"):
        _, body = by_path(stack, "aws_eks_addon", f"addons/{addon}")
        assert f"aws_eks_node_group.{group_name}" in body["depends_on"]
