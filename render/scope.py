"""Whether an object takes a namespace: Kubernetes' own kinds from a fixed table, custom kinds from their CRD.

kustomize and Helm give a namespace to every kind they do not know to be cluster-wide;
the API server drops it from a cluster-scoped object. The render does the same, so the
rendered files (and the checks that read them) place each object where it will live.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

# The built-in API groups, and their kinds that are not namespaced (`kubectl api-resources --namespaced=false`).
BUILT_IN_GROUPS = {
    "", "admissionregistration.k8s.io", "apiextensions.k8s.io", "apiregistration.k8s.io", "apps", "autoscaling",
    "batch", "certificates.k8s.io", "coordination.k8s.io", "discovery.k8s.io", "events.k8s.io",
    "flowcontrol.apiserver.k8s.io", "networking.k8s.io", "node.k8s.io", "policy", "rbac.authorization.k8s.io",
    "resource.k8s.io", "scheduling.k8s.io", "storage.k8s.io", "storagemigration.k8s.io",
}  # fmt: skip
CLUSTER_SCOPED = {
    "APIService", "CertificateSigningRequest", "ClusterRole", "ClusterRoleBinding", "ClusterTrustBundle",
    "ComponentStatus", "CSIDriver", "CSINode", "CustomResourceDefinition", "DeviceClass", "FlowSchema",
    "IngressClass", "IPAddress", "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding",
    "MutatingWebhookConfiguration", "Namespace", "Node", "PersistentVolume", "PriorityClass",
    "PriorityLevelConfiguration", "RuntimeClass", "ServiceCIDR", "StorageClass", "StorageVersionMigration",
    "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "ValidatingWebhookConfiguration",
    "VolumeAttachment", "VolumeAttributesClass",
}  # fmt: skip

# (apiVersion, kind) → True (namespaced), False (cluster-wide) or None (not known: no CRD defines it).
Namespaced = Callable[[str, str], "bool | None"]


def built_in(api_version: str, kind: str) -> bool | None:
    if api_version.rpartition("/")[0] in BUILT_IN_GROUPS:
        return kind not in CLUSTER_SCOPED
    return None


def with_crds(crds: Iterable[Mapping[str, Any]], fallback: Namespaced = built_in) -> Namespaced:
    """Built-in kinds, then the CRDs among `crds` (anything else in it is skipped), then `fallback`."""
    scopes = {
        (f"{spec.get('group')}/{version.get('name')}", str((spec.get("names") or {}).get("kind"))): (
            spec.get("scope") == "Namespaced"
        )
        for spec in (crd.get("spec") or {} for crd in crds if crd.get("kind") == "CustomResourceDefinition")
        for version in spec.get("versions") or []
    }

    def namespaced(api_version: str, kind: str) -> bool | None:
        known = built_in(api_version, kind)
        if known is None:
            known = scopes.get((api_version, kind))
        return known if known is not None else fallback(api_version, kind)

    return namespaced
