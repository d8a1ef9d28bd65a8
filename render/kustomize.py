"""`kustomize build` with Flux's options, through the kustomize or kubectl binary on the PATH.

Flux v2.8 builds with the kustomize API compiled into its controllers (v0.21, kustomize
v5.8); here the binary on the PATH builds (kubectl 1.32 carries kustomize v5.5), so a
kustomize feature newer than that binary fails here although Flux would accept it. Both
run with Flux's options: files may be loaded from outside the kustomization's own folder
(`LoadRestrictionsNone`, fluxcd/pkg kustomize.Build) and no plugins run (the binaries run
none unless asked; Flux disables them). What keeps a build inside the repository is the
copy it runs on (render/kustomization.py), as Flux's secure file system does.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from render.errors import RenderError
from render.flux_yaml import load_document

LOAD_RESTRICTOR = ["--load-restrictor", "LoadRestrictionsNone"]
KUBECTL_FAILURE = re.compile(r'"command failed" err="(?P<error>.*)"$')


def _command(directory: Path) -> list[str]:
    if kustomize := shutil.which("kustomize"):
        return [kustomize, "build", *LOAD_RESTRICTOR, str(directory)]
    if kubectl := shutil.which("kubectl"):
        return [kubectl, "kustomize", *LOAD_RESTRICTOR, str(directory)]
    raise RenderError(["rendering needs kustomize (v5) or kubectl (1.27 or newer) on the PATH"])


def build(directory: Path, shown: str) -> list[dict[str, Any]]:
    """The objects kustomize builds for `directory`, read as Flux reads them."""
    return [load_document(text) for text in build_documents(directory, shown)]


def build_documents(directory: Path, shown: str, *, root: Path | None = None) -> list[str]:
    """The objects kustomize prints for `directory`, one YAML text each, in its order.

    `root` is stripped from error messages, so a build in a temporary copy names the
    repository's paths.
    """
    if not directory.is_dir():
        raise RenderError([f"{shown}: no such directory"])
    result = subprocess.run(  # noqa: S603 - a fixed binary and a directory this render wrote
        _command(directory), capture_output=True, text=True, timeout=120, check=False
    )
    if result.returncode != 0:
        message = _message(result.stderr)
        if root is not None:
            message = message.replace(f"{root.resolve()}/", "").replace(f"{root}/", "")
        raise RenderError([f"{shown}: kustomize build failed: {message}"])
    return split_documents(result.stdout)


def build_with(kustomization: Mapping[str, Any], resources: str, shown: str) -> list[str]:
    """kustomize over `resources` (YAML documents) with `kustomization`'s transformers.

    For Helm post-renderers: helm-controller runs kustomize over the chart's output
    written to `helm-output.yaml`, the only resource of the kustomization it writes.
    """
    with tempfile.TemporaryDirectory(prefix="render-post-") as scratch:
        folder = Path(scratch)
        (folder / "helm-output.yaml").write_text(resources)
        document = {
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "resources": ["helm-output.yaml"],
            **kustomization,
        }
        (folder / "kustomization.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
        return build_documents(folder, shown, root=folder)


def _message(stderr: str) -> str:
    """kustomize's error on one line, without kubectl's log prefix (`E1127 ... "command failed" err="…"`)."""
    message = " ".join(stderr.split())
    if match := KUBECTL_FAILURE.search(message):
        message = match["error"].replace('\\"', '"')
    return message.removeprefix("error: ").removeprefix("Error: ")


def split_documents(text: str) -> list[str]:
    """The documents of kustomize's output (separated by `---` lines), without empty ones."""
    documents: list[str] = []
    current: list[str] = []
    for line in text.splitlines(keepends=True):
        if line.rstrip() == "---":
            documents.append("".join(current))
            current = []
        else:
            current.append(line)
    documents.append("".join(current))
    return [document for document in documents if document.strip()]
