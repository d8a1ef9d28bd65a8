"""go-yaml v2's implicit typing of a scalar (resolve.go): YAML 1.1, as Flux reads substituted text.

A plain scalar's type comes from its text: `yes`/`on`/`y` are booleans, `012` is octal,
`1e3` a float, `2024-01-02` a timestamp (kept as text when decoding into interface{}). An
explicit tag the text does not fit is an error. The tables below are resolve.go's, with
Go's strconv rules for the numbers.
"""

from __future__ import annotations

import datetime
import math
import re
from typing import Any

from render.flux_yaml_go import FluxYamlError, GoUint64

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
