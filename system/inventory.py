"""What will run in one cluster: namespaces, pods, services, service accounts and
NetworkPolicies, from the rendered cluster (the platform stack's releases rendered with
their real charts, and the Flux tree), Flux's own controllers and the EKS add-ons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from system import upstream_facts
from system.facts import SystemFacts
from system.terraform import resources

WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet"}


@dataclass(frozen=True)
class Pod:
    """The pods of one workload."""

    namespace: str
    name: str
    labels: dict[str, str]
    ports: dict[str, int]  # container port by name ("" names are left out)
    service_account: str
    spec: dict[str, Any] = field(default_factory=dict, compare=False)

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass
class Inventory:
    namespaces: dict[str, dict[str, str]] = field(default_factory=dict)  # name → labels
    pods: list[Pod] = field(default_factory=list)
    services: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (ns, name) → spec
    service_accounts: set[tuple[str, str]] = field(default_factory=set)
    network_policies: list[dict[str, Any]] = field(default_factory=list)  # full objects, namespaced

    def add_namespace(self, name: str, labels: dict[str, str] | None = None) -> None:
        merged = {**self.namespaces.get(name, {}), **(labels or {})}
        # The API server labels every namespace with its own name.
        merged["kubernetes.io/metadata.name"] = name
        self.namespaces[name] = merged

    def pods_selected(self, namespace: str, selector: dict[str, str]) -> list[Pod]:
        return [
            pod
            for pod in self.pods
            if pod.namespace == namespace and all(pod.labels.get(k) == v for k, v in selector.items())
        ]


def inventory(facts: SystemFacts) -> Inventory:
    found = Inventory()
    for name in ("default", "kube-system"):
        found.add_namespace(name)
    _from_rendered(found, facts)
    _from_platform_stack(found, facts)
    _from_flux(found, facts)
    _from_eks_addons(found, facts)
    return found


def _from_rendered(found: Inventory, facts: SystemFacts) -> None:
    for obj in facts.cluster.objects:
        body = obj.body
        kind = body.get("kind")
        metadata = body.get("metadata", {})
        namespace = str(metadata.get("namespace", ""))
        if kind == "Namespace":
            found.add_namespace(metadata["name"], metadata.get("labels"))
        elif kind in WORKLOAD_KINDS:
            template = body.get("spec", {}).get("template", {})
            spec = template.get("spec", {})
            found.pods.append(
                Pod(
                    namespace=namespace,
                    name=str(metadata.get("name")),
                    labels=dict(template.get("metadata", {}).get("labels", {})),
                    ports={
                        str(port["name"]): int(port["containerPort"])
                        for container in spec.get("containers", [])
                        for port in container.get("ports", [])
                        if port.get("name")
                    },
                    service_account=str(spec.get("serviceAccountName", "default")),
                    spec=spec,
                )
            )
        elif kind == "Service":
            found.services[(namespace, str(metadata.get("name")))] = dict(body.get("spec", {}))
        elif kind == "ServiceAccount":
            found.service_accounts.add((namespace, str(metadata.get("name"))))
        elif kind == "NetworkPolicy":
            found.network_policies.append(body)


def _from_platform_stack(found: Inventory, facts: SystemFacts) -> None:
    """Namespaces the platform stack creates, itself or through its Helm releases (whose objects are rendered)."""
    document = facts.stack("platform")
    for body in resources(document, "kubernetes_namespace_v1").values():
        metadata = body.get("metadata", {})
        found.add_namespace(str(metadata.get("name")), metadata.get("labels"))
    for body in resources(document, "helm_release").values():
        found.add_namespace(str(body.get("namespace", "default")))


def _from_flux(found: Inventory, facts: SystemFacts) -> None:
    namespace = upstream_facts.FLUX_NAMESPACE
    if not facts.flux_components:
        return
    for controller in facts.flux_components:
        found.service_accounts.add((namespace, controller))
        found.pods.append(
            Pod(
                namespace=namespace,
                name=controller,
                labels={"app": controller},
                ports=dict(upstream_facts.FLUX_CONTROLLER_PORTS.get(controller, {})),
                service_account=controller,
            )
        )
    for service, (controller, ports) in upstream_facts.FLUX_SERVICES.items():
        if controller in facts.flux_components:
            found.services[(namespace, service)] = {
                "selector": {"app": controller},
                "ports": [{"port": port, "targetPort": target} for port, target in ports.items()],
            }
    if facts.flux_network_policies:
        for policy in upstream_facts.FLUX_NETWORK_POLICIES:
            found.network_policies.append(
                {
                    "apiVersion": "networking.k8s.io/v1",
                    "kind": "NetworkPolicy",
                    "metadata": {"name": policy["name"], "namespace": namespace},
                    "spec": policy["spec"],
                }
            )


def _from_eks_addons(found: Inventory, facts: SystemFacts) -> None:
    for body in resources(facts.stack("cluster"), "aws_eks_addon").values():
        workload = upstream_facts.EKS_ADDON_WORKLOADS.get(str(body.get("addon_name")))
        if workload is None:
            continue
        namespace, account, labels, ports = workload
        found.service_accounts.add((namespace, account))
        found.pods.append(
            Pod(namespace=namespace, name=str(body["addon_name"]), labels=labels, ports=ports, service_account=account)
        )
