"""One Flux Kustomization, rendered as kustomize-controller v1.8 applies it.

`build` does what the controller does with the repository's artifact: a fresh copy of
the tree, Flux's generator on the Kustomization's folder (render/flux_generator.py),
then kustomize. It needs nothing from the cluster, so builds may run side by side.
`post_build` then does what needs the cluster's objects, per object as the controller
does: the checks on apiVersion, kind and name, variable substitution (only with a
`postBuild`, and only when there is at least one variable), the owner labels, then
commonMetadata over them.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from render import flux_fields, kustomize
from render.errors import RenderError, located
from render.flux_generator import generate
from render.flux_yaml import FluxYamlError, load_document
from render.scope import Namespaced
from render.substitute import SubstitutionError, invalid_variable_names, substitute_document, substitution_disabled

SOURCE = ("GitRepository", "flux-system")  # the repository itself, synced by the FluxInstance
GROUP = "kustomize.toolkit.fluxcd.io"
# Not in a source-controller artifact: fluxcd/pkg sourceignore ExcludeVCS, ExcludeExt, ExcludeCI, ExcludeExtra.
ARTIFACT_EXCLUDES = (
    *(".git", ".gitignore", ".gitmodules", ".gitattributes"),
    *("*.jpg", "*.jpeg", "*.gif", "*.png", "*.wmv", "*.flv", "*.tar.gz", "*.zip"),
    *(".github", ".circleci", ".travis.yml", ".gitlab-ci.yml", "appveyor.yml", ".drone.yml", "cloudbuild.yaml"),
    *("codeship-services.yml", "codeship-steps.yml", ".goreleaser.yml", ".sops.yaml", ".flux.yaml"),
)


def repository_path(text: str) -> PurePosixPath:
    """A path of the repository, relative to its root; like Flux's secure join, `..` never leaves it."""
    parts: list[str] = []
    for part in PurePosixPath(text).parts:
        if part == "..":
            parts = parts[:-1]
        elif part not in (".", "/"):
            parts.append(part)
    return PurePosixPath(*parts)


def build(repo: Path, kustomization: Mapping[str, Any], *, where: str, shown: str) -> list[str]:
    """The objects kustomize makes for the Kustomization, one YAML text each; RenderError if it cannot."""
    spec = kustomization.get("spec") or {}
    problems = flux_fields.refusals(flux_fields.KUSTOMIZATION, spec, where)
    source = spec.get("sourceRef") or {}
    if (source.get("kind"), source.get("name")) != SOURCE:
        problems.append(f"{where}: spec.sourceRef: only this repository's GitRepository flux-system renders offline")
    path = repository_path(str(spec.get("path") or ""))
    if not path.parts:
        problems.append(
            f"{where}: spec.path: the repository's root is not rendered offline (it would copy the checkout)"
        )
    elif not (repo / path).is_dir():
        problems.append(f"{where}: spec.path: {path.as_posix()} is not a folder of this repository")
    if problems:
        raise RenderError(problems)
    with tempfile.TemporaryDirectory(prefix="render-kustomization-") as scratch:
        copy = Path(scratch)
        _artifact(repo, path, copy)
        generate(copy / path, spec, shown)
        return kustomize.build_documents(copy / path, shown, root=copy)


