"""An IAM role that EKS Pod Identity hands to one service account of one cluster."""

from __future__ import annotations

from collections.abc import Sequence

from constructs import Construct

from stacks.constructs.iam import ServiceRole, Statement


def pod_identity_trust(*, account_id: str, cluster_arn: str) -> Statement:
    """Trust the Pod Identity service, and only on behalf of this cluster."""
    return {
        "effect": "Allow",
        "actions": ["sts:AssumeRole", "sts:TagSession"],
        "principals": [{"type": "Service", "identifiers": ["pods.eks.amazonaws.com"]}],
        "condition": [
            {"test": "StringEquals", "variable": "aws:SourceAccount", "values": [account_id]},
            {"test": "ArnEquals", "variable": "aws:SourceArn", "values": [cluster_arn]},
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
        managed_policies: Sequence[str] = (),
        inline_policy: str | None = None,
    ) -> None:
        super().__init__(
            scope,
            id_,
            name=name,
            trust=pod_identity_trust(account_id=account_id, cluster_arn=cluster_arn),
            managed_policies=managed_policies,
            inline_policy=inline_policy,
        )
