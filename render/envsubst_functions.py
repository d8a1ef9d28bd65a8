"""envsubst's string functions (fluxcd/pkg/envsubst v1.5.0 funcs.go): what each operator does to a value.

Length, case, substring, replace and prefix/suffix trimming work on the value's UTF-8
bytes as Go's string indexing does, so they take and give bytes; the evaluator
(render/envsubst.py) decodes the result. Trimming matches with the package's own glob
(render/envsubst_glob.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from render.envsubst_glob import BadPatternError, glob
from render.envsubst_runes import go_chunks, go_string
from render.envsubst_syntax import EnvsubstError


def apply(op: str, value: bytes, args: list[bytes]) -> bytes:
    """The operator `op` on `value` with its evaluated arguments; every default form falls through to the last line."""
    if op == "#" and not args:
        return str(len(value)).encode()  # bytes, not characters
    if op in _TRIMS:
        return _trim(value, args, *_TRIMS[op])
    function = _FUNCTIONS.get(op)
    if function is not None:
        return function(value, args)
    return value if value or not args else b"".join(args)  # every default form, and `^,`-like casings


def _case(value: bytes, upper: bool, first_only: bool) -> bytes:
    """unicode.ToUpper/ToLower rune by rune (simple mappings: `ß` stays, `İ` lowers to `i`)."""
    text = value.decode()
    head, tail = (text[:1], text[1:]) if first_only else (text, "")
    return ("".join(_case_rune(char, upper) for char in head) + tail).encode()


def _case_rune(char: str, upper: bool) -> str:
    mapped = char.upper() if upper else char.lower()
    if len(mapped) == 1:
        return mapped
    if not upper:
        return "i" if char == "\u0130" else char
    titled = char.title()  # the Greek letters with ypogegrammeni map to their title case
    return titled if len(titled) == 1 else char


def _substring(value: bytes, args: list[bytes]) -> bytes:
    """`${x:offset}` / `${x:offset:length}`; an offset or length that is not an integer
    leaves the value; a negative length that ends before the offset panics in Go."""
    offset = _atoi(args[0])
    if offset is None:
        return value
    offset = max(len(value) + offset, 0) if offset < 0 else offset
    length = _atoi(args[1]) if len(args) > 1 else len(value)
    if length is None:
        return value
    end = offset + length
    if len(args) == 1 or end >= len(value):
        return value[offset:]
    if end < 0 or end < offset:
        bounds = f"[:{end}]" if end < 0 else f"[{offset}:{end}]"
        raise EnvsubstError(f"runtime error: slice bounds out of range {bounds}", panicked=True)
    return value[offset:end]


def _atoi(raw: bytes) -> int | None:
    text = raw.decode("utf-8", "replace")
    if not re.fullmatch(r"[+-]?[0-9]+", text) or not -(2**63) <= int(text) < 2**63:
        return None
    return int(text)


def _replace(value: bytes, args: list[bytes], count: int) -> bytes:
    if not args:
        return value
    old, new = args[0], (args[1] if len(args) > 1 else b"")
    if old or count == 1:
        return value.replace(old, new, count)
    return new + b"".join(chunk + new for chunk in go_chunks(value))  # empty pattern: between runes


def _replace_prefix(value: bytes, args: list[bytes]) -> bytes:
    if len(args) != 2 or not value.startswith(args[0]):
        return value  # `${x/#p}` without a replacement changes nothing
    return args[1] + value[len(args[0]) :]


def _replace_suffix(value: bytes, args: list[bytes]) -> bytes:
    if len(args) != 2 or not value.endswith(args[0]):
        return value
    return value[: len(value) - len(args[0])] + args[1]


_FUNCTIONS: dict[str, Callable[[bytes, list[bytes]], bytes]] = {
    ",": lambda value, _: _case(value, upper=False, first_only=True),
    ",,": lambda value, _: _case(value, upper=False, first_only=False),
    "^": lambda value, _: _case(value, upper=True, first_only=True),
    "^^": lambda value, _: _case(value, upper=True, first_only=False),
    ":": _substring,
    "/": lambda value, args: _replace(value, args, 1),
    "//": lambda value, args: _replace(value, args, -1),
    "/#": _replace_prefix,
    "/%": _replace_suffix,
}
_TRIMS = {"#": (False, False), "##": (True, False), "%": (False, True), "%%": (True, True)}


def _trim(value: bytes, args: list[bytes], longest: bool, suffix: bool) -> bytes:
    """Remove the shortest/longest prefix matching the glob; suffixes work on the rune-reversed
    value and pattern. Prefixes are tried on byte boundaries, never empty; a bad pattern changes nothing."""
    if not args:
        return value
    subject, pattern = (_reverse(value), _reverse(args[0])) if suffix else (value, args[0])
    cut = 0
    for end in range(len(subject), 0, -1):
        try:
            if glob(pattern, subject[:end]):
                cut = end
                if longest:
                    break
        except BadPatternError:
            return value
    if not cut:
        return value
    return _reverse(subject[cut:]) if suffix else subject[cut:]


def _reverse(raw: bytes) -> bytes:
    return go_string(raw)[::-1].encode()
