"""The offline render's files read back, for the flux build check: each object and who applied it.

Every file of rendered/<env>/ is one object after a `# from <source>` line. The source
says which Flux Kustomization the render attributes the object to, so `prepare` knows
which Kustomizations to build and `compare` which objects each build must make.
Standard library and PyYAML only: `compare` runs without the project's dependencies.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from render.fast_yaml import LOADER

# namespace and name of the Kustomization the FluxInstance syncs clusters/<env> with
ENTRY = ("flux-system", "flux-system")
HEADER = re.compile(r"# from (?P<source>.+)")
# render/cluster.py's label for what a Kustomization applied: `<path> (Kustomization [<namespace>/]<name>)`,
# the namespace left out when it is flux-system.
FROM_KUSTOMIZATION = re.compile(r"\S+ \(Kustomization (?:(?P<namespace>[^/()\s]+)/)?(?P<name>[^/()\s]+)\)")
Identity = tuple[str, str, str]  # kind, namespace, name


@dataclass(frozen=True)
class RenderedFile:
    file: Path
    source: str
    body: dict[str, Any]


def applier(source: str, environment: str) -> tuple[str, str] | None:
    """The Flux Kustomization (namespace, name) the render says applied an object, from its
    `# from` line; None for what a HelmRelease or a platform release made."""
    if source == f"clusters/{environment}":
        return ENTRY
    match = FROM_KUSTOMIZATION.fullmatch(source)
    return (match["namespace"] or ENTRY[0], match["name"]) if match else None


def identity(body: Mapping[str, Any]) -> Identity:
    metadata = body.get("metadata") or {}
    return (str(body.get("kind")), str(metadata.get("namespace", "")), str(metadata.get("name")))


def read_rendered(directory: Path) -> tuple[list[RenderedFile], list[str]]:
    files, problems = [], []
    for path in sorted(directory.rglob("*.yaml")):
        text = path.read_text()
        header = HEADER.fullmatch(text.partition("\n")[0])
        try:
            body = yaml.load(text, Loader=LOADER)  # noqa: S506 - a safe loader (render/fast_yaml.py)
        except yaml.YAMLError as error:
            problems.append(f"{path}: not valid YAML: {' '.join(str(error).split())}")
            continue
        if header is None or not isinstance(body, dict):
            problems.append(f"{path}: not a rendered object (one object after a '# from <source>' line)")
            continue
        files.append(RenderedFile(path, header["source"], body))
    return files, problems
