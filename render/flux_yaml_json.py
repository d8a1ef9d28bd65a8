"""What sigs.k8s.io/yaml and the API machinery make of go-yaml's decoded value (yaml v1.6.0 yaml.go).

YAMLToJSON turns every map key into a string (convertToJSONableObject: a float key as a
float32's shortest text) and json.Marshal refuses NaN and infinities; the API machinery
then reads the JSON back as unstructured data, holding integers as int64 and every other
number as float64.
"""

from __future__ import annotations

import math
import struct
from typing import Any

from render.flux_yaml_go import FluxYamlError, GoMap, GoUint64, go_g, go_repr


def to_json(value: Any) -> Any:
    """sigs.k8s.io/yaml YAMLToJSON after decoding: every key made a string (convertToJSONableObject),
    then json.Marshal, which refuses NaN and infinities (in sorted key order)."""
    converted = _string_keys(value)
    _reject_non_finite(converted)
    return converted


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
