"""NetworkPolicy semantics the traffic invariant relies on, case by case (Kubernetes docs,
"Network Policies": isolation per direction, union of policies, peers and ports)."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from system.inventory import Inventory, Pod
from system.network_policy import Addresses, admitted, matches

WEB = Pod(namespace="web", name="web", labels={"app": "web"}, ports={"http": 8080}, service_account="web")
OTHER = Pod(namespace="other", name="client", labels={"app": "client"}, ports={}, service_account="client")
VPC = Addresses("VPC", ipaddress.IPv4Network("10.0.0.0/16"))
ALB = Addresses("ALB", ipaddress.IPv4Network("10.0.1.0/24"))


def world(*policies: dict[str, Any]) -> Inventory:
    found = Inventory(pods=[WEB, OTHER])
    found.add_namespace("web", {"team": "a"})
    found.add_namespace("other", {"team": "b"})
    found.network_policies = [
        {"metadata": {"name": f"p{i}", "namespace": "web"}, "spec": spec} for i, spec in enumerate(policies)
    ]
    return found


def ingress(*rules: dict[str, Any], selector: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"podSelector": selector or {}, "policyTypes": ["Ingress"], "ingress": list(rules)}


CASES = [
    ("no policy admits everything", [], ALB, 8080, True),
    ("a selecting policy with no rule denies", [ingress()], ALB, 8080, False),
    (
        "a policy selecting other pods does not isolate",
        [ingress(selector={"matchLabels": {"app": "x"}})],
        ALB,
        8080,
        True,
    ),
    (
        "ipBlock containing the source admits",
        [ingress({"from": [{"ipBlock": {"cidr": "10.0.0.0/16"}}]})],
        ALB,
        8080,
        True,
    ),
    (
        "ipBlock not containing the whole source denies",
        [ingress({"from": [{"ipBlock": {"cidr": "10.0.1.0/25"}}]})],
        ALB,
        8080,
        False,
    ),
    (
        "except carves out",
        [ingress({"from": [{"ipBlock": {"cidr": "10.0.0.0/16", "except": ["10.0.1.0/24"]}}]})],
        ALB,
        8080,
        False,
    ),
    ("ipBlock does not match pods", [ingress({"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]})], OTHER, 8080, False),
    ("port by number", [ingress({"ports": [{"port": 8080}]})], ALB, 8080, True),
    ("other port denies", [ingress({"ports": [{"port": 9090}]})], ALB, 8080, False),
    ("named port of the destination", [ingress({"ports": [{"port": "http"}]})], ALB, 8080, True),
    ("endPort range", [ingress({"ports": [{"port": 8000, "endPort": 8100}]})], ALB, 8080, True),
    ("UDP rule does not admit TCP", [ingress({"ports": [{"port": 8080, "protocol": "UDP"}]})], ALB, 8080, False),
    ("podSelector alone is the policy's namespace", [ingress({"from": [{"podSelector": {}}]})], OTHER, 8080, False),
    (
        "namespaceSelector admits other namespaces",
        [ingress({"from": [{"namespaceSelector": {"matchLabels": {"team": "b"}}}]})],
        OTHER,
        8080,
        True,
    ),
    (
        "namespaceSelector and podSelector both apply",
        [ingress({"from": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "x"}}}]})],
        OTHER,
        8080,
        False,
    ),
    ("union of policies", [ingress(), ingress({"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]})], VPC, 8080, True),
]


@pytest.mark.parametrize(("policies", "source", "port", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_ingress(policies: list[dict[str, Any]], source: Any, port: int, expected: bool) -> None:
    assert admitted(world(*policies), source, WEB, port)[0] is expected


def test_egress_isolation_needs_a_rule_for_the_destination() -> None:
    deny_all = {"podSelector": {}, "policyTypes": ["Egress"]}
    to_vpc = {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/16"}}]}]}
    assert admitted(world(deny_all), WEB, ALB, 443)[0] is False
    assert admitted(world(deny_all, to_vpc), WEB, ALB, 443)[0] is True
    assert admitted(world(to_vpc), WEB, Addresses("internet", ipaddress.IPv4Network("0.0.0.0/0")), 443)[0] is False


def test_match_expressions() -> None:
    labels = {"tier": "web"}
    assert matches({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["web"]}]}, labels)
    assert not matches({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["web"]}]}, labels)
    assert matches({"matchExpressions": [{"key": "tier", "operator": "Exists"}]}, labels)
    assert not matches({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, labels)
