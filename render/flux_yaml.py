"""Read one YAML document into the object kustomize-controller holds after post-build substitution.

Flux reads the substituted text with sigs.k8s.io/yaml `YAMLToJSON`: go-yaml v2 decodes it
(YAML 1.1 implicit types: `yes`/`on`/`y` are booleans, `012` is octal, `1e3` a float,
`<<` merges), map keys become strings, and the result is marshalled as JSON; the API
machinery then holds integers as int64 and every other number as float64. PyYAML's
libyaml parser supplies the events (go-yaml v2 is a port of libyaml, so problems are
worded alike); the typing, anchors, merges and JSON rules below are go-yaml's and
sigs.k8s.io/yaml's, re-implemented (go-yaml v2.4.3 resolve.go/decode.go, yaml v1.6.0 yaml.go).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import math
import re
import struct
from collections.abc import Callable
from typing import Any

import yaml
from yaml.cyaml import CBaseLoader

from render.envsubst import go_string

TAG = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL, TIMESTAMP, BINARY, MERGE = (
    TAG + name for name in ("str", "int", "float", "bool", "null", "timestamp", "binary", "merge")
)
RESOLVABLE = {"", STR, BOOL, INT, FLOAT, NULL, TIMESTAMP}
HINTS = {**dict.fromkeys("+-", "S"), **dict.fromkeys("0123456789", "D"), **dict.fromkeys("yYnNtTfFoO~", "M"), ".": "."}
WORDS: dict[str, tuple[str, Any]] = {
    **dict.fromkeys(("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), (BOOL, True)),
    **dict.fromkeys(("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), (BOOL, False)),
    **{w: (NULL, None) for w in ("", "~", "null", "Null", "NULL")},
    **{w: (FLOAT, math.nan) for w in (".nan", ".NaN", ".NAN")},
    **{s + w: (FLOAT, math.inf) for s in ("", "+") for w in (".inf", ".Inf", ".INF")},
    **{"-" + w: (FLOAT, -math.inf) for w in (".inf", ".Inf", ".INF")},
}
GO_INT = re.compile(r"([+-]?)(?:0[xX]([0-9a-fA-F]+)|0[oO]([0-7]+)|0[bB]([01]+)|0([0-7]*)|([1-9][0-9]*))")
YAML_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
CLOCK = r"\d\d?:\d\d?:\d\d?(?:\.\d+)?"  # go-yaml v2's timestamp layouts, read by Go's time.Parse
TIMESTAMP_FORM = re.compile(rf"(\d{{4}})-(\d\d?)-(\d\d?)(?:[Tt]{CLOCK}(?:Z|[+-]\d\d:\d\d)| {CLOCK})?")
# ("scalar", (tag, text, plain), None) | ("seq" | "map", children, None) | ("alias", anchor, target)
Node = tuple[str, Any, Any]


class FluxYamlError(Exception):
    """One line, in Flux's words; `stage` is the Go call that failed (YAMLToJSON or UnmarshalJSON)."""

    def __init__(self, message: str, *, stage: str = "YAMLToJSON") -> None:
        super().__init__(message)
        self.stage = stage


class GoUint64(int):
    """An integer go-yaml decodes as uint64 (above the int64 range): another Go type, so another map key."""


class GoMap(dict[tuple[str, Any], tuple[Any, Any]]):
    """A go-yaml `map[interface{}]interface{}`: (Go type, key) → (key, value); 1, 1.0 and true stay apart."""


def load_document(text: str) -> dict[str, Any]:
    """The first YAML document of `text` as Flux holds it. An empty document is `{}`
    (JSON null decodes into an empty map); one that is not a mapping fails as kustomize's
    `UnmarshalJSON` does."""
    _reject_invalid_utf8(text)
    value = to_json(_decode(_compose(text), set()))
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


