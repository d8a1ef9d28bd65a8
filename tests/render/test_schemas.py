"""Every rendered object is checked by the schema its environment's API server would use."""

from __future__ import annotations

from render.schemas import validate
from stacks.constructs.addons import flux
from tests.catalogs import flux_catalog
from tests.render.test_crds import IMAGE_REPOSITORY, KUSTOMIZATION, changed

SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "app", "namespace": "app"},
    "spec": {"type": "ClusterIP", "ports": [{"port": 80}]},
}


def test_a_built_in_kind_is_checked_strictly_for_the_kubernetes_version() -> None:
    assert validate(SERVICE, "1.35", flux_catalog()) == []
    assert validate(changed(SERVICE, "spec.tipe", "ClusterIP"), "1.35", flux_catalog()) == [
        "spec: Additional properties are not allowed ('tipe' was unexpected)"
    ]


def test_a_custom_resource_is_checked_against_the_installed_crd() -> None:
    assert validate(KUSTOMIZATION, "1.35", flux_catalog()) == []
    assert validate(changed(KUSTOMIZATION, "spec.prunne", True), "1.35", flux_catalog()) == [
        "spec: Additional properties are not allowed ('prunne' was unexpected)"
    ]
    [deprecated] = validate(IMAGE_REPOSITORY, "1.35", flux_catalog())
    assert deprecated.startswith("apiVersion: image.toolkit.fluxcd.io/v1beta2 ImageRepository is deprecated")


def test_a_kind_no_installed_controller_serves_is_refused() -> None:
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    assert validate(widget, "1.35", flux_catalog()) == [
        "apiVersion: example.com/v1 Widget is not served by any controller installed in this environment"
    ]
    policy = changed(IMAGE_REPOSITORY, "kind", "ImagePolicy")
    assert validate(policy, "1.35", flux_catalog(flux.CONTROLLERS)) == [
        "apiVersion: image.toolkit.fluxcd.io/v1beta2 ImagePolicy is not served by any controller installed in this environment"
    ]
