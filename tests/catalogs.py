"""The CRD catalogs tests validate against: the real upstream CRDs of the pinned versions."""

from __future__ import annotations

import tarfile
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from render.crds import CrdCatalog, flux_crds, operator_crds
from render.helm import render_chart
from render.upstream_cache import upstream_cache_dir
from stacks.constructs.addons import flux

UPSTREAM = upstream_cache_dir()
FLUX = UPSTREAM / "flux-v2.8.8"
OPERATOR = UPSTREAM / "flux-operator-v0.58.0-crds"
ESO = "external-secrets chart 1.0.0"


def chart_objects(archive: str, values: dict[str, Any], release: str) -> list[dict[str, Any]]:
    """What `helm template` renders from one of the upstream chart archives."""
    with tempfile.TemporaryDirectory() as scratch:
        with tarfile.open(UPSTREAM / "charts" / archive) as tgz:
            tgz.extractall(scratch, filter="data")
        [chart_dir] = Path(scratch).iterdir()
        return render_chart(chart_dir, values, release=release, namespace="flux-system", where=archive)


@cache
def eso_catalog() -> CrdCatalog:
    # The chart's CRDs are Helm templates (templates/crds/, behind installCRDs), so they are rendered.
    objects = chart_objects("external-secrets-1.0.0.tgz", {"installCRDs": True}, "external-secrets")
    return CrdCatalog.from_documents(objects, ESO)


@cache
def flux_catalog(components: tuple[str, ...] = (*flux.CONTROLLERS, *flux.IMAGE_AUTOMATION)) -> CrdCatalog:
    return flux_crds(FLUX, components)


@cache
def full_catalog() -> CrdCatalog:
    """Every Flux controller this project may run, flux-operator and External Secrets."""
    return flux_catalog().merged(operator_crds(OPERATOR)).merged(eso_catalog())
