"""An IAM role that EKS Pod Identity hands to one service account of one cluster."""

from __future__ import annotations

from collections.abc import Sequence

from constructs import Construct

from stacks.constructs.iam import ServiceRole, Statement


def pod_identity_trust(*, account_id: str, cluster_arn: str, namespace: str, service_account: str) -> Statement:
    """Trust the Pod Identity service for exactly this service account of this cluster.

    EKS Pod Identity puts the cluster, namespace and service account on the session as
    request tags, and the trust matches them
    (https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html, tag list in
    https://docs.aws.amazon.com/eks/latest/userguide/pod-id-abac.html#pod-id-abac-tags).
    sts:TagSession lets it add those tags. aws:SourceArn is not among the keys EKS
    documents for this trust; the eks-cluster-arn tag names the cluster instead.
    aws:SourceAccount is not in the user guide's example; AWS's own sample trust has it
    beside the request tags (aws-samples/sample-eks-nitro-sandbox, pod-identity-trust.json).
    """
    return {
        "effect": "Allow",
        "actions": ["sts:AssumeRole", "sts:TagSession"],
        "principals": [{"type": "Service", "identifiers": ["pods.eks.amazonaws.com"]}],
        "condition": [
            {"test": "StringEquals", "variable": "aws:SourceAccount", "values": [account_id]},
            {"test": "StringEquals", "variable": "aws:RequestTag/eks-cluster-arn", "values": [cluster_arn]},
            {"test": "StringEquals", "variable": "aws:RequestTag/kubernetes-namespace", "values": [namespace]},
            {
                "test": "StringEquals",
                "variable": "aws:RequestTag/kubernetes-service-account",
                "values": [service_account],
            },
        ],
    }


class PodIdentityRole(ServiceRole):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        account_id: str,
        cluster_arn: str,
        namespace: str,
        service_account: str,
        managed_policies: Sequence[str] = (),
        inline_policy: str | None = None,
    ) -> None:
        super().__init__(
            scope,
            id_,
            name=name,
            trust=pod_identity_trust(
                account_id=account_id, cluster_arn=cluster_arn, namespace=namespace, service_account=service_account
            ),
            managed_policies=managed_policies,
            inline_policy=inline_policy,
        )
