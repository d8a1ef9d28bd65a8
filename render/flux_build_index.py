"""What `prepare` hands on to `build` and `compare`: one Build per flux build, listed in builds.json.

The index is the only link between the three steps of the flux build check
(render/flux_build_check.py), which run in different jobs: prepare writes it beside the
input Kustomizations, build and compare read it back. Standard library only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

INDEX = "builds.json"


@dataclass(frozen=True)
class Build:
    """One `flux build kustomization`: which Kustomization, built from which folder."""

    environment: str
    namespace: str
    name: str
    path: str  # relative to the repository root

    def __str__(self) -> str:
        return f"{self.environment}: Kustomization {self.namespace}/{self.name}"

    @property
    def input(self) -> str:
        return f"{self.environment}/{self.namespace}.{self.name}.kustomization.yaml"

    @property
    def output(self) -> str:
        return f"{self.environment}/{self.namespace}.{self.name}.built.yaml"


def read_index(builds: Path) -> list[Build]:
    try:
        return [Build(**entry) for entry in json.loads((builds / INDEX).read_text())]
    except (OSError, ValueError, TypeError) as error:
        raise SystemExit(f"{builds / INDEX}: not an index written by `prepare`: {error}") from None
