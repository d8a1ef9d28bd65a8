"""Validate one object against its schema, rejecting unknown fields.

- Kubernetes built-in kinds: kubernetes-validate's strict schemas, for the cluster's
  Kubernetes version.
- Flux kinds: JSON schemas generated from the cloudcoil Flux models, made strict.
- External Secrets kinds: external_secrets_schema.py.
An object of any other kind is an error: nothing reaches a cluster unvalidated.
"""

from __future__ import annotations

import inspect
from functools import cache
from typing import Any

import jsonschema
import kubernetes_validate
from cloudcoil.models.fluxcd.helm import v2 as helm_v2
from cloudcoil.models.fluxcd.image import v1beta2 as image_v1beta2
from cloudcoil.models.fluxcd.kustomize import v1 as kustomize_v1
from cloudcoil.models.fluxcd.notification import v1 as notification_v1
from cloudcoil.models.fluxcd.notification import v1beta3 as notification_v1beta3
from cloudcoil.models.fluxcd.source import v1 as source_v1
from cloudcoil.resources import Resource

from render.external_secrets_schema import SCHEMAS as EXTERNAL_SECRETS

FLUX_MODULES = (kustomize_v1, helm_v2, source_v1, notification_v1, notification_v1beta3, image_v1beta2)


def validate(obj: dict[str, Any], kubernetes_version: str) -> list[str]:
    """Problems as `field: message` (empty when the object is valid)."""
    key = (str(obj.get("apiVersion")), str(obj.get("kind")))
    schema = _custom_resource_schemas().get(key)
    if schema is not None:
        return _problems(jsonschema.Draft202012Validator(schema), obj)
    try:
        kubernetes_validate.validate(obj, kubernetes_version, strict=True)
    except kubernetes_validate.ValidationError as error:
        return [_describe(error)]
    except kubernetes_validate.SchemaNotFoundError:
        return [f"no schema for apiVersion {key[0]} kind {key[1]}: add one before using this kind"]
    return []


@cache
def _custom_resource_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    schemas = dict(EXTERNAL_SECRETS)
    for module in FLUX_MODULES:
        for _, model in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(model, Resource)
                and model.__module__ == module.__name__
                and "api_version" in model.model_fields
            ):
                try:
                    group_version = model.gvk()
                except ValueError:
                    continue
                schema = model.model_json_schema(by_alias=True)
                schemas[(group_version.api_version, group_version.kind)] = _strict(schema)
    return schemas


def _strict(schema: Any) -> Any:
    """Every object that lists its properties rejects the ones it does not list."""
    if isinstance(schema, dict):
        strict = {key: _strict(value) for key, value in schema.items()}
        if "properties" in strict and "additionalProperties" not in strict:
            strict["additionalProperties"] = False
        return strict
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    return schema


def _problems(validator: jsonschema.protocols.Validator, obj: dict[str, Any]) -> list[str]:
    # best_match descends into anyOf/oneOf (optional fields) to the error that explains it.
    return sorted(_describe(jsonschema.exceptions.best_match([error])) for error in validator.iter_errors(obj))


def _describe(error: jsonschema.ValidationError) -> str:
    path = ".".join(str(part) for part in error.absolute_path) or "(object)"
    return f"{path}: {error.message}"
