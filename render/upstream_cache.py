"""Where the upstream artifacts the render needs are read from: one setting, `UPSTREAM_CACHE`.

The platform releases render with their real charts and every custom resource is checked
against the CRDs its controllers install, so the render needs, for the pinned versions:
- `charts/<chart>-<version>.tgz`: chart archives, as `helm pull` names them (filled by
  `helm pull` where there is a network, see chart_cache.py);
- `flux-v<version>/`: what flux-operator installs for that Flux distribution (every
  controller's CRDs), as in the operator release's `config/data/flux/v<version>/`;
- `flux-operator-v<version>-crds/`: the operator's own CRDs (`config/crd/bases/`).

`UPSTREAM_CACHE` is a path; without it, the read-only artifacts beside this repository
(`../shared/upstream`) when they exist, else `<repo>/.cache/upstream`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from render.errors import RenderError

SETTING = "UPSTREAM_CACHE"
ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "upstream"
LOCAL = ROOT / ".cache" / "upstream"
FLUX_ORIGIN = "config/data/flux/v<version>/ of the flux-operator release that installs it"
OPERATOR_ORIGIN = "config/crd/bases/ of the flux-operator release"


def upstream_cache_dir() -> Path:
    """`UPSTREAM_CACHE`, else the shared upstream artifacts beside this repository, else `.cache/upstream`."""
    configured = os.environ.get(SETTING)
    if configured:
        return Path(configured).expanduser().resolve()
    return SHARED if SHARED.is_dir() else LOCAL


def charts_dir(cache: Path) -> Path:
    return cache / "charts"


def flux_manifests_dir(cache: Path, wanted: str) -> Path:
    """The newest cached Flux distribution that `wanted` (`2.8.8`, `2.8.x`, `2.x`) allows."""
    pattern = re.compile(r"^flux-v" + r"\.".join("[0-9]+" if p in ("x", "*") else re.escape(p) for p in _parts(wanted)))
    found = sorted(
        (path for path in cache.glob("flux-v*") if path.is_dir() and pattern.fullmatch(path.name)),
        key=lambda path: tuple(int(p) for p in path.name.removeprefix("flux-v").split(".")),
    )
    if not found:
        raise RenderError(
            [f"the upstream cache {cache} has no Flux manifests for distribution version {wanted}: put "
             f"{FLUX_ORIGIN} into {cache}/flux-v<version>/ (or set {SETTING})"]
        )  # fmt: skip
    return found[-1]


def operator_crds_dir(cache: Path, version: str) -> Path:
    found = cache / f"flux-operator-v{version}-crds"
    if not found.is_dir():
        raise RenderError(
            [f"the upstream cache {cache} has no CRDs of flux-operator {version}: put {OPERATOR_ORIGIN} "
             f"v{version} into {found} (or set {SETTING})"]
        )  # fmt: skip
    return found


def _parts(wanted: str) -> list[str]:
    parts = wanted.strip().removeprefix("v").split(".")
    if not all(p.isdigit() or p in ("x", "*") for p in parts) or not 1 <= len(parts) <= 3:
        raise RenderError([f"Flux distribution version {wanted!r}: only exact versions and x wildcards render offline"])
    return parts + ["x"] * (3 - len(parts))
