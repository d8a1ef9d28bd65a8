"""Kubernetes' own kinds checked against kubernetes-validate's strict schemas, each compiled once.

kubernetes_validate.validate() reads and parses the kind's schema and the shared
definitions (a few megabytes of JSON) on every call; a render validates a few hundred
objects, so the validator for each (Kubernetes version, apiVersion, kind) is built once
here, from the same schema files, the same version choice and the same registry.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

import jsonschema
import kubernetes_validate
from kubernetes_validate import utils
from referencing import Registry, Resource


def validate(obj: Mapping[str, Any], kubernetes_version: str) -> list[str]:
    """`field.path: message` problems; raises kubernetes_validate.SchemaNotFoundError for a kind it has no schema of."""
    validator = _validator(kubernetes_version, str(obj.get("apiVersion")), str(obj.get("kind")))
    error = jsonschema.exceptions.best_match(validator.iter_errors(dict(obj)))
    if error is None:
        return []
    path = ".".join(str(part) for part in error.absolute_path) or "(object)"
    return [f"{path}: {error.message}"]


@cache
def _validator(kubernetes_version: str, api_version: str, kind: str) -> jsonschema.protocols.Validator:
    wanted = utils.major_minor(kubernetes_version.removeprefix("v"))
    if wanted > utils.latest_version():
        raise kubernetes_validate.VersionNotSupportedError(version=wanted)
    version = [v for v in utils.all_versions() if utils.major_minor(v) <= wanted][-1]
    folder = f"kubernetes-json-schema/v{version}-local-strict"
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)  # rbac.authorization.k8s.io/v1 → rbac-v1
    try:
        schema = utils.schema_contents(f"{folder}/{kind.lower()}-{group_version}.json", wanted)
    except FileNotFoundError:
        raise kubernetes_validate.SchemaNotFoundError(version=wanted, kind=kind, api_version=api_version) from None
    registry: Registry[Any] = Resource.from_contents(schema) @ Registry()
    registry = _definitions(folder, wanted) @ registry
    return jsonschema.Draft202012Validator(schema, registry=registry)


@cache
def _definitions(folder: str, version: str) -> Resource[Any]:
    return Resource.from_contents(utils.schema_contents(f"{folder}/_definitions.json", version))
