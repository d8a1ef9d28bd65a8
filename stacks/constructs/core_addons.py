"""EKS managed add-ons every cluster here needs, at the versions reviewed for its Kubernetes
minor (addon_versions.py), never at whatever AWS resolves while planning.

Networking add-ons go in before the nodes (a node is not Ready without them); CoreDNS
and the EBS CSI driver run as Deployments and go in after. Add-ons that call AWS get a
Pod Identity role scoped to their own service account.

Where `observability.enabled`, two more go in after the nodes: kube-state-metrics (the
EKS community add-on, scraped by the AMP managed collector) and
amazon-cloudwatch-observability (Container Insights metrics and Fluent Bit container
logs), which writes to log groups the cluster stack has created, encrypted, beforehand.

Terraform orders an upgrade the same way: every add-on references the cluster, so a new
Kubernetes minor updates the control plane first, then the add-ons before the nodes, then
the node groups (which depend on those), then the add-ons after the nodes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from constructs import Construct

from stacks.bindings import aws
from stacks.config.addon_versions import AddonVersions
from stacks.constructs.eks_cluster import ClusterOutputs
from stacks.constructs.pod_identity_role import PodIdentityRole

# EKS add-ons run their service accounts in kube-system, except these (the EKS user
# guide's page of each add-on; the system model reads the same in upstream_facts.py).
ADDON_NAMESPACE = "kube-system"
ADDON_NAMESPACES = {"amazon-cloudwatch-observability": "amazon-cloudwatch", "kube-state-metrics": "kube-state-metrics"}
# Add-on → (service account, managed policy) for add-ons that need AWS permissions.
ADDON_IDENTITIES = {
    "vpc-cni": ("aws-node", "AmazonEKS_CNI_Policy"),
    "aws-ebs-csi-driver": ("ebs-csi-controller-sa", "service-role/AmazonEBSCSIDriverPolicy"),
    # The agent and Fluent Bit both run as cloudwatch-agent (the chart's fluent-bit DaemonSet).
    "amazon-cloudwatch-observability": ("cloudwatch-agent", "CloudWatchAgentServerPolicy"),
}
ADDON_CONFIGURATION: dict[str, dict[str, Any]] = {
    # The VPC CNI enforces NetworkPolicy objects only when this is on.
    "vpc-cni": {"enableNetworkPolicy": "true"},
    # An agent config replaces the add-on's default one: Container Insights (enhanced)
    # without Application Signals, which would also need X-Ray permissions and
    # instruments workloads; container logs through Fluent Bit.
    # https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/install-CloudWatch-Observability-EKS-addon.html
    "amazon-cloudwatch-observability": {
        "agent": {"config": {"logs": {"metrics_collected": {"kubernetes": {"enhanced_container_insights": True}}}}},
        "containerLogs": {"enabled": True},
    },
}
BEFORE_NODES = ("vpc-cni", "kube-proxy", "eks-pod-identity-agent")
OBSERVABILITY = ("kube-state-metrics", "amazon-cloudwatch-observability")
# metrics-server (an EKS community add-on) feeds the app's HorizontalPodAutoscaler.
AFTER_NODES = ("coredns", "aws-ebs-csi-driver", "metrics-server", *OBSERVABILITY)
INSTALLED = (*BEFORE_NODES, *AFTER_NODES)


class CoreAddons(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        cluster: ClusterOutputs,
        versions: AddonVersions,
        role_prefix: str,
        account_id: str,
        observability: bool = False,
    ) -> None:
        super().__init__(scope, id_)
        self._installed = [name for name in INSTALLED if observability or name not in OBSERVABILITY]
        missing = [name for name in self._installed if name not in versions.versions]
        if missing:
            raise ValueError(f"no version for add-on(s) {', '.join(missing)} in stacks/config/addon_versions.py")
        self._cluster = cluster
        self._versions = versions.versions
        self._role_prefix = role_prefix
        self._account_id = account_id
        self.before_nodes = [self._addon(name, ()) for name in BEFORE_NODES]

    def add_after_nodes(self, node_groups: Sequence[Any], *, container_log_groups: Sequence[Any] = ()) -> None:
        """`container_log_groups`: what amazon-cloudwatch-observability writes to, created first."""
        for name in AFTER_NODES:
            if name in self._installed:
                extra = container_log_groups if name == "amazon-cloudwatch-observability" else ()
                self._addon(name, [*node_groups, *extra])

    def _addon(self, name: str, depends_on: Sequence[Any]) -> Any:
        identities = []
        if name in ADDON_IDENTITIES:
            service_account, policy = ADDON_IDENTITIES[name]
            role = PodIdentityRole(
                self,
                f"{name}-role",
                name=f"{self._role_prefix}-{name}",
                account_id=self._account_id,
                cluster_arn=self._cluster.arn,
                namespace=ADDON_NAMESPACES.get(name, ADDON_NAMESPACE),
                service_account=service_account,
                managed_policies=[policy],
            )
            identities.append(
                aws.eks_addon.EksAddonPodIdentityAssociation(service_account=service_account, role_arn=role.arn)
            )
        configuration = ADDON_CONFIGURATION.get(name)
        return aws.eks_addon.EksAddon(
            self,
            name,
            cluster_name=self._cluster.name,
            addon_name=name,
            addon_version=self._versions[name],
            # Terraform is the source of truth for add-on settings.
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            pod_identity_association=identities or None,
            configuration_values=json.dumps(configuration) if configuration else None,
            depends_on=list(depends_on),
        )
