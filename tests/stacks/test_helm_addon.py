"""One add-on in a bare stack: the escape hatch wins and merges, and the role trusts its own service account only."""

from __future__ import annotations

import json
from typing import Any

import cdktf

from stacks.constructs.addons.helm_addon import AddonProps, AwsIdentity, Chart, HelmAddon
from stacks.merge import deep_merge


def test_deep_merge_overrides_leaves_and_keeps_siblings() -> None:
    base = {"a": {"b": 1, "c": 2}, "d": [1, 2]}
    assert deep_merge(base, {"a": {"b": 9}, "d": [3]}) == {"a": {"b": 9, "c": 2}, "d": [3]}
    assert base == {"a": {"b": 1, "c": 2}, "d": [1, 2]}


def synth_addon() -> dict[str, Any]:
    """One add-on with an AWS identity, in a bare stack."""
    stack = cdktf.TerraformStack(cdktf.Testing.app(), "bare")
    HelmAddon(
        stack,
        "addon",
        props=AddonProps(
            release="demo",
            namespace="demo-ns",
            chart=Chart(repository="https://charts.example.com", name="demo", version="1.2.3"),
            values={"replicaCount": 2, "serviceAccount": {"create": True, "name": "demo"}},
            overrides={"replicaCount": 3, "serviceAccount": {"annotations": {"team": "x"}}},
            identity=AwsIdentity(
                service_account="demo", statements=[{"actions": ["s3:ListBucket"], "resources": ["*"]}]
            ),
        ),
        cluster_name="c",
        cluster_arn="arn:aws:eks:eu-west-1:111111111111:cluster/c",
        account_id="111111111111",
        role_name="c-demo",
    )
    document: dict[str, Any] = json.loads(cdktf.Testing.synth(stack))
    return document


def test_overrides_are_merged_last_into_the_release_values() -> None:
    document = synth_addon()
    [release] = document["resource"]["helm_release"].values()
    assert json.loads(release["values"][0]) == {
        "replicaCount": 3,
        "serviceAccount": {"annotations": {"team": "x"}, "create": True, "name": "demo"},
    }


def test_role_is_trusted_for_the_release_namespace_and_service_account_only() -> None:
    document = synth_addon()
    [association] = document["resource"]["aws_eks_pod_identity_association"].values()
    assert (association["namespace"], association["service_account"]) == ("demo-ns", "demo")
    [role] = document["resource"]["aws_iam_role"].values()
    [statement] = document["data"]["aws_iam_policy_document"][role["assume_role_policy"].split(".")[2]]["statement"]
    tags = {c["variable"]: c["values"] for c in statement["condition"] if c["variable"].startswith("aws:RequestTag/")}
    assert tags == {
        "aws:RequestTag/eks-cluster-arn": ["arn:aws:eks:eu-west-1:111111111111:cluster/c"],
        "aws:RequestTag/kubernetes-namespace": ["demo-ns"],
        "aws:RequestTag/kubernetes-service-account": ["demo"],
    }
