"""Flux Kustomization fields, rendered as kustomize-controller v1.8.5 applies them.

Each test plants one field into a copy of the Flux tree and checks the rendered objects
changed as Flux changes them, or that the render refuses with one line. Facts from
kustomize-controller v1.8.5 internal/controller/kustomization_controller.go (generate,
build, apply: owner labels, then commonMetadata) and fluxcd/pkg kustomize v1.27.2
(kustomize_generator.go; kustomize_varsub.go: substituteFrom in order, inline
`substitute` over it, no substitution without variables, optional absent ConfigMaps
skipped).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from render import flux_fields
from render.cluster import RenderedCluster, render_cluster
from render.errors import RenderError
from tests.catalogs import FLUX, full_catalog
from tests.clusters.test_render_errors import VALUES

ENV = "prod"
CRDS = FLUX  # the Flux v2.8.8 manifests in the upstream cache
Spec = dict[str, Any]


def render(repo: Path, *, strict: bool = True) -> RenderedCluster:
    return render_cluster(repo, ENV, VALUES, "1.35", catalog=full_catalog(), strict=strict)


def problems(repo: Path) -> list[str]:
    with pytest.raises(RenderError) as caught:
        render(repo)
    return list(caught.value.problems)


def edit(repo: Path, entry: str, change: Callable[[Spec], None]) -> None:
    """Change the spec of the Flux Kustomization in clusters/<env>/<entry>."""
    path = repo / "clusters" / ENV / entry
    document = yaml.safe_load(path.read_text())
    change(document["spec"])
    path.write_text(yaml.safe_dump(document))


def plant(repo: Path, folder: str, name: str, body: dict[str, Any]) -> None:
    """Add an object file to a kustomize folder of the tree and to its kustomization's resources."""
    (repo / folder / name).write_text(yaml.safe_dump(body))
    kustomization = repo / folder / "kustomization.yaml"
    document = yaml.safe_load(kustomization.read_text())
    document["resources"].append(name)
    kustomization.write_text(yaml.safe_dump(document))


def applied_by(cluster: RenderedCluster, name: str) -> list[dict[str, Any]]:
    return [o.body for o in cluster.objects if o.source.endswith(f"(Kustomization {name})")]


def one(cluster: RenderedCluster, kind: str, name: str) -> dict[str, Any]:
    [found] = [o for o in cluster.of_kind(kind) if o["metadata"]["name"] == name]
    return found


def config_map(name: str, **data: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "flux-system"},
        "data": data,
    }


def region(cluster: RenderedCluster) -> str:
    [store] = cluster.of_kind("ClusterSecretStore")
    value: str = store["spec"]["provider"]["aws"]["region"]
    return value


def crd_fields(kind: str) -> set[str]:
    """Dotted spec fields of the CRD, descending where the table says NESTED."""
    for path in CRDS.glob("*.yaml"):
        for document in yaml.safe_load_all(path.read_text()):
            if (
                document
                and document.get("kind") == "CustomResourceDefinition"
                and document["spec"]["names"]["kind"] == kind
            ):
                [version] = [v for v in document["spec"]["versions"] if v["storage"]]
                return _fields(version["schema"]["openAPIV3Schema"]["properties"]["spec"], "", kind)
    raise AssertionError(f"no CRD for {kind}")


def _fields(schema: dict[str, Any], prefix: str, kind: str) -> set[str]:
    table = flux_fields.KUSTOMIZATION if kind == "Kustomization" else flux_fields.HELM_RELEASE
    found = set()
    for name, sub in schema.get("properties", {}).items():
        found.add(prefix + name)
        rule = table.get(prefix + name)
        if rule is not None and rule.effect is flux_fields.Effect.NESTED:
            found |= _fields(sub, f"{prefix}{name}.", kind)
    return found


@pytest.mark.skipif(not CRDS.is_dir(), reason=f"upstream cache {CRDS} is not beside this checkout")
def test_the_table_names_every_field_of_the_kustomization_crd_and_no_other() -> None:
    assert set(flux_fields.KUSTOMIZATION) == crd_fields("Kustomization")


