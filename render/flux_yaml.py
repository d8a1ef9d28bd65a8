"""Read one YAML document into the object kustomize-controller holds after post-build substitution.

Flux reads the substituted text with sigs.k8s.io/yaml `YAMLToJSON`: go-yaml v2 decodes it
(YAML 1.1 implicit types: `yes`/`on`/`y` are booleans, `012` is octal, `1e3` a float,
`<<` merges), map keys become strings, and the result is marshalled as JSON; the API
machinery then holds integers as int64 and every other number as float64. PyYAML's
libyaml parser supplies the events (go-yaml v2 is a port of libyaml, so problems are
worded alike); the typing, anchors, merges and JSON rules are go-yaml's and
sigs.k8s.io/yaml's, re-implemented (go-yaml v2.4.3 resolve.go/decode.go, yaml v1.6.0 yaml.go).

This module reads the text into a node tree (go-yaml's reader and parser) and is the
entry point; the steps after it live beside it: render/flux_yaml_decode.py (the tree into
Go values), render/flux_yaml_resolve.py (a scalar's implicit type), render/flux_yaml_json.py
(Go values into JSON, then into unstructured data) and render/flux_yaml_go.py (Go's
types, printing, and FluxYamlError).
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.cyaml import CBaseLoader

from render.flux_yaml_decode import Node, decode
from render.flux_yaml_go import FluxYamlError
from render.flux_yaml_json import to_json, unstructured

__all__ = ["FluxYamlError", "load_document"]


def load_document(text: str) -> dict[str, Any]:
    """The first YAML document of `text` as Flux holds it. An empty document is `{}`
    (JSON null decodes into an empty map); one that is not a mapping fails as kustomize's
    `UnmarshalJSON` does."""
    _reject_invalid_utf8(text)
    value = to_json(decode(_compose(text), set()))
    if value is None:
        return {}
    if not isinstance(value, dict):
        kind = {str: "string", bool: "bool", list: "array"}.get(type(value), "number")
        raise FluxYamlError(
            f"json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}", stage="UnmarshalJSON"
        )
    result: dict[str, Any] = unstructured(value)
    return result


def _compose(text: str) -> Node | None:
    """The first document's node tree (None for an empty stream). An anchor is registered
    before its node's children are read, and a later anchor replaces an earlier one."""
    parser = CBaseLoader(text or "\n")  # go-yaml v2 parses an empty input as one newline
    anchors: dict[str, Node] = {}

    def node() -> Node:
        event = parser.get_event()
        if isinstance(event, yaml.AliasEvent):
            if event.anchor not in anchors:
                raise FluxYamlError(f"yaml: unknown anchor '{event.anchor}' referenced")
            return ("alias", event.anchor, anchors[event.anchor])
        if isinstance(event, yaml.ScalarEvent):
            made: Node = ("scalar", (event.tag, event.value, event.implicit[0]), None)
            if event.anchor is not None:
                anchors[event.anchor] = made
            return made
        if not isinstance(event, yaml.CollectionStartEvent):  # libyaml's grammar rules it out
            raise FluxYamlError(f"yaml: expected a node, got {event}")
        is_map = isinstance(event, yaml.MappingStartEvent)
        made = ("map" if is_map else "seq", [], None)
        if event.anchor is not None:
            anchors[event.anchor] = made
        end = yaml.MappingEndEvent if is_map else yaml.SequenceEndEvent
        while not isinstance(parser.peek_event(), end):
            made[1].append(node())
        parser.get_event()
        return made

    try:
        parser.get_event()
        if isinstance(parser.peek_event(), yaml.StreamEndEvent):
            return None
        parser.get_event()
        root = node()
        parser.get_event()  # go-yaml reads the document's end, so trailing garbage fails too
        return root
    except yaml.MarkedYAMLError as error:
        raise FluxYamlError(_libyaml_message(error)) from None
    except yaml.reader.ReaderError as error:
        raise FluxYamlError(f"yaml: {error.reason}") from None


def _libyaml_message(error: yaml.MarkedYAMLError) -> str:
    """go-yaml v2 (decode.go parser.fail): `yaml: line N: problem`, N the 0-based problem
    line (+1 for scanner errors), else the 0-based context line; no line when that is 0."""
    line = error.context_mark.line if error.context_mark else 0
    if error.problem_mark and error.problem_mark.line:
        line = error.problem_mark.line + (1 if isinstance(error, yaml.scanner.ScannerError) else 0)
    return f"yaml: {f'line {line}: ' if line else ''}{error.problem or 'unknown problem parsing YAML content'}"


def _reject_invalid_utf8(text: str) -> None:
    """Bytes envsubst cut out of a character (kept as surrogate escapes) stop go-yaml's reader."""
    if not any("\ud800" <= char <= "\udfff" for char in text):
        return
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate code point: UTF-8 cannot carry it
        raise FluxYamlError("yaml: invalid Unicode character") from None
    index = 0
    while index < len(raw):
        lead = raw[index]
        width = 1 if lead < 0x80 else 2 if lead >> 5 == 6 else 3 if lead >> 4 == 14 else 4 if lead >> 3 == 30 else 0
        if width == 0:
            raise FluxYamlError("yaml: invalid leading UTF-8 octet")
        if index + width > len(raw):
            raise FluxYamlError("yaml: incomplete UTF-8 octet sequence")
        if any(byte >> 6 != 2 for byte in raw[index + 1 : index + width]):
            raise FluxYamlError("yaml: invalid trailing UTF-8 octet")
        index += width
