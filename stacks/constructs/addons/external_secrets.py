"""External Secrets Operator: Secrets Manager → Kubernetes Secrets (API external-secrets.io/v1)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from stacks.constructs.addons.external_secrets_policy import external_secrets_statements
from stacks.constructs.addons.helm_addon import AddonProps, AwsIdentity, Chart

CHART = Chart(repository="https://charts.external-secrets.io", name="external-secrets", version="1.0.0")
NAMESPACE = "external-secrets"
SERVICE_ACCOUNT = "external-secrets"


def external_secrets(
    *, region: str, readable_secret_arns: Sequence[str], key_arns: Sequence[str], overrides: Mapping[str, Any]
) -> AddonProps:
    values = {
        # The CRDs come with the chart, so Flux can apply ClusterSecretStore and
        # ExternalSecret objects as soon as this release is ready.
        "installCRDs": True,
        "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT},
        # Two replicas, one leader: the chart's PDB keeps one running during node drains.
        "replicaCount": 2,
        "leaderElect": True,
        "podDisruptionBudget": {"enabled": True, "minAvailable": 1},
    }
    return AddonProps(
        release="external-secrets",
        namespace=NAMESPACE,
        chart=CHART,
        values=values,
        overrides=overrides,
        identity=AwsIdentity(
            service_account=SERVICE_ACCOUNT,
            statements=external_secrets_statements(
                readable_secret_arns=readable_secret_arns, key_arns=key_arns, region=region
            ),
        ),
    )
