"""AWS Load Balancer Controller: Ingress → ALB with pod-IP targets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stacks.constructs.addons.hardening import Resources, container_security_context
from stacks.constructs.addons.helm_addon import AddonProps, AwsIdentity, Chart
from stacks.constructs.addons.load_balancer_controller_policy import load_balancer_controller_statements

CHART = Chart(repository="https://aws.github.io/eks-charts", name="aws-load-balancer-controller", version="1.14.0")
NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "aws-load-balancer-controller"
# The image's own user: it is built on eks-distro-minimal-base-nonroot, whose USER is 65532
# (aws/eks-distro-build-tooling eks-distro-base/Dockerfile.minimal-base-nonroot;
# kubernetes-sigs/aws-load-balancer-controller Dockerfile). The chart sets no user.
IMAGE_USER = 65532
# Upstream's own sizing, from its kustomize Deployment (kubernetes-sigs/aws-load-balancer-
# controller config/controller/controller.yaml: requests 100m/200Mi, limits 200m/500Mi),
# without the CPU limit. The chart ships `resources: {}`.
RESOURCES = Resources(cpu="100m", memory="200Mi", memory_limit="500Mi")


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
        "resources": RESOURCES.values(),
        # The chart's default context keeps the runtime's default capabilities (its
        # `drop: [ALL]` is commented out) and sets no seccomp profile or user; the
        # controller needs no capability (its webhook and metrics listen on 9443 and 8080).
        "securityContext": container_security_context(user=IMAGE_USER),
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