def test_a_crd_field_missing_from_the_table_stops_the_render(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(flux_fields.KUSTOMIZATION, "force")
    edit(repo, "apps.yaml", lambda spec: spec.update(force=True))
    assert problems(repo) == [
        "clusters/prod: Kustomization flux-system/apps: spec.force: not in render/flux_fields.py: say what it changes before using it"
    ]


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        (
            "kubeConfig",
            {"secretRef": {"name": "remote"}},
            "the objects go to another cluster, which this render does not model",
        ),
        ("decryption", {"provider": "sops"}, "SOPS decryption needs keys that are not available offline"),
    ],
)
def test_fields_that_cannot_be_rendered_are_refused(repo: Path, field: str, value: Any, reason: str) -> None:
    edit(repo, "infrastructure.yaml", lambda spec: spec.update({field: value}))
    assert problems(repo) == [
        f"clusters/prod: Kustomization flux-system/infra-configs: spec.{field}: cannot be rendered offline: {reason}"
    ]


def test_another_source_is_refused(repo: Path) -> None:
    edit(
        repo,
        "infrastructure.yaml",
        lambda spec: spec.update(sourceRef={"kind": "OCIRepository", "name": "flux-system"}),
    )
    assert problems(repo) == [
        "clusters/prod: Kustomization flux-system/infra-configs: spec.sourceRef: only this repository's GitRepository flux-system renders offline"
    ]


def test_a_path_that_is_not_a_folder_is_refused(repo: Path) -> None:
    edit(repo, "infrastructure.yaml", lambda spec: spec.update(path="./clusters/infrastructure/confgs"))
    assert problems(repo) == [
        "clusters/prod: Kustomization flux-system/infra-configs: spec.path: clusters/infrastructure/confgs is not a folder of this repository"
    ]


def test_the_repository_root_as_path_is_refused(repo: Path) -> None:
    edit(repo, "infrastructure.yaml", lambda spec: spec.update(path="./"))
    assert problems(repo) == [
        "clusters/prod: Kustomization flux-system/infra-configs: spec.path: the repository's root is not rendered "
        "offline (it would copy the checkout)"
    ]


def test_a_broken_kustomization_names_the_repositorys_path(repo: Path) -> None:
    kustomization = repo / "clusters/infrastructure/configs/kustomization.yaml"
    kustomization.write_text(kustomization.read_text().replace("cluster-secret-store.yaml", "cluster-secret-stor.yaml"))
    [problem] = problems(repo)
    assert problem.startswith("clusters/infrastructure/configs (Kustomization infra-configs): kustomize build failed: ")
    assert "cluster-secret-stor.yaml" in problem
    assert "render-kustomization-" not in problem  # the temporary copy's path is not shown


def test_patches_change_the_objects(repo: Path) -> None:
    patch = {
        "patch": "- {op: replace, path: /spec/provider/aws/region, value: us-east-2}",
        "target": {"kind": "ClusterSecretStore"},
    }
    edit(repo, "infrastructure.yaml", lambda spec: spec.update(patches=[patch]))
    assert region(render(repo)) == "us-east-2"


