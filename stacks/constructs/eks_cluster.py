"""The EKS control plane: private endpoint on, public endpoint only for listed ranges,
Kubernetes secrets envelope-encrypted with a rotating KMS key, every control-plane log
type kept, and cluster access granted only through access entries (no aws-auth map).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from constructs import Construct

from stacks.bindings import aws
from stacks.constructs.encryption_key import EncryptionKey
from stacks.constructs.iam import ServiceRole, service_trust
from stacks.constructs.log_group import encrypted_log_group

CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
# Get, list and watch on every resource, Secrets included: the Helm provider reads each
# release's state from a Secret while planning
# (https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html).
ADMIN_VIEW_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy"


@dataclass(frozen=True)
class ClusterOutputs:
    name: str
    arn: str
    endpoint: str
    certificate_authority: str
    security_group_id: str
    kubernetes_version: str


class EksCluster(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        kubernetes_version: str,
        subnet_ids: Sequence[str],
        public_access_cidrs: Sequence[str],
        admin_principal_arns: Sequence[str],
        deploy_role_arn: str,
        plan_role_arn: str,
        log_retention_days: int,
        account_id: str,
        region: str,
    ) -> None:
        super().__init__(scope, id_)
        secrets_key = EncryptionKey(
            self,
            "secrets-key",
            alias=f"{name}-secrets",
            description=f"Envelope encryption of {name} Kubernetes secrets",
            account_id=account_id,
            region=region,
        )
        logs_key = EncryptionKey(
            self,
            "logs-key",
            alias=f"{name}-logs",
            description=f"{name} control-plane logs",
            account_id=account_id,
            region=region,
            for_cloudwatch_logs=True,
        )
        # EKS writes to this exact name; creating it first sets retention and encryption.
        log_group = encrypted_log_group(
            self, "log-group", name=f"/aws/eks/{name}/cluster", retention_days=log_retention_days, key_arn=logs_key.arn
        )
        role = ServiceRole(
            self,
            "role",
            name=f"{name}-cluster",
            trust=service_trust("eks.amazonaws.com", account_id=account_id, extra_actions=["sts:TagSession"]),
            managed_policies=["AmazonEKSClusterPolicy"],
        )
        self.cluster = aws.eks_cluster.EksCluster(
            self,
            "cluster",
            name=name,
            version=kubernetes_version,
            role_arn=role.arn,
            vpc_config={
                "subnet_ids": list(subnet_ids),
                "endpoint_private_access": True,
                "endpoint_public_access": bool(public_access_cidrs),
                "public_access_cidrs": list(public_access_cidrs) or None,
            },
            access_config={
                "authentication_mode": "API",
                # The creator gets no hidden admin rights: every admin is an entry below.
                "bootstrap_cluster_creator_admin_permissions": False,
            },
            encryption_config={"provider": {"key_arn": secrets_key.arn}, "resources": ["secrets"]},
            enabled_cluster_log_types=list(CONTROL_PLANE_LOG_TYPES),
            # vpc-cni, kube-proxy and CoreDNS come as managed add-ons (core_addons.py), not as
            # the unmanaged copies EKS would otherwise install.
            bootstrap_self_managed_addons=False,
            # Out of standard support the cluster is upgraded rather than billed for extended support.
            upgrade_policy={"support_type": "STANDARD"},
            depends_on=[log_group, *role.attachments],
        )
        for index, principal in enumerate(admin_principal_arns):
            self._grant(f"admin-{index}", principal, CLUSTER_ADMIN_POLICY)
        # The GitHub roles of the bootstrap stack: deploy applies Helm releases and
        # Kubernetes objects, plan (pull requests, drift) only reads them.
        self._grant("ci-deploy", deploy_role_arn, CLUSTER_ADMIN_POLICY)
        self._grant("ci-plan", plan_role_arn, ADMIN_VIEW_POLICY)
        self.outputs = ClusterOutputs(
            name=self.cluster.name,
            arn=self.cluster.arn,
            endpoint=self.cluster.endpoint,
            certificate_authority=self.cluster.certificate_authority.get(0).data,
            security_group_id=self.cluster.vpc_config.cluster_security_group_id,
            kubernetes_version=self.cluster.version,
        )

    def _grant(self, id_: str, principal_arn: str, policy_arn: str) -> None:
        """An access entry for the principal and one access policy on the whole cluster."""
        entry = aws.eks_access_entry.EksAccessEntry(
            self, id_, cluster_name=self.cluster.name, principal_arn=principal_arn, type="STANDARD"
        )
        aws.eks_access_policy_association.EksAccessPolicyAssociation(
            self,
            f"{id_}-policy",
            cluster_name=self.cluster.name,
            principal_arn=entry.principal_arn,
            policy_arn=policy_arn,
            access_scope={"type": "cluster"},
        )
