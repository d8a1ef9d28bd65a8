"""The Go values go-yaml v2 decodes YAML into, Go's printing of them, and the error of reading.

Python has no uint64 and no map whose keys keep their Go type (1, 1.0 and true are one
dict key in Python, three in Go), so both are marked here. Flux's messages quote decoded
values as fmt prints them (%#v, and strconv's shortest %g), so that printing is here too,
with the one error every step of reading raises.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any


class FluxYamlError(Exception):
    """One line, in Flux's words; `stage` is the Go call that failed (YAMLToJSON or UnmarshalJSON)."""

    def __init__(self, message: str, *, stage: str = "YAMLToJSON") -> None:
        super().__init__(message)
        self.stage = stage


class GoUint64(int):
    """An integer go-yaml decodes as uint64 (above the int64 range): another Go type, so another map key."""


class GoMap(dict[tuple[str, Any], tuple[Any, Any]]):
    """A go-yaml `map[interface{}]interface{}`: (Go type, key) → (key, value); 1, 1.0 and true stay apart."""


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