def _decode(node: Node | None, active: set[int]) -> Any:
    """go-yaml v2 decoding into interface{}: aliases are decoded afresh, merges fill the map."""
    if node is None:
        return None
    kind, payload, target = node
    if kind == "alias":
        if id(node) in active:
            raise FluxYamlError(f"yaml: anchor '{payload}' value contains itself")
        active.add(id(node))
        try:
            return _decode(target, active)
        finally:
            active.discard(id(node))
    if kind == "scalar":
        return _scalar(*payload)
    if kind == "seq":
        return [_decode(child, active) for child in payload]
    result = GoMap()
    _fill(node, result, active)
    return result


def _fill(node: Node, result: GoMap, active: set[int]) -> None:
    children = node[1]
    for key_node, value_node in zip(children[::2], children[1::2], strict=True):
        if key_node[0] == "scalar" and key_node[1][1] == "<<" and (key_node[1][2] or key_node[1][0] == MERGE):
            _merge(value_node, result, active)
            continue
        key = _decode(key_node, active)
        if isinstance(key, (GoMap, list)):
            raise FluxYamlError(f"yaml: invalid map key: {go_repr(key, nested=False)}")
        result[_identity(key)] = (key, _decode(value_node, active))


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


def resolve(tag: str, text: str) -> tuple[str, Any]:
    """go-yaml v2 `resolve`: the tag and value of a scalar; an explicit tag the text does not fit is an error."""
    if tag not in RESOLVABLE:
        return tag, text
    rtag, value = _implicit(tag, text)
    if tag in ("", rtag, STR):
        return rtag, value
    if tag == FLOAT and rtag == INT:
        return FLOAT, float(value)
    short = {t: "!!" + t.removeprefix(TAG) for t in (rtag, tag)}
    raise FluxYamlError(f"yaml: cannot decode {short[rtag]} `{text}` as a {short[tag]}")


def _implicit(tag: str, text: str) -> tuple[str, Any]:
    hint = HINTS.get(text[:1], "") if text else "N"
    if not hint or tag == STR:
        return STR, text
    if text in WORDS:
        return WORDS[text]
    if hint == "." and re.fullmatch(r"\.[0-9]+([eE][-+]?[0-9]+)?", text) and math.isfinite(float(text)):
        return FLOAT, float(text)
    if hint in "DS":
        if tag in ("", TIMESTAMP) and _is_timestamp(text):
            return TIMESTAMP, text  # into interface{} go-yaml v2 keeps a timestamp's text
        plain = text.replace("_", "")
        number = _go_int(plain)
        if number is not None:
            return INT, number
        if YAML_FLOAT.fullmatch(plain) and math.isfinite(float(plain)):  # Go's ParseFloat fails on overflow
            return FLOAT, float(plain)
    return STR, text


def _go_int(plain: str) -> int | None:
    """strconv.ParseInt(plain, 0, 64), else ParseUint(plain, 0, 64) (no sign), else None."""
    match = GO_INT.fullmatch(plain)
    if not match:
        return None
    sign, hexa, octal, binary, old_octal, decimal = match.groups()
    bases = ((hexa, 16), (octal, 8), (binary, 2), (old_octal, 8), (decimal, 10))
    magnitude = next(int(digits or "0", base) for digits, base in bases if digits is not None)
    value = -magnitude if sign == "-" else magnitude
    if -(2**63) <= value < 2**63:
        return value
    return GoUint64(value) if not sign and value < 2**64 else None


def _is_timestamp(text: str) -> bool:
    match = TIMESTAMP_FORM.fullmatch(text)
    if not match:
        return False
    try:
        datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        return False
    return True


def _identity(key: Any) -> tuple[str, Any]:
    kind = "bool" if isinstance(key, bool) else "uint" if isinstance(key, GoUint64) else type(key).__name__
    return (kind, key)


def to_json(value: Any) -> Any:
    """sigs.k8s.io/yaml YAMLToJSON after decoding: every key made a string (convertToJSONableObject),
    then json.Marshal, which refuses NaN and infinities (in sorted key order)."""
    converted = _string_keys(value)
    _reject_non_finite(converted)
    return converted


