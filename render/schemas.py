"""Validate one object as the API server of its environment would, rejecting unknown fields.

- Kubernetes built-in kinds: kubernetes-validate's strict schemas, for the cluster's
  Kubernetes version.
- Custom resources: the CRDs this environment installs (crds.py), so a version the
  controllers no longer serve, or deprecate, fails here.
An object of any other kind is an error: no installed controller would serve it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import kubernetes_validate

from render import builtin_schemas
from render.crds import CrdCatalog, not_served


def validate(obj: Mapping[str, Any], kubernetes_version: str, catalog: CrdCatalog) -> list[str]:
    """Problems as `field.path: message` (empty when the object is valid)."""
    api_version, kind = str(obj.get("apiVersion")), str(obj.get("kind"))
    if catalog.knows(api_version, kind):
        return catalog.validate(obj)
    try:
        return builtin_schemas.validate(obj, kubernetes_version)
    except kubernetes_validate.SchemaNotFoundError:
        return [not_served(api_version, kind)]