def _artifact(repo: Path, path: PurePosixPath, into: Path) -> None:
    """What kustomize-controller unpacks: the top folder of `path` copied (the generator writes
    into it), the repository's other top-level entries linked (read only, and only if referenced)."""
    top = path.parts[0]

    def excluded(directory: str, names: list[str]) -> set[str]:
        if ".sourceignore" in names:
            shown = (Path(directory) / ".sourceignore").relative_to(repo).as_posix()
            raise RenderError([f"{shown}: not read by this render, and it changes what Flux builds"])
        return set(shutil.ignore_patterns(*ARTIFACT_EXCLUDES, "__pycache__")(directory, names))

    excluded(str(repo), [entry.name for entry in repo.iterdir()])
    for entry in sorted(repo.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.name == top:
            shutil.copytree(entry, into / entry.name, ignore=excluded)
        else:
            (into / entry.name).symlink_to(entry)


def post_build(
    texts: list[str],
    kustomization: Mapping[str, Any],
    *,
    config_maps: Mapping[str, Mapping[str, str]],
    strict: bool,
    namespaced: Namespaced,
    where: str,
    shown: str,
) -> list[dict[str, Any]]:
    """The objects the Kustomization applies, from kustomize's output.

    `config_maps` are the ConfigMaps of the Kustomization's namespace that exist when it
    reconciles (name → data), for `postBuild.substituteFrom`.
    """
    metadata = kustomization.get("metadata") or {}
    spec = kustomization.get("spec") or {}
    post_build_spec = spec.get("postBuild")
    values = variables(post_build_spec, config_maps, where) if post_build_spec is not None else {}
    objects: list[dict[str, Any]] = []
    problems: list[str] = []
    for text in texts:
        try:
            body = load_document(text)
        except FluxYamlError as error:
            raise RenderError([f"{shown}: kustomize output: {error}"]) from None
        if not all((body.get("apiVersion"), body.get("kind"), (body.get("metadata") or {}).get("name"))):
            problems.append(located(shown, body, "needs apiVersion, kind and metadata.name (kustomize-controller)"))
            continue
        if values and not substitution_disabled(body):
            if invalid := invalid_variable_names(values):  # Flux fails the Kustomization on the first object
                raise RenderError([f"{where}: spec.postBuild: {message}" for message in invalid])
            try:
                body = substitute_document(text, values, strict=strict)
            except SubstitutionError as error:
                problems.append(located(shown, body, str(error)))
                continue
        if str(body["apiVersion"]).startswith("kustomize.config.k8s.io/") and body["kind"] == "Kustomization":
            continue  # dropped by fluxcd/pkg ssa ReadObjects: kustomize's own configuration
        if namespaced(str(body["apiVersion"]), str(body["kind"])) is False:
            body["metadata"].pop("namespace", None)  # kustomize sets one on custom kinds; the API server drops it
        _label(body, "labels", {f"{GROUP}/name": metadata.get("name"), f"{GROUP}/namespace": metadata.get("namespace")})
        common = spec.get("commonMetadata") or {}
        _label(body, "labels", common.get("labels") or {})
        _label(body, "annotations", common.get("annotations") or {})
        objects.append(body)
    if problems:
        raise RenderError(problems)
    return objects


def variables(
    post_build_spec: Mapping[str, Any], config_maps: Mapping[str, Mapping[str, str]], where: str
) -> dict[str, str]:
    """substituteFrom in order (a later one wins), then the inline `substitute` over them;
    newlines removed from every value, as Flux does (fluxcd/pkg kustomize LoadVariables)."""
    values: dict[str, str] = {}
    problems: list[str] = []
    for index, reference in enumerate(post_build_spec.get("substituteFrom") or []):
        field = f"{where}: spec.postBuild.substituteFrom[{index}]"
        kind, name = reference.get("kind"), reference.get("name")
        if kind == "Secret":
            problems.append(
                f"{field}: Secret {name}: a Secret's values are not known offline, and whether an optional "
                "one exists changes what is applied; use a ConfigMap"
            )
        elif name in config_maps:
            values.update({key: str(value).replace("\n", "") for key, value in config_maps[name].items()})
        elif not reference.get("optional"):
            problems.append(
                f"{field}: ConfigMap {name} is neither the bridge nor applied by a Kustomization "
                "this one depends on (or by one that applies it); mark it optional if it may be absent"
            )
    inline = post_build_spec.get("substitute") or {}
    values.update({key: str(value).replace("\n", "") for key, value in inline.items()})
    if problems:
        raise RenderError(problems)
    return values


def _label(body: dict[str, Any], field: str, entries: Mapping[str, Any]) -> None:
    if entries:
        metadata = body.setdefault("metadata", {})
        metadata[field] = {**(metadata.get(field) or {}), **{key: str(value) for key, value in entries.items()}}
