"""The shape every controller add-on shares: a pinned chart, values built from cluster
facts, an escape hatch merged last, and (when it calls AWS) a Pod Identity role bound to
exactly the namespace and service account the chart runs as.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from constructs import Construct

from stacks.bindings import aws, helm
from stacks.constructs.iam import Statement, policy_document
from stacks.constructs.pod_identity_role import PodIdentityRole
from stacks.merge import deep_merge


@dataclass(frozen=True)
class Chart:
    """A chart pinned to one version, from one repository."""

    repository: str
    name: str
    version: str


@dataclass(frozen=True)
class AwsIdentity:
    """The IAM policy the add-on's service account receives through Pod Identity."""

    service_account: str
    statements: Sequence[Statement]


@dataclass(frozen=True)
class AddonProps:
    release: str
    namespace: str
    chart: Chart
    values: Mapping[str, Any]
    overrides: Mapping[str, Any] = field(default_factory=dict)
    identity: AwsIdentity | None = None
    create_namespace: bool = True
    timeout_seconds: int = 600


class HelmAddon(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        props: AddonProps,
        cluster_name: str,
        cluster_arn: str,
        account_id: str,
        role_name: str,
        depends_on: Sequence[Any] = (),
    ) -> None:
        super().__init__(scope, id_)
        waits_for = list(depends_on)
        self.role: PodIdentityRole | None = None
        if props.identity is not None:
            self.role = PodIdentityRole(
                self,
                "role",
                name=role_name,
                account_id=account_id,
                cluster_arn=cluster_arn,
                namespace=props.namespace,
                service_account=props.identity.service_account,
                inline_policy=policy_document(self, "policy", props.identity.statements),
            )
            # The association must exist before the pods start: EKS injects the
            # credentials only into pods created after it.
            waits_for.append(
                aws.eks_pod_identity_association.EksPodIdentityAssociation(
                    self,
                    "pod-identity",
                    cluster_name=cluster_name,
                    namespace=props.namespace,
                    service_account=props.identity.service_account,
                    role_arn=self.role.arn,
                )
            )
        self.values = deep_merge(props.values, props.overrides)
        self.release = helm.release.Release(
            self,
            "release",
            name=props.release,
            namespace=props.namespace,
            create_namespace=props.create_namespace,
            repository=props.chart.repository,
            chart=props.chart.name,
            version=props.chart.version,
            values=[json.dumps(self.values, sort_keys=True)],
            # Wait until the controller's pods (and webhooks) are ready, and roll back a
            # failed upgrade rather than leave a half-applied release.
            wait=True,
            atomic=True,
            cleanup_on_fail=True,
            max_history=10,
            timeout=props.timeout_seconds,
            depends_on=waits_for,
        )
