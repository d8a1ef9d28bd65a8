"""Flux's kustomization generator: the kustomization file kustomize-controller builds.

Follows fluxcd/pkg kustomize/kustomize_generator.go (v1.27, in kustomize-controller v1.8):

- A folder without a kustomization file gets one listing its YAML files and, for each
  sub-folder that has its own kustomization file, that sub-folder (not descended into,
  so its files are read once, by its own kustomization). Every YAML document found
  must be a Kubernetes object (a `kind`, and a `metadata.name` unless a List): Flux's
  generator fails the whole Kustomization otherwise, and so does this one.
- Into the kustomization file (found or generated) it writes the Flux Kustomization's
  targetNamespace (as `namespace`), namePrefix, nameSuffix, patches (appended), images
  (replacing one of the same name, else appended) and components (local paths only;
  missing ones left out with ignoreMissingComponents).
- A found file without resources gets `buildMetadata: [originAnnotations]`, as Flux
  adds it to avoid kustomize's "kustomization is empty" error.

Flux re-writes the file through kustomize's Go types, dropping fields they do not know;
this one keeps them, so kustomize reports an unknown field instead of it vanishing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from render.errors import RenderError
from render.flux_yaml import FluxYamlError, load_document

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")  # kustomize's konfig
SELECTOR_FIELDS = ("group", "version", "kind", "name", "namespace", "labelSelector", "annotationSelector")
IMAGE_FIELDS = ("name", "newName", "newTag", "digest")
REMOTE_PREFIXES = ("git::", "gh:", "ssh://", "https://", "http://", "git@", "github.com:", "github.com/")
DOCUMENT_START = re.compile(r"^---(\s|$)")


def kustomization_file(folder: Path) -> Path | None:
    """The kustomization file kustomize would read in `folder`, if any."""
    for name in KUSTOMIZATION_FILES:
        if (folder / name).is_file():
            return folder / name
    return None


def generate(folder: Path, spec: Mapping[str, Any], shown: str) -> None:
    """Write the kustomization file Flux would build in `folder` for a Kustomization's `spec`."""
    found = kustomization_file(folder)
    if found is None:
        resources = scan_manifests(folder, shown)
        document: dict[str, Any] = {"resources": resources} if resources else {"namespace": "_placeholder"}
        target = folder / KUSTOMIZATION_FILES[0]
    else:
        document = _read(found, shown)
        if not document.get("resources"):
            document["buildMetadata"] = ["originAnnotations"]
        target = found
    document.setdefault("apiVersion", "kustomize.config.k8s.io/v1beta1")
    document.setdefault("kind", "Kustomization")
    for field, key in (("targetNamespace", "namespace"), ("namePrefix", "namePrefix"), ("nameSuffix", "nameSuffix")):
        if field in spec:
            document[key] = spec[field]
    for patch in spec.get("patches") or []:
        document.setdefault("patches", []).append(_patch(patch))
    components = _components(folder, spec, shown)
    if components:
        document["components"] = [*(document.get("components") or []), *components]
    for image in spec.get("images") or []:
        _set_image(document, {key: image[key] for key in IMAGE_FIELDS if image.get(key)})
    target.write_text(yaml.safe_dump(document, sort_keys=False))


def scan_manifests(folder: Path, shown: str) -> list[str]:
    """The resources of a generated kustomization: YAML files, and sub-folders with their own kustomization."""
    resources: list[str] = []
    for entry in sorted(folder.rglob("*")):
        relative = entry.relative_to(folder)
        if any(kustomization_file(folder / parent) for parent in list(relative.parents)[:-1]):
            continue  # inside a sub-folder that is a resource of its own
        if entry.is_dir() and kustomization_file(entry):
            resources.append(f"./{relative.as_posix()}")
        elif entry.is_file() and entry.suffix in (".yaml", ".yml"):
            _check_kubernetes_objects(entry, f"{shown}/{relative.as_posix()}")
            resources.append(f"./{relative.as_posix()}")
    return resources


def _check_kubernetes_objects(path: Path, shown: str) -> None:
    """Fail as Flux's generator fails on a YAML file that is not Kubernetes objects."""
    for number, text in enumerate(_documents(path.read_text()), start=1):
        where = f"{shown} (document {number})"
        try:
            document = load_document(text)
        except FluxYamlError as error:
            raise RenderError([f"{where}: not a Kubernetes object: {error}{_CONSEQUENCE}"]) from None
        kind = document.get("kind")
        if not isinstance(kind, str) or not kind:
            raise RenderError([f"{where}: not a Kubernetes object: no kind{_CONSEQUENCE}"])
        name = (document.get("metadata") or {}).get("name")
        if not kind.endswith("List") and (not isinstance(name, str) or not name):
            raise RenderError([f"{where}: not a Kubernetes object: no metadata.name{_CONSEQUENCE}"])


_CONSEQUENCE = " (in a folder without kustomization.yaml Flux's generator fails on it; add a kustomization.yaml)"


def _documents(text: str) -> list[str]:
    """The YAML documents of a file, without those that hold only comments or blank lines."""
    documents: list[list[str]] = [[]]
    for line in text.splitlines(keepends=True):
        if DOCUMENT_START.match(line):
            documents.append([])
        else:
            documents[-1].append(line)
    meaningful = [
        "".join(lines)
        for lines in documents
        if any(line.strip() and not line.lstrip().startswith("#") for line in lines)
    ]
    return meaningful


def _read(path: Path, shown: str) -> dict[str, Any]:
    text = path.read_text()
    if not _documents(text):
        return {}
    try:
        return load_document(text)
    except FluxYamlError as error:
        raise RenderError([f"{shown}/{path.name}: {error}"]) from None


def _patch(patch: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {"patch": patch.get("patch", "")}
    target = patch.get("target")
    if target is not None:
        result["target"] = {key: target[key] for key in SELECTOR_FIELDS if target.get(key)}
    return result


def _components(folder: Path, spec: Mapping[str, Any], shown: str) -> list[str]:
    kept: list[str] = []
    for component in spec.get("components") or []:
        lowered = component.lower()
        remote = any(len(prefix) < len(component) and lowered.startswith(prefix) for prefix in REMOTE_PREFIXES)
        if remote or component.startswith("/") or lowered.removeprefix("file://").startswith("/"):
            raise RenderError([f"{shown}: spec.components: component path '{component}' must be local and relative"])
        if not (folder / component).exists() and spec.get("ignoreMissingComponents"):
            continue
        kept.append(component)
    return kept


def _set_image(document: dict[str, Any], image: dict[str, Any]) -> None:
    images: list[dict[str, Any]] = document.setdefault("images", [])
    for index, existing in enumerate(images):
        if existing.get("name") == image.get("name"):
            images[index] = image
            return
    images.append(image)
