"""A CRD version's openAPIV3Schema as a JSON Schema that rejects what the API server rejects.

The API server validates a custom resource against the CRD's *structural* schema, and with
field validation Strict (kubectl's and Flux's server-side apply) a field the schema does
not declare is an error, not silently dropped. So, following apiextensions-apiserver
(`pkg/apiserver/schema`, `pkg/apiserver/validation`):

- an object lists its fields (`additionalProperties: false`) unless it says
  `x-kubernetes-preserve-unknown-fields: true`;
- `x-kubernetes-int-or-string` is an integer or a string; `nullable` admits null;
- an `x-kubernetes-embedded-resource` has apiVersion, kind and ObjectMeta, like the root;
- OpenAPI v3.0's boolean `exclusiveMinimum`/`exclusiveMaximum` become JSON Schema's numbers;
- a `format` the API server does not check is dropped (crd_formats.py).

Value validations (allOf/anyOf/oneOf/not) only constrain values in the structural schema,
so they are converted without adding field lists of their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from render.crd_formats import known_format

KEYWORDS = {
    "type",
    "enum",
    "required",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "multipleOf",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
}
STRING_MAP = {"type": ["object", "null"], "additionalProperties": {"type": "string"}}
# What a manifest may set in metadata; the rest of ObjectMeta is written by the API server.
# Formats (DNS names, label syntax) are object_meta.py's.
OBJECT_META: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string"},
        "generateName": {"type": "string"},
        "namespace": {"type": "string"},
        "labels": STRING_MAP,
        "annotations": STRING_MAP,
    },
}
TYPE_META = {"apiVersion": {"type": "string"}, "kind": {"type": "string"}}


def to_json_schema(openapi: Mapping[str, Any]) -> dict[str, Any]:
    """The whole resource: the root is an embedded resource whatever the CRD says."""
    return _structural({**openapi, "x-kubernetes-embedded-resource": True}, root=True)


def _structural(node: Mapping[str, Any], *, root: bool = False) -> dict[str, Any]:
    converted = _keywords(node, structural=True)
    preserve = node.get("x-kubernetes-preserve-unknown-fields") is True
    if node.get("x-kubernetes-int-or-string") is True:
        converted["type"] = ["integer", "string"]
    if node.get("x-kubernetes-embedded-resource") is True:
        properties = converted.setdefault("properties", {})
        properties.update(TYPE_META)
        properties["metadata"] = _object_meta(node, root=root)
        converted["type"] = "object"
        if not root:  # the root's apiVersion and kind are checked before its schema is chosen
            converted["required"] = sorted({*converted.get("required", []), "apiVersion", "kind"})
    is_object = converted.get("type") == "object" or "properties" in converted
    if is_object and not preserve and "additionalProperties" not in converted:
        converted["additionalProperties"] = False
    if node.get("nullable") is True:
        _admit_null(converted)
    return converted


def _value_validation(node: Mapping[str, Any]) -> dict[str, Any]:
    return _keywords(node, structural=False)


def _keywords(node: Mapping[str, Any], *, structural: bool) -> dict[str, Any]:
    convert = _structural if structural else _value_validation
    converted: dict[str, Any] = {key: value for key, value in node.items() if key in KEYWORDS}
    if "properties" in node:
        converted["properties"] = {name: convert(sub) for name, sub in node["properties"].items()}
    if isinstance(node.get("items"), Mapping):
        converted["items"] = convert(node["items"])
    if isinstance(node.get("additionalProperties"), Mapping):
        converted["additionalProperties"] = convert(node["additionalProperties"])
    elif "additionalProperties" in node:
        converted["additionalProperties"] = node["additionalProperties"]
    for combinator in ("allOf", "anyOf", "oneOf"):
        if combinator in node:
            converted[combinator] = [_value_validation(sub) for sub in node[combinator]]
    if "not" in node:
        converted["not"] = _value_validation(node["not"])
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        if node.get(exclusive) is True and bound in converted:
            converted[exclusive] = converted.pop(bound)
    if "format" in node and (name := known_format(node.get("type"), str(node["format"]))):
        converted["format"] = name
    return converted


def _object_meta(node: Mapping[str, Any], *, root: bool) -> dict[str, Any]:
    """ObjectMeta, narrowed by what the CRD says of metadata.name and generateName (nothing else is allowed there)."""
    meta = {**OBJECT_META, "properties": dict(OBJECT_META["properties"])}
    declared = node.get("properties", {}).get("metadata", {}).get("properties", {}) if root else {}
    for field in ("name", "generateName"):
        if field in declared:
            meta["properties"][field] = {**_value_validation(declared[field]), "type": "string"}
    return meta


def _admit_null(converted: dict[str, Any]) -> None:
    kinds = converted.get("type")
    if isinstance(kinds, str):
        converted["type"] = [kinds, "null"]
    elif isinstance(kinds, list) and "null" not in kinds:
        converted["type"] = [*kinds, "null"]
    if "enum" in converted and None not in converted["enum"]:
        converted["enum"] = [*converted["enum"], None]
