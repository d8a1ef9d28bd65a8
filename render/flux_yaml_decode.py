"""go-yaml v2's decoding of a document's node tree into interface{} (decode.go).

Aliases are decoded afresh at each use (one that contains itself is an error), `<<`
merges fill the map with the earliest source winning, scalars are typed by
render/flux_yaml_resolve.py, and a map keeps its keys' Go types (GoMap) until
render/flux_yaml_json.py makes them JSON strings.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from render.envsubst_runes import go_string
from render.flux_yaml_go import FluxYamlError, GoMap, GoUint64, go_repr
from render.flux_yaml_resolve import BINARY, MERGE, resolve

# ("scalar", (tag, text, plain), None) | ("seq" | "map", children, None) | ("alias", anchor, target)
Node = tuple[str, Any, Any]


def decode(node: Node | None, active: set[int]) -> Any:
    """go-yaml v2 decoding into interface{}: aliases are decoded afresh, merges fill the map."""
    if node is None:
        return None
    kind, payload, target = node
    if kind == "alias":
        if id(node) in active:
            raise FluxYamlError(f"yaml: anchor '{payload}' value contains itself")
        active.add(id(node))
        try:
            return decode(target, active)
        finally:
            active.discard(id(node))
    if kind == "scalar":
        return _scalar(*payload)
    if kind == "seq":
        return [decode(child, active) for child in payload]
    result = GoMap()
    _fill(node, result, active)
    return result


def _fill(node: Node, result: GoMap, active: set[int]) -> None:
    children = node[1]
    for key_node, value_node in zip(children[::2], children[1::2], strict=True):
        if key_node[0] == "scalar" and key_node[1][1] == "<<" and (key_node[1][2] or key_node[1][0] == MERGE):
            _merge(value_node, result, active)
            continue
        key = decode(key_node, active)
        if isinstance(key, (GoMap, list)):
            raise FluxYamlError(f"yaml: invalid map key: {go_repr(key, nested=False)}")
        result[_identity(key)] = (key, decode(value_node, active))


def _merge(node: Node, result: GoMap, active: set[int]) -> None:
    """`<<`: a mapping, an alias of one, or a sequence of those (the earliest one wins)."""
    items = list(reversed(node[1])) if node[0] == "seq" else [node]
    if not all(item[0] == "map" or (item[0] == "alias" and item[2][0] == "map") for item in items):
        raise FluxYamlError("yaml: map merge requires map or sequence of maps as the value")
    for item in items:
        if item[0] == "map":
            _fill(item, result, active)
        elif id(item) in active:
            raise FluxYamlError(f"yaml: anchor '{item[1]}' value contains itself")
        else:
            active.add(id(item))
            _fill(item[2], result, active)
            active.discard(id(item))


def _scalar(tag: str | None, text: str, plain: bool) -> Any:
    if tag is None and not plain:
        return text
    rtag, value = resolve(tag or "", text)
    if rtag == BINARY:
        try:
            return go_string(base64.b64decode(text.replace("\r", "").replace("\n", ""), validate=True))
        except binascii.Error:
            raise FluxYamlError("yaml: !!binary value contains invalid base64 data") from None
    return value


def _identity(key: Any) -> tuple[str, Any]:
    kind = "bool" if isinstance(key, bool) else "uint" if isinstance(key, GoUint64) else type(key).__name__
    return (kind, key)
