"""Flux's kustomization generator, reproduced: what kustomize-controller builds from a folder.

Facts from fluxcd/pkg kustomize/kustomize_generator.go (v1.27.2, in kustomize-controller
v1.8.5): scanManifests (YAML files, sub-folders with their own kustomization file as one
resource, every document a Kubernetes object), generateKustomization (`_placeholder`
namespace when empty), WriteFile (buildMetadata, namespace, namePrefix/Suffix, patches,
images, components), IsLocalRelativePath.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from render import kustomize
from render.errors import RenderError
from render.flux_generator import generate


def config_map(name: str, **data: str) -> str:
    return yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data})


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def built(folder: Path, spec: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    generate(folder, spec or {}, "shown")
    return kustomize.build(folder, "shown")


def kustomization(folder: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((folder / "kustomization.yaml").read_text())
    return document


def test_a_folder_without_kustomization_lists_its_files_and_nested_kustomizations(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "a.yaml": config_map("a"),
            "plain/b.yml": config_map("b"),
            "nested/kustomization.yaml": yaml.safe_dump({"resources": ["c.yaml"]}),
            "nested/c.yaml": config_map("c"),
            "nested/deeper/d.yaml": config_map("d"),
            "notes.txt": "not YAML, not read",
        },
    )
    names = sorted(o["metadata"]["name"] for o in built(tmp_path))
    assert kustomization(tmp_path)["resources"] == ["./a.yaml", "./nested", "./plain/b.yml"]
    assert names == ["a", "b", "c"]  # c once (through nested/), d not at all: nested/ does not list it


def test_files_of_a_nested_kustomization_are_not_read_by_the_generator(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "nested/kustomization.yaml": yaml.safe_dump({"resources": ["c.yaml"]}),
            "nested/c.yaml": config_map("c"),
            "nested/values.yaml": "replicas: 2\n",  # not an object, but nested/ has its own kustomization
        },
    )
    assert [o["metadata"]["name"] for o in built(tmp_path)] == ["c"]


@pytest.mark.parametrize(
    ("text", "missing"),
    [("replicas: 2\n", "no kind"), ("apiVersion: v1\nkind: ConfigMap\ndata: {a: b}\n", "no metadata.name")],
)
def test_yaml_that_is_no_kubernetes_object_fails_the_build(tmp_path: Path, text: str, missing: str) -> None:
    write(tmp_path, {"a.yaml": config_map("a"), "sub/values.yaml": "# defaults\n---\n" + text})
    with pytest.raises(RenderError) as caught:
        generate(tmp_path, {}, "clusters/dev")
    assert caught.value.problems == (
        f"clusters/dev/sub/values.yaml (document 1): not a Kubernetes object: {missing} (in a folder without "
        "kustomization.yaml Flux's generator fails on it; add a kustomization.yaml)",
    )


def test_comments_only_and_lists_are_accepted(tmp_path: Path) -> None:
    items = {"apiVersion": "v1", "kind": "List", "items": [yaml.safe_load(config_map("listed"))]}
    write(tmp_path, {"empty.yaml": "# nothing yet\n", "list.yaml": yaml.safe_dump(items)})
    assert [o["metadata"]["name"] for o in built(tmp_path)] == ["listed"]


def test_an_empty_folder_builds_to_nothing(tmp_path: Path) -> None:
    assert built(tmp_path) == []
    assert kustomization(tmp_path)["namespace"] == "_placeholder"


def test_a_kustomization_without_resources_gets_origin_annotations(tmp_path: Path) -> None:
    generator = {"configMapGenerator": [{"name": "generated", "literals": ["a=b"]}]}
    write(tmp_path, {"kustomization.yaml": yaml.safe_dump(generator)})
    [obj] = built(tmp_path)
    assert kustomization(tmp_path)["buildMetadata"] == ["originAnnotations"]
    assert "config.kubernetes.io/origin" in obj["metadata"]["annotations"]


def test_target_namespace_prefix_and_suffix_override_the_files(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "kustomization.yaml": yaml.safe_dump({"namespace": "theirs", "namePrefix": "x-", "resources": ["a.yaml"]}),
            "a.yaml": config_map("a"),
        },
    )
    [obj] = built(tmp_path, {"targetNamespace": "ours", "namePrefix": "pre-", "nameSuffix": "-suf"})
    assert (obj["metadata"]["namespace"], obj["metadata"]["name"]) == ("ours", "pre-a-suf")


def test_patches_are_appended_after_the_files_own(tmp_path: Path) -> None:
    own = {"patch": "- {op: add, path: /data/order, value: own}", "target": {"kind": "ConfigMap"}}
    write(tmp_path, {"kustomization.yaml": yaml.safe_dump({"resources": ["a.yaml"], "patches": [own]})})
    write(tmp_path, {"a.yaml": config_map("a")})
    flux = {"patch": "- {op: replace, path: /data/order, value: flux}", "target": {"kind": "ConfigMap", "name": "a"}}
    [obj] = built(tmp_path, {"patches": [flux]})
    assert obj["data"]["order"] == "flux"


def test_an_image_replaces_the_files_entry_of_the_same_name(tmp_path: Path) -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "a", "image": "nginx:1"}, {"name": "b", "image": "redis:1"}]},
    }
    images = [{"name": "nginx", "newTag": "2"}, {"name": "redis", "newTag": "7"}]
    write(tmp_path, {"kustomization.yaml": yaml.safe_dump({"resources": ["p.yaml"], "images": images})})
    write(tmp_path, {"p.yaml": yaml.safe_dump(pod)})
    [obj] = built(tmp_path, {"images": [{"name": "nginx", "newName": "ghcr.io/x/nginx"}]})
    assert [c["image"] for c in obj["spec"]["containers"]] == ["ghcr.io/x/nginx:1", "redis:7"]
    assert kustomization(tmp_path)["images"] == [{"name": "nginx", "newName": "ghcr.io/x/nginx"}, images[1]]


def test_components_are_added_and_missing_ones_left_out_only_when_asked(tmp_path: Path) -> None:
    component = {
        "apiVersion": "kustomize.config.k8s.io/v1alpha1",
        "kind": "Component",
        "labels": [{"pairs": {"from": "component"}}],
    }
    write(tmp_path, {"app/a.yaml": config_map("a"), "component/kustomization.yaml": yaml.safe_dump(component)})
    spec: dict[str, Any] = {"components": ["../component", "../absent"], "ignoreMissingComponents": True}
    [obj] = built(tmp_path / "app", spec)
    assert obj["metadata"]["labels"] == {"from": "component"}
    assert kustomization(tmp_path / "app")["components"] == ["../component"]


def test_a_missing_component_fails_the_build_unless_ignored(tmp_path: Path) -> None:
    write(tmp_path, {"a.yaml": config_map("a")})
    with pytest.raises(RenderError) as caught:
        built(tmp_path, {"components": ["../absent"]})
    [problem] = caught.value.problems
    assert problem.startswith("shown: kustomize build failed: ")
    assert "absent" in problem


@pytest.mark.parametrize("component", ["https://github.com/acme/components//x", "/abs/path", "github.com/acme/x"])
def test_a_remote_or_absolute_component_is_refused(tmp_path: Path, component: str) -> None:
    write(tmp_path, {"a.yaml": config_map("a")})
    with pytest.raises(RenderError) as caught:
        generate(tmp_path, {"components": [component]}, "clusters/dev")
    assert caught.value.problems == (
        f"clusters/dev: spec.components: component path '{component}' must be local and relative",
    )
