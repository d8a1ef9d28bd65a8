"""Lets the managed collector through Flux's NetworkPolicies to the metrics port.

flux-operator's `allow-scraping` admits port 8080 in flux-system from pods of any
namespace only (system/upstream_facts.py); the collector is no pod but ENIs in the private
subnets, so that policy drops it. NetworkPolicies add up: this one admits the private
subnets to the scraped ports of flux-system, which `allow-scraping` already opens to every
pod of the cluster. The system model's traffic invariant holds the flow (system/traffic.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from constructs import Construct

from stacks.bindings import kubernetes
from stacks.constructs.observability.scrape_config import POD_JOBS

NAME = "allow-metrics-scraper"


class ScraperNetworkPolicy(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        namespace: str,
        scraper_cidrs: Sequence[str],
        depends_on: Sequence[Any] = (),
    ) -> None:
        """`namespace`: its name as written (the ports follow the scrape jobs there);
        `depends_on`: what creates it."""
        super().__init__(scope, id_)
        ports = sorted({job.port for job in POD_JOBS if job.namespace == namespace})
        if not ports:
            # A rule without ports admits every port.
            raise ValueError(f"no scrape job in namespace {namespace}: nothing to admit")
        kubernetes.network_policy_v1.NetworkPolicyV1(
            self,
            "policy",
            metadata={"name": NAME, "namespace": namespace, "labels": {"app.kubernetes.io/part-of": "observability"}},
            spec=kubernetes.network_policy_v1.NetworkPolicyV1Spec(
                pod_selector=kubernetes.network_policy_v1.NetworkPolicyV1SpecPodSelector(),
                policy_types=["Ingress"],
                ingress=[
                    kubernetes.network_policy_v1.NetworkPolicyV1SpecIngress(
                        from_=[
                            kubernetes.network_policy_v1.NetworkPolicyV1SpecIngressFrom(
                                ip_block=kubernetes.network_policy_v1.NetworkPolicyV1SpecIngressFromIpBlock(cidr=cidr)
                            )
                            for cidr in scraper_cidrs
                        ],
                        ports=[
                            kubernetes.network_policy_v1.NetworkPolicyV1SpecIngressPorts(port=str(port), protocol="TCP")
                            for port in ports
                        ],
                    )
                ],
            ),
            depends_on=list(depends_on),
        )