def test_images_change_the_containers(repo: Path) -> None:
    pod = {"containers": [{"name": "probe", "image": "busybox:1.36", "command": ["true"]}]}
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "probe", "namespace": "flux-system"},
        "spec": {"template": {"spec": {**pod, "restartPolicy": "Never"}}},
    }
    plant(repo, "clusters/infrastructure/configs", "probe.yaml", job)
    edit(
        repo,
        "infrastructure.yaml",
        lambda spec: spec.update(
            images=[{"name": "busybox", "newName": "registry.example.com/busybox", "newTag": "1.37"}]
        ),
    )
    [container] = one(render(repo), "Job", "probe")["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "registry.example.com/busybox:1.37"


def test_components_add_their_changes(repo: Path) -> None:
    component = {
        "apiVersion": "kustomize.config.k8s.io/v1alpha1",
        "kind": "Component",
        "labels": [{"pairs": {"tier": "platform"}}],
    }
    (repo / "clusters/components/tier").mkdir(parents=True)
    (repo / "clusters/components/tier/kustomization.yaml").write_text(yaml.safe_dump(component))
    edit(repo, "infrastructure.yaml", lambda spec: spec.update(components=["../../components/tier"]))
    [store] = render(repo).of_kind("ClusterSecretStore")
    assert store["metadata"]["labels"]["tier"] == "platform"


def test_name_prefix_and_suffix_rename_the_objects(repo: Path) -> None:
    edit(repo, "infrastructure.yaml", lambda spec: spec.update(namePrefix="acme-", nameSuffix="-v2"))
    assert [o["metadata"]["name"] for o in render(repo).of_kind("ClusterSecretStore")] == [
        "acme-aws-secrets-manager-v2"
    ]


def test_target_namespace_moves_namespaced_objects_only(repo: Path) -> None:
    edit(repo, "flux-webhook.yaml", lambda spec: spec.update(targetNamespace="webhook"))
    edit(repo, "infrastructure.yaml", lambda spec: spec.update(targetNamespace="webhook"))
    cluster = render(repo)
    assert {o["metadata"]["namespace"] for o in applied_by(cluster, "flux-webhook")} == {"webhook"}
    [store] = applied_by(cluster, "infra-configs")
    assert "namespace" not in store["metadata"]  # cluster-scoped: the API server keeps none


def test_common_metadata_is_set_on_every_object(repo: Path) -> None:
    common = {"labels": {"team": "platform"}, "annotations": {"owner": "platform@example.com"}}
    edit(repo, "flux-webhook.yaml", lambda spec: spec.update(commonMetadata=common))
    objects = applied_by(render(repo), "flux-webhook")
    assert objects
    assert all(o["metadata"]["labels"]["team"] == "platform" for o in objects)
    assert all(o["metadata"]["annotations"]["owner"] == "platform@example.com" for o in objects)


def test_every_object_carries_its_kustomizations_owner_labels(repo: Path) -> None:
    cluster = render(repo)
    [store] = applied_by(cluster, "infra-configs")
    assert store["metadata"]["labels"] == {
        "kustomize.toolkit.fluxcd.io/name": "infra-configs",
        "kustomize.toolkit.fluxcd.io/namespace": "flux-system",
    }
    apps = one(cluster, "Kustomization", "apps")
    assert apps["metadata"]["labels"]["kustomize.toolkit.fluxcd.io/name"] == "flux-system"


def test_inline_substitute_wins_over_substitute_from(repo: Path) -> None:
    edit(repo, "infrastructure.yaml", lambda spec: spec["postBuild"].update(substitute={"aws_region": "ap-south-2"}))
    assert region(render(repo)) == "ap-south-2"


@pytest.mark.parametrize(
    ("order", "host"),
    [(["cluster-vars", "overrides"], "override.example.com"), (["overrides", "cluster-vars"], VALUES["app_host"])],
)
def test_a_later_substitute_from_wins_and_config_maps_of_dependencies_are_read(
    repo: Path, order: list[str], host: str
) -> None:
    plant(
        repo,
        "clusters/infrastructure/configs",
        "overrides.yaml",
        config_map("overrides", app_host="override.example.com"),
    )
    edit(
        repo,
        "apps.yaml",
        lambda spec: spec["postBuild"].update(substituteFrom=[{"kind": "ConfigMap", "name": n} for n in order]),
    )
    [release] = render(repo).of_kind("HelmRelease")
    assert release["spec"]["values"]["ingress"]["host"] == host


def test_a_config_map_of_a_kustomization_that_is_no_dependency_is_unknown(repo: Path) -> None:
    plant(repo, "clusters/infrastructure/webhook", "overrides.yaml", config_map("overrides", app_host="x.example.com"))
    edit(
        repo,
        "apps.yaml",
        lambda spec: spec["postBuild"]["substituteFrom"].append({"kind": "ConfigMap", "name": "overrides"}),
    )
    assert problems(repo) == [
        "clusters/prod: Kustomization flux-system/apps: spec.postBuild.substituteFrom[1]: ConfigMap overrides is neither "
        "the bridge nor applied by a Kustomization this one depends on (or by one that applies it); mark it optional if it may be absent"
    ]


def test_an_absent_optional_config_map_is_skipped(repo: Path) -> None:
    edit(
        repo,
        "apps.yaml",
        lambda spec: spec["postBuild"]["substituteFrom"].insert(
            0, {"kind": "ConfigMap", "name": "absent", "optional": True}
        ),
    )
    [release] = render(repo).of_kind("HelmRelease")
    assert release["spec"]["values"]["ingress"]["host"] == VALUES["app_host"]


def test_without_any_variable_nothing_is_substituted(repo: Path) -> None:
    """fluxcd/pkg SubstituteVariables runs envsubst only when it has at least one variable."""
    edit(
        repo,
        "infrastructure.yaml",
        lambda spec: spec["postBuild"].update(
            substituteFrom=[{"kind": "ConfigMap", "name": "absent", "optional": True}]
        ),
    )
    assert region(render(repo)) == "${aws_region}"


@pytest.mark.parametrize("optional", [False, True])
def test_a_secret_is_refused_even_when_optional(repo: Path, optional: bool) -> None:
    edit(
        repo,
        "infrastructure.yaml",
        lambda spec: spec["postBuild"]["substituteFrom"].append(
            {"kind": "Secret", "name": "vars", "optional": optional}
        ),
    )
    assert problems(repo) == [
        "clusters/prod: Kustomization flux-system/infra-configs: spec.postBuild.substituteFrom[1]: Secret vars: a Secret's "
        "values are not known offline, and whether an optional one exists changes what is applied; use a ConfigMap"
    ]


def test_an_invalid_variable_name_is_refused(repo: Path) -> None:
    edit(repo, "infrastructure.yaml", lambda spec: spec["postBuild"].update(substitute={"aws-region": "x"}))
    assert problems(repo) == [
        "clusters/prod: Kustomization flux-system/infra-configs: spec.postBuild: envsubst error: 'aws-region' var name "
        "is invalid, must match '^[_[:alpha:]][_[:alpha:][:digit:]]*$'"
    ]


def test_outside_strict_mode_a_missing_variable_becomes_empty(repo: Path) -> None:
    webhook = repo / "clusters/infrastructure/webhook/flux-webhook.yaml"
    webhook.write_text(webhook.read_text().replace("key: ${secrets_prefix}", "key: ${secrets_prefx}"))
    secret = one(render(repo, strict=False), "ExternalSecret", "github-webhook-token")
    assert secret["spec"]["data"][0]["remoteRef"]["key"] == "flux-webhook-token"


def test_a_suspended_kustomization_applies_nothing(repo: Path) -> None:
    edit(repo, "apps.yaml", lambda spec: spec.update(suspend=True))
    cluster = render(repo)
    assert one(cluster, "Kustomization", "apps")["spec"]["suspend"] is True
    assert applied_by(cluster, "apps") == []
    assert cluster.of_kind("HelmRelease") == [] and cluster.of_kind("Deployment") == []


@pytest.mark.parametrize("folder", ["", "clusters/infrastructure/"])
def test_a_source_ignore_file_is_refused(repo: Path, folder: str) -> None:
    (repo / folder / ".sourceignore").write_text("*.md\n")
    assert problems(repo)[0] == f"{folder}.sourceignore: not read by this render, and it changes what Flux builds"


def test_a_kustomization_that_applies_itself_is_rendered_once(repo: Path) -> None:
    """The `flux bootstrap` layout: clusters/<env> holds the flux-system Kustomization that applies it."""
    sync = {
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": "flux-system", "namespace": "flux-system"},
        "spec": {
            "interval": "10m",
            "path": f"./clusters/{ENV}",
            "prune": True,
            "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
        },
    }
    (repo / "clusters" / ENV / "flux-system.yaml").write_text(yaml.safe_dump(sync))
    cluster = render(repo)
    assert [k["metadata"]["name"] for k in cluster.of_kind("Kustomization")].count("flux-system") == 1
    assert len(cluster.of_kind("ClusterSecretStore")) == 1


def test_an_object_without_api_version_is_refused_as_flux_refuses_it(repo: Path) -> None:
    plant(repo, "clusters/infrastructure/configs", "loose.yaml", {"kind": "ConfigMap", "metadata": {"name": "loose"}})
    assert problems(repo) == [
        "clusters/infrastructure/configs (Kustomization infra-configs): ConfigMap loose: needs apiVersion, kind and "
        "metadata.name (kustomize-controller)"
    ]
