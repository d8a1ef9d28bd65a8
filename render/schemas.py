"""Validate one object as the API server of its environment would, rejecting unknown fields.

- Kubernetes built-in kinds: kubernetes-validate's strict schemas, for the cluster's
  Kubernetes version.
- Custom resources: the CRDs this environment installs (crds.py), so a version the
  controllers no longer serve, or deprecate, fails here.
An object of any other kind is an error: no installed controller would serve it.
"""

from __future__ import annotations

import tarfile
import tempfile
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate

from render import helm
from render.crds import CrdCatalog, flux_crds, not_served, operator_crds


def validate(obj: Mapping[str, Any], kubernetes_version: str, catalog: CrdCatalog | None = None) -> list[str]:
    """Problems as `field.path: message` (empty when the object is valid)."""
    # TEMPORARY: `catalog=None` stands for every CRD Flux v2.8.8, flux-operator 0.58.0 and
    # the External Secrets chart 1.0.0 define, until render/cluster.py passes the catalog
    # of its environment. Remove the default then.
    catalog = catalog if catalog is not None else _temporary_full_catalog()
    api_version, kind = str(obj.get("apiVersion")), str(obj.get("kind"))
    if catalog.knows(api_version, kind):
        return catalog.validate(obj)
    try:
        kubernetes_validate.validate(dict(obj), kubernetes_version, strict=True)
    except kubernetes_validate.ValidationError as error:
        return [_describe(error)]
    except kubernetes_validate.SchemaNotFoundError:
        return [not_served(api_version, kind)]
    return []


def _describe(error: jsonschema.ValidationError) -> str:
    path = ".".join(str(part) for part in error.absolute_path) or "(object)"
    return f"{path}: {error.message}"


UPSTREAM = Path(__file__).resolve().parent.parent.parent / "shared" / "upstream"


@cache
def _temporary_full_catalog() -> CrdCatalog:
    """TEMPORARY (see `validate`): every CRD of the pinned upstream artifacts."""
    flux_dir = UPSTREAM / "flux-v2.8.8"
    components = sorted(p.stem for p in flux_dir.glob("*.yaml") if p.stem not in ("policies", "rbac"))
    catalog = flux_crds(flux_dir, components).merged(operator_crds(UPSTREAM / "flux-operator-v0.58.0-crds"))
    with tempfile.TemporaryDirectory() as scratch:
        with tarfile.open(UPSTREAM / "charts" / "external-secrets-1.0.0.tgz") as archive:
            archive.extractall(scratch, filter="data")
        objects = helm.render_chart(
            Path(scratch) / "external-secrets",
            {"installCRDs": True},
            release="external-secrets",
            namespace="external-secrets",
            where="external-secrets chart 1.0.0",
        )
    return catalog.merged(CrdCatalog.from_documents(objects, "external-secrets chart 1.0.0"))
