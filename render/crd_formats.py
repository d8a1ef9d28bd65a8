"""The string formats the API server checks in custom resources, and only those.

The list and each check follow kube-openapi's `strfmt` registry and apiextensions-apiserver
`pkg/apiserver/validation/formats.go` (supported formats; a name is normalised by dropping
`-`, so `date-time` is `datetime`). A format the API server does not know is not checked
there, so `known_format` lets the schema conversion drop it rather than invent a rule.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import ipaddress
import re
from collections.abc import Callable
from email.utils import parseaddr

import jsonschema

_UUID = r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?%s[0-9a-f]{3}-?%s[0-9a-f]{3}-?[0-9a-f]{12}$"
_RGB_PART = r"\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*"
_CREDIT_CARD = re.compile(
    r"^(?:4[0-9]{12}(?:[0-9]{3})?|5[1-5][0-9]{14}|(222[1-9]|22[3-9][0-9]|2[3-6][0-9]{2}|27[01][0-9]|2720)[0-9]{12}"
    r"|6(?:011|5[0-9][0-9])[0-9]{12}|3[47][0-9]{13}|3(?:0[0-5]|[68][0-9])[0-9]{11}|(?:2131|1800|35\d{3})\d{11}"
    r"|6[27][0-9]{14})$"
)
# kube-openapi's hostname pattern. Python's re has no \p{L} or \p{S}: the ASCII symbols
# (category S) are spelled out, and `_hostname` stands every non-ASCII character for a letter.
_SYMBOLS = r"$+<=>^`|~"
_CHAR = rf"[a-zA-Z0-9{_SYMBOLS}\u0080]"
_HOSTNAME = re.compile(
    rf"^({_CHAR}((-?{_CHAR}{{0,62}})?)|({_CHAR}(([a-zA-Z0-9\-{_SYMBOLS}\u0080]{{0,61}}{_CHAR})?)(\.)){{1,}}"
    r"([a-zA-Z\u0080]){2,63})$"
)
_GO_DURATION = re.compile(r"^[-+]?(0|((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+)$")
_SCALA_DURATION = re.compile(r"(\d+)\s*([A-Za-zµ]+)")
_DURATION_UNITS: tuple[tuple[str, ...], ...] = (
    ("ns", "nano"),
    ("us", "µs", "micro"),
    ("ms", "milli"),
    ("s", "sec"),
    ("m", "min"),
    ("h", "hr", "hour"),
    ("d", "day"),
    ("w", "wk", "week"),
)
_TIME_OF_DAY = re.compile(r"^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$")
_MAC = re.compile(
    r"^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$|^([0-9a-fA-F]{2}[:-]){7}[0-9a-fA-F]{2}$"
    r"|^([0-9a-fA-F]{2}[:-]){19}[0-9a-fA-F]{2}$|^([0-9a-fA-F]{4}\.){2,9}[0-9a-fA-F]{4}$"
)
_SHORT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LONG_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def _matches(pattern: str | re.Pattern[str]) -> Callable[[str], bool]:
    compiled = re.compile(pattern)
    return lambda value: compiled.search(value) is not None


def _date(value: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _datetime(value: str) -> bool:
    parts = value.lower().split("t")
    if len(value) < 4 or len(parts) < 2 or not _date(parts[0]):
        return False
    clock = _TIME_OF_DAY.match(parts[1])
    return clock is not None and clock[1] <= "23" and clock[2] <= "59" and clock[3] <= "59"


def _duration(value: str) -> bool:
    """Go's time.ParseDuration, else the loose Scala-like form kube-openapi also accepts."""
    if _GO_DURATION.match(value):
        return True
    for _, unit in _SCALA_DURATION.findall(value):
        unit = unit.lower()
        for variants in _DURATION_UNITS:
            if any(unit == variant.lower() for variant in variants) or unit.startswith(variants[-1]):
                return True
    return False


def _ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """Go's net.ParseIP, tolerating leading zeros in IPv4 as Kubernetes' ParseIPSloppy does."""
    if ":" not in value:
        octets = value.split(".")
        if len(octets) == 4 and all(o.isdigit() and o.isascii() and int(o) <= 255 for o in octets):
            return ipaddress.IPv4Address(".".join(str(int(o)) for o in octets))
        return None
    try:
        return ipaddress.IPv6Address(value)
    except ValueError:
        return None


