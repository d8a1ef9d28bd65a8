"""What the API server does to a custom resource around schema validation: defaults, list invariants.

Before validating, it drops a null where the schema neither admits null nor has a default,
then fills in every `default` of a field that is absent (or null and not nullable)
(apiextensions-apiserver `pkg/apiserver/schema/defaulting`). Rules that read a defaulted
field see its default, so validation runs on the defaulted copy. After it, lists of
`x-kubernetes-list-type: set` hold no value twice and lists of type `map` no key twice
(`pkg/apiserver/schema/listtype`).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from typing import Any


def defaulted(value: Any, schema: Mapping[str, Any] | None) -> Any:
    """A copy of `value` as the API server stores it: non-nullable nulls without default dropped, defaults set."""
    result = copy.deepcopy(value)
    _prune_nulls(result, schema)
    _default(result, schema)
    return result


def list_problems(value: Any, schema: Mapping[str, Any] | None, path: str) -> list[str]:
    if schema is None:
        return []
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found += list_problems(item, _field_schema(schema, key), f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        found += _duplicates(value, schema, path)
        for index, item in enumerate(value):
            found += list_problems(item, schema.get("items"), f"{path}.{index}")
    return found


def embedded_resources(value: Any, schema: Mapping[str, Any] | None, path: str = "") -> Iterator[tuple[str, Any]]:
    """(path, value) of each `x-kubernetes-embedded-resource` object below the root."""
    if schema is None:
        return
    if path and isinstance(value, dict) and schema.get("x-kubernetes-embedded-resource") is True:
        yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from embedded_resources(item, _field_schema(schema, key), f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from embedded_resources(item, schema.get("items"), f"{path}.{index}")


def _duplicates(items: list[Any], schema: Mapping[str, Any], path: str) -> list[str]:
    kind = schema.get("x-kubernetes-list-type")
    if kind not in ("set", "map"):
        return []
    keys = schema.get("x-kubernetes-list-map-keys", [])
    item_schema = schema.get("items", {})
    seen: set[str] = set()
    found = []
    for index, item in enumerate(items):
        if kind == "set":
            identity: Any = item
        elif isinstance(item, Mapping):
            identity = {key: item.get(key, _default_of(item_schema, key)) for key in keys}
        else:
            continue
        text = json.dumps(identity, sort_keys=True)
        if text in seen:
            found.append(f"{path}.{index}: Duplicate value: {text}")
        seen.add(text)
    return found


def _default_of(item_schema: Mapping[str, Any], key: str) -> Any:
    return item_schema.get("properties", {}).get(key, {}).get("default")


def _field_schema(schema: Mapping[str, Any] | None, key: str) -> Mapping[str, Any] | None:
    if schema is None:
        return None
    properties = schema.get("properties", {})
    if key in properties:
        return properties[key]  # type: ignore[no-any-return]
    additional = schema.get("additionalProperties")
    return additional if isinstance(additional, Mapping) else None


def _non_nullable_null(value: Any, schema: Mapping[str, Any] | None) -> bool:
    return value is None and schema is not None and schema.get("nullable") is not True


def _prune_nulls(value: Any, schema: Mapping[str, Any] | None) -> None:
    if isinstance(value, dict):
        for key in list(value):
            field = _field_schema(schema, key)
            if _non_nullable_null(value[key], field) and field is not None and "default" not in field:
                del value[key]
            else:
                _prune_nulls(value[key], field)
    elif isinstance(value, list):
        for item in value:
            _prune_nulls(item, schema.get("items") if schema else None)


def _default(value: Any, schema: Mapping[str, Any] | None) -> None:
    if schema is None:
        return
    if isinstance(value, dict):
        for key, field in schema.get("properties", {}).items():
            if "default" in field and (key not in value or _non_nullable_null(value[key], field)):
                value[key] = copy.deepcopy(field["default"])
        for key in value:
            field = _field_schema(schema, key)
            if field is not None and "default" in field and _non_nullable_null(value[key], field):
                value[key] = copy.deepcopy(field["default"])
            _default(value[key], field)
    elif isinstance(value, list):
        items = schema.get("items")
        for index, item in enumerate(value):
            if items is not None and "default" in items and _non_nullable_null(item, items):
                value[index] = copy.deepcopy(items["default"])
            _default(value[index], items)
