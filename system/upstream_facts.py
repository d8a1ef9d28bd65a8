"""What runs in every cluster without being rendered from this repository: Flux's own
controllers and NetworkPolicies (installed by flux-operator for Flux v2.8) and the EKS
managed add-ons' workloads. Facts, written here from the upstream manifests;
tests/system/test_upstream_facts.py holds them to `../shared/upstream/flux-v2.8.8/`
where that cache exists, so a Flux upgrade that changes them is noticed.
"""

from __future__ import annotations

from typing import Any

FLUX_NAMESPACE = "flux-system"

# Flux controller → its container ports by name (`app: <controller>` labels its pods,
# and its service account has the controller's name).
FLUX_CONTROLLER_PORTS: dict[str, dict[str, int]] = {
    "source-controller": {"http": 9090, "http-prom": 8080, "healthz": 9440},
    "kustomize-controller": {"http-prom": 8080, "healthz": 9440},
    "helm-controller": {"http-prom": 8080, "healthz": 9440},
    "notification-controller": {"http": 9090, "http-webhook": 9292, "http-prom": 8080, "healthz": 9440},
    "image-reflector-controller": {"http-prom": 8080, "healthz": 9440},
    "image-automation-controller": {"http-prom": 8080, "healthz": 9440},
}

# Services Flux installs: name → (selected controller, {service port: target port name}).
FLUX_SERVICES: dict[str, tuple[str, dict[int, str]]] = {
    "source-controller": ("source-controller", {80: "http"}),
    "notification-controller": ("notification-controller", {80: "http"}),
    "webhook-receiver": ("notification-controller", {80: "http-webhook"}),
}

# The NetworkPolicies flux-operator applies in flux-system when `cluster.networkPolicy` is on.
FLUX_NETWORK_POLICIES: list[dict[str, Any]] = [
    {
        "name": "allow-egress",
        "spec": {
            "podSelector": {},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": [{"podSelector": {}}]}],
            "egress": [{}],
        },
    },
    {
        "name": "allow-scraping",
        "spec": {
            "podSelector": {},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"namespaceSelector": {}}], "ports": [{"port": 8080, "protocol": "TCP"}]}],
        },
    },
    {
        "name": "allow-webhooks",
        "spec": {
            "podSelector": {"matchLabels": {"app": "notification-controller"}},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"namespaceSelector": {}}]}],
        },
    },
]

# EKS managed add-ons whose workloads the invariants look at: add-on → (namespace,
# service account, pod labels, ports by name).
EKS_ADDON_WORKLOADS: dict[str, tuple[str, str, dict[str, str], dict[str, int]]] = {
    "coredns": ("kube-system", "coredns", {"k8s-app": "kube-dns"}, {"dns": 53, "dns-tcp": 53}),
    "vpc-cni": ("kube-system", "aws-node", {"k8s-app": "aws-node"}, {}),
    "aws-ebs-csi-driver": ("kube-system", "ebs-csi-controller-sa", {"app": "ebs-csi-controller"}, {}),
    # Namespace from the EKS user guide ("Community add-ons"); labels and port as the
    # prometheus-community chart names them: not read from the add-on's own manifests.
    "kube-state-metrics": (
        "kube-state-metrics",
        "kube-state-metrics",
        {"app.kubernetes.io/name": "kube-state-metrics"},
        {"http": 8080},
    ),
    # Namespace and service account from the EKS user guide; the CloudWatch agent and
    # Fluent Bit both run as it (aws-observability/helm-charts, fluent-bit-daemonset.yaml).
    "amazon-cloudwatch-observability": ("amazon-cloudwatch", "cloudwatch-agent", {"k8s-app": "fluent-bit"}, {}),
}