def _string_keys(value: Any) -> Any:
    if isinstance(value, GoMap):
        converted = {_json_key(key, item): _string_keys(item) for key, item in value.values()}
        return dict(sorted(converted.items()))
    if isinstance(value, list):
        return [_string_keys(item) for item in value]
    return value


def _reject_non_finite(value: Any) -> None:
    for item in value.values() if isinstance(value, dict) else value if isinstance(value, list) else ():
        _reject_non_finite(item)
    if isinstance(value, float) and not math.isfinite(value):
        name = "NaN" if math.isnan(value) else "+Inf" if value > 0 else "-Inf"
        raise FluxYamlError(f"json: unsupported value: {name}")


def _json_key(key: Any, value: Any) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int) and not isinstance(key, GoUint64):
        return str(key)
    if isinstance(key, float):
        return _float32_text(key)
    kind = "uint64" if isinstance(key, GoUint64) else "%!s(<nil>)"
    shown = f"key: {go_repr(key, nested=False)}, value: {go_repr(value, nested=False)}"
    raise FluxYamlError(f"unsupported map key of type: {kind}, {shown}")


def _float32_text(value: float) -> str:
    """strconv.FormatFloat(value, 'g', -1, 32), with YAML's names for infinity and NaN."""
    try:
        single: float = struct.unpack("f", struct.pack("f", value))[0]
    except OverflowError:
        single = math.copysign(math.inf, value)
    if not math.isfinite(single):
        return ".nan" if math.isnan(single) else ".inf" if single > 0 else "-.inf"
    return go_g(single, lambda text: struct.unpack("f", struct.pack("f", float(text)))[0] == single)


def go_g(value: float, round_trips: Callable[[str], bool]) -> str:
    """Go's shortest %g: the fewest digits that read back as `value`, %e below 1e-4 or from 1e6."""
    if value == 0:
        return "-0" if math.copysign(1, value) < 0 else "0"
    text = next(t for t in (f"{value:.{p}e}" for p in range(17)) if round_trips(t))
    mantissa, exponent = text.split("e")
    digits, point = mantissa.lstrip("-").replace(".", "").rstrip("0"), int(exponent)
    sign = "-" if value < 0 else ""
    if point < -4 or point >= 6:
        fraction = "." + digits[1:] if digits[1:] else ""
        return f"{sign}{digits[0]}{fraction}e{'-' if point < 0 else '+'}{abs(point):02d}"
    if point < 0:
        return f"{sign}0.{'0' * (-point - 1)}{digits}"
    fraction = "." + digits[point + 1 :] if digits[point + 1 :] else ""
    return f"{sign}{digits[: point + 1].ljust(point + 1, '0')}{fraction}"


def unstructured(value: Any) -> Any:
    """apimachinery's JSON decoding: an integer JSON number that fits int64 is an int, any other number a float."""
    if isinstance(value, dict):
        return {key: unstructured(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unstructured(item) for item in value]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    if isinstance(value, float) and not (value.is_integer() and abs(value) < 1e21):
        return value  # Go prints it with a fraction or an exponent
    return int(value) if -(2**63) <= value < 2**63 else float(value)


def go_repr(value: Any, *, nested: bool) -> str:
    """fmt's %#v of a decoded value, for go-yaml's and sigs.k8s.io/yaml's key errors."""
    if value is None:
        return "interface {}(nil)" if nested else "<nil>"
    if isinstance(value, GoMap):
        items = ", ".join(f"{go_repr(k, nested=True)}:{go_repr(v, nested=True)}" for k, v in value.values())
        return f"map[interface {{}}]interface {{}}{{{items}}}"
    if isinstance(value, list):
        return "[]interface {}{" + ", ".join(go_repr(item, nested=True) for item in value) + "}"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, GoUint64):
        return hex(value)
    return repr(value) if isinstance(value, int) else go_g(value, lambda text: float(text) == value)


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