def _cidr(value: str) -> bool:
    address, _, prefix = value.partition("/")
    ip = _ip(address)
    return ip is not None and prefix.isdigit() and int(prefix) <= ip.max_prefixlen


def _hostname(value: str) -> bool:
    ascii_form = "".join(c if c.isascii() else "\u0080" for c in value)
    return bool(_HOSTNAME.match(ascii_form)) and len(value) <= 255 and all(len(p) <= 63 for p in value.split("."))


def _base64(value: str) -> bool:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return value != ""


def _isbn(value: str, version: int) -> bool:
    digits = re.sub(r"[\s-]", "", value)
    if version == 10 and re.fullmatch(r"[0-9]{9}X|[0-9]{10}", digits):
        weights = sum((i + 1) * int(d) for i, d in enumerate(digits[:9]))
        return (weights + 10 * (10 if digits[9] == "X" else int(digits[9]))) % 11 == 0
    if version == 13 and re.fullmatch(r"[0-9]{13}", digits):
        weights = sum((1, 3)[i % 2] * int(d) for i, d in enumerate(digits[:12]))
        return int(digits[12]) == (10 - weights % 10) % 10
    return False


def _credit_card(value: str) -> bool:
    digits = re.sub(r"[\s-]", "", value)
    if not _CREDIT_CARD.match(digits):
        return False
    total = 0
    for position, digit in enumerate(int(d) for d in reversed(digits)):
        doubled = digit * 2 if position % 2 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return total % 10 == 0


def _request_uri(value: str) -> bool:
    """Go's url.ParseRequestURI: an absolute URI or an absolute path, no fragment-only form."""
    return bool(re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*:|/)", value)) and " " not in value


CHECKS: dict[str, Callable[[str], bool]] = {
    "bsonobjectid": _matches(r"^[0-9a-fA-F]{24}$"),
    "uri": _request_uri,
    "email": lambda value: "@" in parseaddr(value)[1],
    "hostname": _hostname,
    "ipv4": lambda value: "." in value and _ip(value) is not None,
    "ipv6": lambda value: ":" in value and _ip(value) is not None,
    "cidr": _cidr,
    "mac": _matches(_MAC),
    "uuid": _matches(r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$"),
    "uuid3": _matches(_UUID % ("3", "[0-9a-f]")),
    "uuid4": _matches(_UUID % ("4", "[89ab]")),
    "uuid5": _matches(_UUID % ("5", "[89ab]")),
    "isbn": lambda value: _isbn(value, 10) or _isbn(value, 13),
    "isbn10": lambda value: _isbn(value, 10),
    "isbn13": lambda value: _isbn(value, 13),
    "creditcard": _credit_card,
    "ssn": lambda value: len(value) == 11 and re.match(r"^\d{3}[- ]?\d{2}[- ]?\d{4}$", value) is not None,
    "hexcolor": _matches(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$"),
    "rgbcolor": _matches(rf"^rgb\({_RGB_PART},{_RGB_PART},{_RGB_PART}\)$"),
    "byte": _base64,
    "password": lambda value: True,
    "date": _date,
    "duration": _duration,
    "datetime": _datetime,
    # Since Kubernetes 1.34 (every environment here runs a newer one).
    "k8s-short-name": lambda value: len(value) <= 63 and _SHORT_NAME.match(value) is not None,
    "k8s-long-name": lambda value: len(value) <= 253 and _LONG_NAME.match(value) is not None,
}
_BY_NORMALISED_NAME = {name.replace("-", ""): name for name in CHECKS}


def known_format(schema_type: object, format_name: str) -> str | None:
    """The registry name of a string format the API server checks, else None (it ignores the format)."""
    if schema_type not in (None, "string"):
        return None
    return _BY_NORMALISED_NAME.get(format_name.replace("-", ""))


def format_checker() -> jsonschema.FormatChecker:
    """A checker for exactly these formats; a non-string value is the `type` keyword's business."""
    checker = jsonschema.FormatChecker(formats=())
    for name, check in CHECKS.items():
        checker.checks(name)(_on_strings(check))
    return checker


def _on_strings(check: Callable[[str], bool]) -> Callable[[object], bool]:
    return lambda value: not isinstance(value, str) or check(value)
