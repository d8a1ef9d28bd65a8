"""What each environment's Flux folders may hold, checked before anything is synthesized.

An environment's cluster syncs `clusters/<env>/` (its entry points), which point at its
overlay `clusters/apps/<env>/` and at shared folders. A copied entry point that still
points at another environment's folder renders that environment's apps into this one
without a word, so it is refused here; so are image automation objects where the
environment installs no image controllers. The render (render/) is the full check: this
one reads only the files the folders list, to give one clear line per mistake early.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from stacks.config.model import Environment
from stacks.display import shown

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")  # kustomize's own names
FLUX_KUSTOMIZATION = "kustomize.toolkit.fluxcd.io/"
IMAGE_API = "image.toolkit.fluxcd.io/"
REMOTE = ("git::", "gh:", "ssh://", "https://", "http://", "git@", "github.com")
# Shared folders (clusters/apps/, clusters/infrastructure/, clusters/apps/base/): an
# environment of that name would claim every environment's overlays or the common base.
SHARED = ("apps", "infrastructure", "base")


def env_folders(name: str) -> tuple[PurePosixPath, PurePosixPath]:
    """An environment's own folders: entry points and app overlay."""
    return PurePosixPath("clusters", name), PurePosixPath("clusters", "apps", name)


def flux_tree_problems(repo: Path, files: Mapping[Path, Environment], names: Collection[str]) -> list[str]:
    """`files`: the environments to check (by file); `names`: every environment, whose folders are theirs alone."""
    lines = []
    for path, env in files.items():
        if env.name in SHARED:
            lines.append(f"{shown(path)}: name: {env.name} is a shared folder of clusters/; rename the file")
            continue
        entry, overlay = (repo / folder for folder in env_folders(env.name))
        if not entry.is_dir():
            lines.append(
                f"{shown(entry)}/: missing: Flux syncs it into the {env.name} cluster "
                f"(make new-env NAME={env.name} FROM=<environment> creates it)"
            )
            continue
        others = {other: env_folders(other) for other in names if other not in (env.name, *SHARED)}
        manifests = [*_manifests(entry), *(_manifests(overlay) if overlay.is_dir() else [])]
        for manifest in manifests:
            documents = _documents(manifest)
            where = shown(manifest)
            for field, written, reference in _references(repo, manifest, documents):
                for other, folders in others.items():
                    if any(_inside(reference, folder) for folder in folders):
                        own = _renamed(reference, other, env.name)
                        lines.append(f"{where}: {field}: {written} belongs to {other}; point it at {own}")
            images = [str(d.get("kind")) for d in documents if str(d.get("apiVersion", "")).startswith(IMAGE_API)]
            if images and not env.platform.flux.image_automation:
                lines.append(
                    f"{where}: {', '.join(images)}: image automation is off in {shown(path)} "
                    "(platform.flux.image_automation), so no controller serves them; remove this file and its "
                    "entry in kustomization.yaml, or turn image automation on"
                )
    return lines


def _manifests(folder: Path) -> list[Path]:
    """The YAML files a build of `folder` reads from the folder itself (shared folders are not followed)."""
    kustomization = next((folder / n for n in KUSTOMIZATION_FILES if (folder / n).is_file()), None)
    if kustomization is None:  # Flux generates one listing every YAML file below
        return sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    found = [kustomization]
    for document in _documents(kustomization):
        for _, entry in _kustomize_entries(document):
            target = folder / entry
            # Below this folder only: a shared or another environment's folder is not its own
            # (the references check names the latter), and `.` would list the folder again.
            if target.resolve() == folder.resolve() or not target.resolve().is_relative_to(folder.resolve()):
                continue
            if target.is_file():
                found.append(target)
            elif target.is_dir():
                found += _manifests(target)
    return found


def _documents(path: Path) -> list[dict[str, Any]]:
    try:
        return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if isinstance(d, dict)]
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []  # the render reports what cannot be read, with its position


def _kustomize_entries(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(field, local path) of every file or folder a kustomize kustomization lists."""
    for field in ("resources", "components"):
        for entry in document.get(field) or []:
            if isinstance(entry, str) and not entry.startswith(REMOTE):
                yield field, entry
    for patch in document.get("patches") or []:
        if isinstance(patch, dict) and isinstance(patch.get("path"), str):
            yield "patches", patch["path"]


def _references(repo: Path, manifest: Path, documents: list[dict[str, Any]]) -> Iterator[tuple[str, str, str]]:
    """(field, as written, repository path) of every file or folder the documents point at."""
    folder = manifest.parent.relative_to(repo).as_posix()
    for document in documents:
        api, kind = str(document.get("apiVersion", "")), document.get("kind")
        spec = document.get("spec") or {}
        metadata = document.get("metadata") or {}
        name = f"{metadata.get('namespace', '')}/{metadata.get('name')}".lstrip("/")
        if api.startswith(FLUX_KUSTOMIZATION) and kind == "Kustomization" and isinstance(spec.get("path"), str):
            yield f"Kustomization {name}: spec.path", spec["path"], spec["path"]
        elif api.startswith(IMAGE_API) and kind == "ImageUpdateAutomation":
            path = (spec.get("update") or {}).get("path")
            if isinstance(path, str):
                yield f"ImageUpdateAutomation {name}: spec.update.path", path, path
        elif manifest.name in KUSTOMIZATION_FILES:
            for field, entry in _kustomize_entries(document):
                yield field, entry, f"{folder}/{entry}"


def _normal(path: str) -> PurePosixPath:
    parts: list[str] = []
    for part in PurePosixPath(path).parts:
        if part == "..":
            parts = parts[:-1]
        elif part not in (".", "/"):
            parts.append(part)
    return PurePosixPath(*parts)


def _inside(reference: str, folder: PurePosixPath) -> bool:
    return _normal(reference).parts[: len(folder.parts)] == folder.parts


def _renamed(reference: str, old: str, new: str) -> str:
    """`reference` with the environment's folder name swapped, in the form the user wrote it."""
    normal = _normal(reference)
    for folder in env_folders(old):
        if normal.parts[: len(folder.parts)] == folder.parts:
            swapped = PurePosixPath(*folder.parts[:-1], new, *normal.parts[len(folder.parts) :])
            return f"./{swapped}" if reference.startswith("./") else str(swapped)
    return reference
