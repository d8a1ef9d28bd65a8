"""ExternalDNS: Ingress host names → records in the environment's Route 53 zone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stacks.constructs.addons.external_dns_policy import external_dns_statements
from stacks.constructs.addons.hardening import Resources
from stacks.constructs.addons.helm_addon import AddonProps, AwsIdentity, Chart

CHART = Chart(repository="https://kubernetes-sigs.github.io/external-dns/", name="external-dns", version="1.21.1")
NAMESPACE = "external-dns"
SERVICE_ACCOUNT = "external-dns"
# No upstream sizing (the chart ships `resources: {}`). Memory follows the cluster's pod
# count, not its records: the `service` source keeps a cluster-wide Pod informer, measured
# at ~30Mi with ~120 pods and ~90Mi with ~1,250 (mitodl/ol-infrastructure#5326; the cache
# is kubernetes-sigs/external-dns#5595). CPU is a one-minute sync loop. The chart's own
# security contexts are restricted already (UID 65532, no capabilities, RuntimeDefault).
RESOURCES = Resources(cpu="10m", memory="64Mi", memory_limit="256Mi")


def external_dns(
    *,
    cluster_name: str,
    region: str,
    domain: str,
    zone_id: str,
    zone_arn: str,
    policy: str,
    overrides: Mapping[str, Any],
) -> AddonProps:
    values = {
        "provider": {"name": "aws"},
        "policy": policy,
        "registry": "txt",
        # Ownership records name this cluster, so two clusters sharing a zone never
        # delete each other's records.
        "txtOwnerId": cluster_name,
        "domainFilters": [domain],
        "extraArgs": [f"--zone-id-filter={zone_id}", "--aws-zone-type=public"],
        "sources": ["ingress", "service"],
        "interval": "1m",
        "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT},
        "env": [{"name": "AWS_DEFAULT_REGION", "value": region}],
        "resources": RESOURCES.values(),
    }
    return AddonProps(
        release="external-dns",
        namespace=NAMESPACE,
        chart=CHART,
        values=values,
        overrides=overrides,
        identity=AwsIdentity(
            service_account=SERVICE_ACCOUNT, statements=external_dns_statements(zone_arn=zone_arn, domain=domain)
        ),
    )
