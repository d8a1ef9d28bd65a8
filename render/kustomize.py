"""`kustomize build`, through the kustomize or kubectl binary found on the PATH."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from render.errors import RenderError


def _command(directory: Path) -> list[str]:
    if kustomize := shutil.which("kustomize"):
        return [kustomize, "build", str(directory)]
    if kubectl := shutil.which("kubectl"):
        return [kubectl, "kustomize", str(directory)]
    raise RenderError(["rendering needs kustomize (v5) or kubectl (1.27 or newer) on the PATH"])


def build(directory: Path, shown: str) -> list[dict[str, Any]]:
    if not directory.is_dir():
        raise RenderError([f"{shown}: no such directory"])
    if not any((directory / name).exists() for name in ("kustomization.yaml", "kustomization.yml", "Kustomization")):
        return load_directory(directory, shown)
    result = subprocess.run(  # noqa: S603 - a fixed binary and a directory of this repository
        _command(directory), capture_output=True, text=True, timeout=120, check=False
    )
    if result.returncode != 0:
        raise RenderError([f"{shown}: kustomize build failed: {result.stderr.strip()}"])
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def load_directory(directory: Path, shown: str) -> list[dict[str, Any]]:
    """Every YAML document under `directory`, as Flux's generated kustomization would apply them."""
    documents: list[dict[str, Any]] = []
    for path in sorted(directory.rglob("*.y*ml")):
        try:
            loaded = [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
        except yaml.YAMLError as error:
            raise RenderError([f"{shown}/{path.relative_to(directory)}: not valid YAML: {error}"]) from None
        documents.extend(loaded)
    return documents
