"""Flux HelmRelease fields, rendered as helm-controller v1.5.5 installs the release.

Each test plants one field into a copy of the Flux tree and checks the rendered objects
changed as Flux changes them, or that the render refuses with one line. Facts from
helm-controller v1.5.5 (internal/postrender: kustomize post-renderers in order, then
commonMetadata, then origin labels; internal/action/install.go: CRD policy, hooks,
createNamespace only with targetNamespace; internal/release/name.go and its test table;
api/v2 GetReleaseName, GetStorageNamespace), fluxcd/pkg chartutil v1.22.1 (values.go,
merge.go) and source-controller v1.8.5 (internal/helm/chart/builder_local.go: valuesFiles
merged from the repository root and used instead of values.yaml; version metadata;
internal/controller/helmchart_controller.go: reconcileStrategy Revision adds the first 12
hex characters of a GitRepository commit, valuesFiles `.<generation>` after it).
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
from render.helm_release import OFFLINE_REVISION, chart_values, release_name
from tests.catalogs import full_catalog
from tests.clusters.test_kustomization_semantics import CRDS, crd_fields, plant
from tests.clusters.test_render_errors import VALUES

ENV = "prod"
RELEASE = "clusters/apps/base/guestbook/release.yaml"
WHERE = "clusters/apps/prod (Kustomization apps): HelmRelease guestbook/guestbook"
Spec = dict[str, Any]


def render(repo: Path) -> RenderedCluster:
    return render_cluster(repo, ENV, VALUES, "1.35", catalog=full_catalog())


def problems(repo: Path) -> list[str]:
    with pytest.raises(RenderError) as caught:
        render(repo)
    return list(caught.value.problems)


def edit(repo: Path, change: Callable[[Spec], object]) -> None:
    """Change the spec of the guestbook HelmRelease (its base; prod patches only values)."""
    path = repo / RELEASE
    document = yaml.safe_load(path.read_text())
    change(document["spec"])
    path.write_text(yaml.safe_dump(document))


def from_chart(cluster: RenderedCluster) -> list[dict[str, Any]]:
    return [o.body for o in cluster.objects if o.source == "charts/app (HelmRelease guestbook/guestbook)"]


def one(cluster: RenderedCluster, kind: str, name: str = "guestbook") -> dict[str, Any]:
    [found] = [o for o in cluster.of_kind(kind) if o["metadata"]["name"] == name]
    return found


def container(cluster: RenderedCluster) -> dict[str, Any]:
    found: list[dict[str, Any]] = one(cluster, "Deployment")["spec"]["template"]["spec"]["containers"]
    [first] = found
    return first


def values_config_map(**data: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "tuning", "namespace": "guestbook"},
        "data": data,
    }


def template(repo: Path, name: str, body: dict[str, Any]) -> None:
    (repo / "charts/app/templates" / name).write_text(yaml.safe_dump(body))


def hook(name: str, events: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "annotations": {"helm.sh/hook": events}},
    }


@pytest.mark.skipif(not CRDS.is_dir(), reason=f"upstream cache {CRDS} is not beside this checkout")
def test_the_table_names_every_field_of_the_helm_release_crd_and_no_other() -> None:
    assert set(flux_fields.HELM_RELEASE) == crd_fields("HelmRelease")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "chartRef",
            {"kind": "OCIRepository", "name": "app"},
            "a chart of an OCIRepository or HelmChart is not in this repository",
        ),
        (
            "kubeConfig",
            {"secretRef": {"name": "remote"}},
            "the release goes to another cluster, which this render does not model",
        ),
        ("install", {"disableSchemaValidation": True}, "the render always checks values against values.schema.json"),
    ],
)
def test_fields_that_cannot_be_rendered_are_refused(repo: Path, field: str, value: Any, message: str) -> None:
    def change(spec: Spec) -> None:
        if field == "chartRef":
            del spec["chart"]  # the CRD allows one of chart and chartRef
        spec[field] = value

    edit(repo, change)
    path = field + (".disableSchemaValidation" if field == "install" else "")
    assert problems(repo) == [f"{WHERE}: spec.{path}: cannot be rendered offline: {message}"]


@pytest.mark.parametrize(
    ("strategy", "chart_label"),
    [
        # source-controller: `<version>+<first 12 hex of the commit>`; the render's stand-in commit.
        ("Revision", f"app-0.1.0_{OFFLINE_REVISION}"),
        ("ChartVersion", "app-0.1.0"),
    ],
)
def test_a_chart_versioned_by_git_revision_renders_its_version_into_labels_but_not_pods(
    repo: Path, strategy: str, chart_label: str
) -> None:
    edit(repo, lambda spec: spec["chart"]["spec"].update(reconcileStrategy=strategy))
    cluster = render(repo)
    objects = from_chart(cluster)
    assert objects
    assert {o["metadata"]["labels"]["helm.sh/chart"] for o in objects} == {chart_label}
    # A commit that changes nothing else restarts no pod: the pod template has no chart version.
    assert "helm.sh/chart" not in one(cluster, "Deployment")["spec"]["template"]["metadata"]["labels"]


def test_a_chart_source_in_another_namespace_is_refused(repo: Path) -> None:
    edit(repo, lambda spec: spec["chart"]["spec"]["sourceRef"].pop("namespace"))  # then it is guestbook's
    assert problems(repo) == [f"{WHERE}: spec.chart.spec.sourceRef: only GitRepository flux-system/flux-system renders"]


def test_values_from_a_config_map_key(repo: Path) -> None:
    plant(
        repo,
        "clusters/apps/base/guestbook",
        "tuning.yaml",
        values_config_map(**{"tuning.yaml": "drainSeconds: 30\nshutdownGraceSeconds: 40\n"}),
    )
    edit(
        repo, lambda spec: spec.update(valuesFrom=[{"kind": "ConfigMap", "name": "tuning", "valuesKey": "tuning.yaml"}])
    )
    assert one(render(repo), "Deployment")["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 75


def test_spec_values_win_over_values_from(repo: Path) -> None:
    plant(
        repo, "clusters/apps/base/guestbook", "tuning.yaml", values_config_map(**{"values.yaml": "minAvailable: 5\n"})
    )
    edit(repo, lambda spec: spec.update(valuesFrom=[{"kind": "ConfigMap", "name": "tuning"}]))
    assert one(render(repo), "PodDisruptionBudget")["spec"]["minAvailable"] == 2  # prod's spec.values


def test_a_target_path_sets_one_value_even_over_spec_values(repo: Path) -> None:
    plant(repo, "clusters/apps/base/guestbook", "tuning.yaml", values_config_map(tag="20270101000000-0123456789ab"))
    edit(
        repo,
        lambda spec: spec.update(
            valuesFrom=[{"kind": "ConfigMap", "name": "tuning", "valuesKey": "tag", "targetPath": "image.tag"}]
        ),
    )
    assert container(render(repo))["image"].endswith(":20270101000000-0123456789ab")  # prod's spec.values has a tag


# chartutil ChartValuesFromReferences: references in order, spec.values merged last; a
# targetPath value is set (with Helm's --set parser) into the maps merged so far, which
# share their nested maps with spec.values where no earlier reference made a map first.
VALUES_FACTS = [
    ([{"values.yaml": "a: {x: 1}"}], {"a": {"y": 2}}, {"a": {"x": 1, "y": 2}}),
    ([{"values.yaml": "k: 1"}, {"values.yaml": "k: 2"}], {}, {"k": 2}),
    ([{"values.yaml": "k: 1"}], {"k": 3}, {"k": 3}),
    ([{"v": "t", "targetPath": "a.b"}], {"a": {"b": "v"}}, {"a": {"b": "t"}}),
    ([{"values.yaml": "a: {c: 1}"}, {"v": "t", "targetPath": "a.b"}], {"a": {"b": "v"}}, {"a": {"b": "v", "c": 1}}),
    ([{"v": "t", "targetPath": "k"}], {"k": "v"}, {"k": "v"}),
    (
        [{"v": "3", "targetPath": "n"}, {"v": "true", "targetPath": "b"}, {"v": '"3"', "targetPath": "s"}],
        {},
        {"n": 3, "b": True, "s": "3"},
    ),
    ([{"v": "x", "targetPath": "a\\.b"}], {}, {"a.b": "x"}),
    (
        [{"v": "p", "targetPath": "a.x"}, {"v": "t", "targetPath": "a.b"}],
        {"a": {"b": "v"}},
        {"a": {"b": "v", "x": "p"}},
    ),
]


@pytest.mark.parametrize(("references", "values", "expected"), VALUES_FACTS)
def test_values_compose_as_chartutil_composes_them(
    references: list[dict[str, str]], values: Spec, expected: Spec
) -> None:
    config_maps = {f"cm{i}": {k: v for k, v in ref.items() if k != "targetPath"} for i, ref in enumerate(references)}
    value_from = [
        {
            "kind": "ConfigMap",
            "name": f"cm{i}",
            **({"valuesKey": "v", "targetPath": ref["targetPath"]} if "targetPath" in ref else {}),
        }
        for i, ref in enumerate(references)
    ]
    assert chart_values({"values": values, "valuesFrom": value_from}, config_maps, "here") == expected


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        (
            {"kind": "ConfigMap", "name": "absent"},
            "spec.valuesFrom[0]: ConfigMap absent is not applied by any Kustomization; mark it optional if it may be absent",
        ),
        (
            {"kind": "ConfigMap", "name": "tuning", "valuesKey": "absent.yaml"},
            "spec.valuesFrom[0]: ConfigMap tuning has no key 'absent.yaml'; mark it optional if it may be absent",
        ),
        (
            {"kind": "Secret", "name": "tuning", "optional": True},
            "spec.valuesFrom[0]: Secret tuning: a Secret's values are not known offline, and whether an optional one exists changes what is installed; use a ConfigMap",
        ),
    ],
)
def test_values_that_cannot_be_found_are_refused(repo: Path, reference: dict[str, Any], message: str) -> None:
    plant(
        repo, "clusters/apps/base/guestbook", "tuning.yaml", values_config_map(**{"values.yaml": "minAvailable: 5\n"})
    )
    edit(repo, lambda spec: spec.update(valuesFrom=[reference]))
    assert problems(repo) == [f"{WHERE}: {message}"]


def test_absent_optional_values_are_skipped(repo: Path) -> None:
    edit(repo, lambda spec: spec.update(valuesFrom=[{"kind": "ConfigMap", "name": "absent", "optional": True}]))
    assert one(render(repo), "PodDisruptionBudget")["spec"]["minAvailable"] == 2


def test_values_files_replace_the_charts_values_and_version_the_chart(repo: Path) -> None:
    (repo / "charts/app/values-slow.yaml").write_text("drainSeconds: 60\n")
    edit(
        repo,
        lambda spec: spec["chart"]["spec"].update(
            valuesFiles=["charts/app/values.yaml", "charts/app/values-slow.yaml"]
        ),
    )
    deployment = one(render(repo), "Deployment")
    assert deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 85  # 60 + 20 (values.yaml) + 5
    # Revision (the base release's) and then the HelmChart's generation, as source-controller joins them.
    assert deployment["metadata"]["labels"]["helm.sh/chart"] == f"app-0.1.0_{OFFLINE_REVISION}.1"


def test_values_files_without_values_yaml_leave_the_chart_without_defaults(repo: Path) -> None:
    (repo / "charts/app/values-slow.yaml").write_text("drainSeconds: 60\n")
    edit(repo, lambda spec: spec["chart"]["spec"].update(valuesFiles=["charts/app/values-slow.yaml"]))
    found = problems(repo)
    assert found and all(line.startswith(f"{WHERE}: ") for line in found)
    assert any("shutdownGraceSeconds" in line for line in found)  # a default of values.yaml, gone


def test_values_files_need_a_values_yaml_to_replace(repo: Path) -> None:
    (repo / "charts/app/values.yaml").rename(repo / "charts/app/defaults.yaml")
    edit(repo, lambda spec: spec["chart"]["spec"].update(valuesFiles=["charts/app/defaults.yaml"]))
    assert problems(repo) == [f"{WHERE}: spec.chart.spec.valuesFiles: failed to locate values file: values.yaml"]


@pytest.mark.parametrize("ignore", [False, True])
def test_a_missing_values_file_is_an_error_unless_ignored(repo: Path, ignore: bool) -> None:
    files = ["charts/app/values.yaml", "charts/app/values-absent.yaml"]
    edit(repo, lambda spec: spec["chart"]["spec"].update(valuesFiles=files, ignoreMissingValuesFiles=ignore))
    if ignore:
        assert one(render(repo), "Deployment")
    else:
        assert problems(repo) == [
            f"{WHERE}: spec.chart.spec.valuesFiles: no values file found at path 'charts/app/values-absent.yaml'"
        ]


def test_post_renderers_patch_and_retag_in_order(repo: Path) -> None:
    first = {
        "kustomize": {
            "patches": [
                {
                    "target": {"kind": "Deployment"},
                    "patch": "- {op: add, path: /metadata/annotations, value: {stage: one}}",
                }
            ],
            "images": [
                {
                    "name": "111111111111.dkr.ecr.eu-west-1.amazonaws.com/acme/dev/app",
                    "newName": "mirror.example.com/app",
                }
            ],
        }
    }
    second = {
        "kustomize": {
            "patches": [
                {
                    "target": {"kind": "Deployment", "annotationSelector": "stage=one"},
                    "patch": "- {op: replace, path: /spec/revisionHistoryLimit, value: 3}",
                }
            ]
        }
    }
    edit(repo, lambda spec: spec.update(postRenderers=[first, second]))
    cluster = render(repo)
    deployment = one(cluster, "Deployment")
    assert deployment["spec"]["revisionHistoryLimit"] == 3  # the second saw the first's annotation
    assert container(cluster)["image"].startswith("mirror.example.com/app:")


def test_common_metadata_and_origin_labels_on_every_chart_object(repo: Path) -> None:
    common = {
        "labels": {"team": "guestbook", "helm.toolkit.fluxcd.io/name": "mine"},
        "annotations": {"owner": "apps@example.com"},
    }
    edit(repo, lambda spec: spec.update(commonMetadata=common))
    objects = from_chart(render(repo))
    assert objects
    for obj in objects:
        labels, annotations = obj["metadata"]["labels"], obj["metadata"]["annotations"]
        assert labels["team"] == "guestbook" and annotations["owner"] == "apps@example.com"
        assert labels["helm.toolkit.fluxcd.io/name"] == "guestbook"  # origin labels win
        assert labels["helm.toolkit.fluxcd.io/namespace"] == "guestbook"
        assert annotations["meta.helm.sh/release-name"] == "guestbook"


def test_target_namespace_names_and_places_the_release(repo: Path) -> None:
    edit(repo, lambda spec: (spec.pop("releaseName"), spec.update(targetNamespace="apps")))
    cluster = render(repo)
    deployment = one(cluster, "Deployment", "apps-guestbook")
    assert deployment["metadata"]["namespace"] == "apps"
    assert deployment["metadata"]["annotations"]["meta.helm.sh/release-namespace"] == "apps"
    assert not [o for o in cluster.of_kind("Namespace") if o["metadata"]["name"] == "apps"]


def test_create_namespace_creates_the_target_namespace(repo: Path) -> None:
    edit(repo, lambda spec: spec.update(targetNamespace="apps", install={"createNamespace": True}))
    namespace = one(render(repo), "Namespace", "apps")
    assert namespace["metadata"]["labels"] == {"name": "apps"}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("release-name", "release-name"),
        (
            "release-name-with-very-long-name-which-is-longer-than-53-characters",
            "release-name-with-very-long-name-which-i-788ca0d0d7b0",
        ),
    ],
)
def test_a_long_release_name_is_shortened_as_flux_does(name: str, expected: str) -> None:
    assert release_name({"metadata": {"name": "x"}, "spec": {"releaseName": name}}) == expected


def test_two_releases_may_not_share_a_name_in_one_storage_namespace(repo: Path) -> None:
    copy = yaml.safe_load((repo / RELEASE).read_text())
    copy["metadata"]["name"] = "guestbook-copy"
    copy["spec"]["targetNamespace"] = "copy"
    copy["spec"]["values"]["image"]["tag"] = "20261125093000-1a2b3c4d5e6f"  # prod patches only guestbook's
    plant(repo, "clusters/apps/base/guestbook", "copy.yaml", copy)
    assert (
        f"{WHERE.replace('guestbook/guestbook', 'guestbook/guestbook-copy')}: release guestbook in storage namespace guestbook is also HelmRelease guestbook/guestbook's: set spec.releaseName or spec.storageNamespace"
        in problems(repo)
    )
    copy["spec"]["storageNamespace"] = "copy"
    (repo / "clusters/apps/base/guestbook/copy.yaml").write_text(yaml.safe_dump(copy))
    assert {d["metadata"]["namespace"] for d in render(repo).of_kind("Deployment")} == {"guestbook", "copy"}


CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com",
        "names": {"kind": "Widget", "listKind": "WidgetList", "plural": "widgets", "singular": "widget"},
        "scope": "Namespaced",
        "versions": [
            {"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {"type": "object"}}}
        ],
    },
}


@pytest.mark.parametrize(
    ("policy", "applied"), [(None, True), ("Create", True), ("CreateReplace", True), ("Skip", False)]
)
def test_the_charts_crds_follow_the_install_policy(repo: Path, policy: str | None, applied: bool) -> None:
    (repo / "charts/app/crds").mkdir()
    (repo / "charts/app/crds/widgets.yaml").write_text(yaml.safe_dump(CRD))
    if policy:
        edit(repo, lambda spec: spec["install"].update(crds=policy))
    crds = render(repo).of_kind("CustomResourceDefinition")
    assert [c["metadata"]["name"] for c in crds] == (["widgets.example.com"] if applied else [])
    if applied:
        assert crds[0]["metadata"]["labels"] == {
            "helm.toolkit.fluxcd.io/name": "guestbook",
            "helm.toolkit.fluxcd.io/namespace": "guestbook",
        }


def test_anything_but_crds_in_the_crds_folder_is_refused(repo: Path) -> None:
    (repo / "charts/app/crds").mkdir()
    (repo / "charts/app/crds/extra.yaml").write_text(yaml.safe_dump(hook("extra", "")))
    assert problems(repo) == [
        f"{WHERE}: crds/ holds ConfigMap extra: helm-controller applies only CustomResourceDefinitions"
    ]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({}, {"before-install"}),
        ({"install": {"disableHooks": True}}, set()),
        ({"test": {"enable": True}}, {"before-install", "smoke", "other-test"}),
        ({"test": {"enable": True, "filters": [{"name": "other-test", "exclude": True}]}}, {"before-install", "smoke"}),
    ],
)
def test_hooks_that_run_on_an_install(repo: Path, spec: Spec, expected: set[str]) -> None:
    template(repo, "hook-install.yaml", hook("before-install", "pre-install"))
    template(repo, "hook-upgrade.yaml", hook("before-upgrade", "pre-upgrade"))
    template(repo, "hook-test.yaml", hook("smoke", "test"))
    template(repo, "hook-test-other.yaml", hook("other-test", "test"))
    edit(repo, lambda release: [release.setdefault(key, {}).update(value) for key, value in spec.items()])
    hooks = {o["metadata"]["name"] for o in render(repo).of_kind("ConfigMap")}
    assert hooks == expected


def test_hooks_are_not_post_rendered(repo: Path) -> None:
    template(repo, "hook-install.yaml", hook("before-install", "pre-install"))
    edit(repo, lambda spec: spec.update(commonMetadata={"labels": {"team": "guestbook"}}))
    cluster = render(repo)
    assert "labels" not in one(cluster, "ConfigMap", "before-install")["metadata"]
    assert one(cluster, "ConfigMap", "before-install")["metadata"]["namespace"] == "guestbook"


def test_a_suspended_release_installs_nothing(repo: Path) -> None:
    edit(repo, lambda spec: spec.update(suspend=True))
    cluster = render(repo)
    assert cluster.of_kind("HelmRelease") and from_chart(cluster) == []
