"""AWS Load Balancer Controller: Ingress → ALB with pod-IP targets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stacks.constructs.addons.helm_addon import AddonProps, AwsIdentity, Chart
from stacks.constructs.addons.load_balancer_controller_policy import load_balancer_controller_statements

CHART = Chart(repository="https://aws.github.io/eks-charts", name="aws-load-balancer-controller", version="1.14.0")
NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "aws-load-balancer-controller"


def load_balancer_controller(
    *, cluster_name: str, region: str, vpc_id: str, overrides: Mapping[str, Any]
) -> AddonProps:
    values = {
        # Set explicitly: with IMDSv2 and a hop limit of 1 the pods cannot ask the
        # instance metadata service for the region or the VPC.
        "clusterName": cluster_name,
        "region": region,
        "vpcId": vpc_id,
        "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT},
        "replicaCount": 2,
        "podDisruptionBudget": {"maxUnavailable": 1},
        "defaultTargetType": "ip",
        # Without this, the controller's webhook claims every new Service of type
        # LoadBalancer; here only Services that ask for it become NLBs.
        "enableServiceMutatorWebhook": False,
    }
    return AddonProps(
        release="aws-load-balancer-controller",
        namespace=NAMESPACE,
        chart=CHART,
        values=values,
        overrides=overrides,
        identity=AwsIdentity(service_account=SERVICE_ACCOUNT, statements=load_balancer_controller_statements()),
        create_namespace=False,
    )
