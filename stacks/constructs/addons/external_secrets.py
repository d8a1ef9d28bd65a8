"""External Secrets Operator: Secrets Manager → Kubernetes Secrets (API external-secrets.io/v1)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from stacks.constructs.addons.external_secrets_policy import external_secrets_statements
from stacks.constructs.addons.hardening import (
    Resources,
    container_security_context,
    pod_security_context,
)
from stacks.constructs.addons.helm_addon import AddonProps, AwsIdentity, Chart

CHART = Chart(repository="https://charts.external-secrets.io", name="external-secrets", version="1.0.0")
NAMESPACE = "external-secrets"
SERVICE_ACCOUNT = "external-secrets"
# The image's own user, "nobody" (external-secrets/external-secrets Dockerfile: USER 65534).
# The chart's default runAsUser 1000 is a UID the image does not define.
IMAGE_USER = 65534
# Requests: the chart's own example for each of its three containers (values.yaml,
# `# requests: cpu: 10m, memory: 32Mi`). Limits: upstream suggests none; ours leave
# headroom, most for the controller, which caches the ExternalSecrets and their Secrets.
CONTROLLER_RESOURCES = Resources(cpu="10m", memory="32Mi", memory_limit="256Mi")
WEBHOOK_RESOURCES = Resources(cpu="10m", memory="32Mi", memory_limit="128Mi")
CERT_CONTROLLER_RESOURCES = Resources(cpu="10m", memory="32Mi", memory_limit="128Mi")


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
        # The controller's /healthz (--live-addr); the chart offers no readiness probe for
        # it, nor a liveness probe for the webhook and the cert-controller (suppressions.yaml).
        "livenessProbe": {"enabled": True},
        **_hardened(CONTROLLER_RESOURCES),
        "webhook": _hardened(WEBHOOK_RESOURCES),
        "certController": _hardened(CERT_CONTROLLER_RESOURCES),
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


def _hardened(resources: Resources) -> dict[str, Any]:
    """One of the chart's three Deployments: sized, and run as the image's user. The chart
    renders a pod securityContext only with a key besides `enabled`; its default has none."""
    return {
        "resources": resources.values(),
        "podSecurityContext": {"enabled": True, **pod_security_context(user=IMAGE_USER)},
        "securityContext": {"enabled": True, **container_security_context(user=IMAGE_USER)},
    }
