"""Whether an object takes a namespace: built-in kinds from the table, custom kinds from their CRD."""

from __future__ import annotations

from render.scope import built_in, with_crds

CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "spec": {
        "group": "example.com",
        "scope": "Cluster",
        "names": {"kind": "Widget"},
        "versions": [{"name": "v1"}, {"name": "v2"}],
    },
}


def test_built_in_kinds() -> None:
    assert built_in("v1", "ConfigMap") is True
    assert built_in("v1", "Namespace") is False
    assert built_in("rbac.authorization.k8s.io/v1", "ClusterRole") is False
    assert built_in("example.com/v1", "Widget") is None


def test_custom_kinds_from_their_crd_at_every_version() -> None:
    namespaced = with_crds([CRD])
    assert namespaced("example.com/v1", "Widget") is False
    assert namespaced("example.com/v2", "Widget") is False
    assert namespaced("example.com/v3", "Widget") is None
    assert with_crds([], lambda api_version, kind: True)("example.com/v1", "Widget") is True
