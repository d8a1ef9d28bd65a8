"""Kubernetes NetworkPolicy semantics, for deciding whether one flow is admitted.

A pod that no policy selects (for a direction) admits everything in that direction;
once any policy selects it, traffic passes only if some rule of some selecting policy
admits it — the union of all of them. A flow passes when the source's egress and the
destination's ingress both admit it.

ipBlock peers match only addresses outside the pod network here (the ALB, RDS, the
internet): Kubernetes leaves it to the plugin whether they match pod IPs, so a design
must not rely on that.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from system.inventory import Inventory, Pod


@dataclass(frozen=True)
class Addresses:
    """A range of addresses outside the pod network (the ALB's subnets, RDS, the internet)."""

    description: str
    cidr: ipaddress.IPv4Network

    def __str__(self) -> str:
        return f"{self.description} ({self.cidr})"


Endpoint = Pod | Addresses


def admitted(
    inventory: Inventory, source: Endpoint, destination: Endpoint, port: int, protocol: str = "TCP"
) -> tuple[bool, str]:
    """Whether the flow passes; when it does not, which side drops it and which policies select it."""
    if isinstance(source, Pod):
        policies = _selecting(inventory, source, "Egress")
        if policies and not any(
            _rule_admits(inventory, policy, rule, destination, port, protocol, "to")
            for policy in policies
            for rule in policy["spec"].get("egress") or []
        ):
            return False, f"egress of {source} is limited by {_names(policies)} and none of them admits it"
    if isinstance(destination, Pod):
        policies = _selecting(inventory, destination, "Ingress")
        if policies and not any(
            _rule_admits(inventory, policy, rule, source, port, protocol, "from", destination)
            for policy in policies
            for rule in policy["spec"].get("ingress") or []
        ):
            return False, f"ingress of {destination} is limited by {_names(policies)} and none of them admits it"
    return True, ""


def _names(policies: list[dict[str, Any]]) -> str:
    return ", ".join(f"{p['metadata']['namespace']}/{p['metadata']['name']}" for p in policies)


def _types(policy: dict[str, Any]) -> list[str]:
    spec = policy.get("spec", {})
    if spec.get("policyTypes"):
        return list(spec["policyTypes"])
    return ["Ingress", *(["Egress"] if spec.get("egress") else [])]


def _selecting(inventory: Inventory, pod: Pod, direction: str) -> list[dict[str, Any]]:
    return [
        policy
        for policy in inventory.network_policies
        if policy["metadata"].get("namespace") == pod.namespace
        and direction in _types(policy)
        and matches(policy["spec"].get("podSelector") or {}, pod.labels)
    ]


def _rule_admits(
    inventory: Inventory,
    policy: dict[str, Any],
    rule: dict[str, Any],
    peer: Endpoint,
    port: int,
    protocol: str,
    peers_key: str,
    ports_owner: Pod | None = None,
) -> bool:
    ports = rule.get("ports")
    if ports and not any(_port_matches(entry, port, protocol, ports_owner or peer) for entry in ports):
        return False
    peers = rule.get(peers_key)
    if not peers:
        return True
    return any(_peer_matches(inventory, policy["metadata"]["namespace"], entry, peer) for entry in peers)


def _port_matches(entry: dict[str, Any], port: int, protocol: str, owner: Endpoint) -> bool:
    if entry.get("protocol", "TCP") != protocol:
        return False
    wanted = entry.get("port")
    if wanted is None:
        return True
    if isinstance(wanted, str) and not wanted.isdigit():
        # A named port means the destination pod's container port of that name.
        return isinstance(owner, Pod) and owner.ports.get(wanted) == port
    low = int(wanted)
    return low <= port <= int(entry.get("endPort", low))


def _peer_matches(inventory: Inventory, policy_namespace: str, entry: dict[str, Any], peer: Endpoint) -> bool:
    if "ipBlock" in entry:
        if not isinstance(peer, Addresses):
            return False
        block = ipaddress.ip_network(entry["ipBlock"]["cidr"])
        excepted = [ipaddress.ip_network(cidr) for cidr in entry["ipBlock"].get("except", [])]
        return peer.cidr.subnet_of(block) and not any(peer.cidr.overlaps(cidr) for cidr in excepted)  # type: ignore[arg-type]
    if not isinstance(peer, Pod):
        return False
    if "namespaceSelector" in entry:
        if not matches(entry["namespaceSelector"], inventory.namespaces.get(peer.namespace, {})):
            return False
    elif peer.namespace != policy_namespace:
        return False
    return matches(entry.get("podSelector") or {}, peer.labels)


def matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """A LabelSelector (matchLabels and matchExpressions) against a set of labels."""
    if any(labels.get(key) != value for key, value in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True
