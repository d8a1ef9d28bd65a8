"""Flux's envsubst language (fluxcd/pkg/envsubst v1.5.0, used by kustomize-controller v1.8): parse and evaluate.

Only `${…}` expands (a bare `$VAR` is text). `$$` is one `$` in text and in replace
arguments (where `\\/` and `\\\\` escape too), but stays `$$` in defaults and other
arguments. Every default form (`=`, `:=`, `:-`, and `:?`/`:+`, which the parser accepts
and treats alike) applies when the value is empty or unset; `${x-d}` and `${x+d}` do not
parse. String functions work on the UTF-8 bytes as Go does, so a cut through a character
leaves bytes that are not UTF-8 (kept as surrogate escapes). Strictness is the mapper's:
in strict mode only a plain `${x}` of an unset variable fails. The parser and evaluator
are written from the package's behaviour (parse/parse.go, parse/scan.go, template.go,
funcs.go, path/match.go); the docstrings below name the quirks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

BAD = "bad substitution"
NO_BRACE = "missing closing brace"
NO_NAME = "unable to parse variable name"
NO_ARGUMENT = "unable to parse substitution within function"


class EnvsubstError(Exception):
    """The package's error text; `panicked` when Go would have panicked (kustomize-controller recovers)."""

    def __init__(self, message: str, *, panicked: bool = False) -> None:
        super().__init__(message)
        self.panicked = panicked


@dataclass(frozen=True)
class Expansion:
    """`${param<op>args}`: op "" is a plain `${param}`; each argument is one text or one expansion."""

    param: str
    op: str
    args: tuple[Node, ...] = ()


Node = str | Expansion


def evaluate(text: str, values: Mapping[str, str], *, strict: bool) -> str:
    """`text` with every expansion replaced, as kustomize's varSubstitution calls envsubst.Eval."""

    def lookup(name: str) -> tuple[str, bool]:
        return (values[name], True) if name in values else ("", not strict)

    out = b"".join(_evaluate(node, lookup) for node in parse(text))
    return out.decode("utf-8", "surrogateescape")


def parse(text: str) -> tuple[Node, ...]:
    """The template's nodes. A NUL reads as the end of input, as in the package's scanner."""
    return _Parser(text.split("\0", 1)[0]).template()


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def peek(self, ahead: int = 0) -> str:
        return self.text[self.pos + ahead : self.pos + ahead + 1]

    def at_expansion(self) -> bool:
        return self.text.startswith("${", self.pos)

    def run(self, accept: Callable[[str], bool], limit: int = -1) -> str:
        start = self.pos
        while self.peek() and accept(self.peek()) and self.pos - start != limit:
            self.pos += 1
        return self.text[start : self.pos]

    def close(self) -> None:
        if self.peek() != "}":
            raise EnvsubstError(BAD)
        self.pos += 1

    def template(self) -> tuple[Node, ...]:
        nodes: list[Node] = []
        chars: list[str] = []
        while self.pos < len(self.text):
            if self.at_expansion():
                nodes += ["".join(chars)] if chars else []
                chars = []
                self.pos += 2
                nodes.append(self.expansion())
            elif self.text.startswith("$$", self.pos):
                chars.append("$")
                self.pos += 2
            else:
                chars.append(self.text[self.pos])
                self.pos += 1
        return (*nodes, "".join(chars)) if chars else tuple(nodes)

    def expansion(self) -> Expansion:
        """After `${`: the name (letters, digits, `_`, Unicode included), then the operator."""
        if self.peek() == "#":
            self.pos += 1
            name = self.run(_is_name_char)
            if not name:
                raise EnvsubstError(BAD)
            self.close()
            return Expansion(name, "#")
        name = self.run(_is_name_char)
        if not name:
            raise EnvsubstError(NO_NAME)
        follow = self.peek()
        if follow == "}":
            self.pos += 1
            return Expansion(name, "")
        if follow == ":":
            return self.colon(name)
        if follow == "=":
            return self.default(name, "=")
        if follow in (",", "^"):
            op = self.run(lambda char: char in ",^", limit=2)
            self.close()
            return Expansion(name, op)
        if follow == "/":
            return self.replace(name)
        if follow in ("#", "%"):
            op = self.run(lambda char: char == follow, limit=2)
            pattern = self.argument("}", escapes=False)
            self.close()
            return Expansion(name, op, (pattern,))
        raise EnvsubstError(NO_BRACE)  # `${x-d}`, `${x+d}`, `${x y}`, `${x` …

    def colon(self, name: str) -> Expansion:
        """`:=`/`:-`/`:?`/`:+` are defaults, anything else a substring. The scanner steps back
        by the width of the character after `:`, so a non-ASCII one (or the end) fails."""
        after = self.peek(1)
        if after in ("=", "-", "?", "+"):
            return self.default(name, ":" + after)
        if not after or not after.isascii():
            raise EnvsubstError(BAD)
        self.pos += 1
        offset = self.argument(":}", escapes=False)
        if self.peek() == "}":
            self.pos += 1
            return Expansion(name, ":", (offset,))
        if self.peek() != ":":
            raise EnvsubstError(BAD)
        self.run(lambda char: char == ":")
        length = self.argument("}", escapes=False)
        self.close()
        return Expansion(name, ":", (offset, length))

    def default(self, name: str, op: str) -> Expansion:
        """Arguments until `}`: texts and nested expansions, joined when used."""
        self.pos += len(op)
        args: list[Node] = []
        while self.peek() != "}":
            args.append(self.argument("}", escapes=False))
        self.pos += 1
        return Expansion(name, op, tuple(args))

    def replace(self, name: str) -> Expansion:
        """`/`, `//`, `/#`, `/%`; the pattern runs to the next `/` (a `}` included), `\\/`,
        `\\\\` and `$$` escape; a run of `/` separates; no replacement means an empty one."""
        self.pos += 1
        op = "/" + (self.peek() if self.peek() in ("/", "#", "%") else "")
        self.pos += len(op) - 1
        pattern = self.argument("/", escapes=True)
        if self.peek() != "/":
            raise EnvsubstError(BAD)
        self.run(lambda char: char == "/")
        if self.peek() == "}":
            self.pos += 1
            return Expansion(name, op, (pattern,))
        replacement = self.argument("}", escapes=True)
        self.close()
        return Expansion(name, op, (pattern, replacement))

    def argument(self, stops: str, *, escapes: bool) -> Node:
        """One expansion, or text up to a stop character, `${` or the end (at least one character)."""
        if self.pos >= len(self.text):
            raise EnvsubstError(NO_ARGUMENT)
        if self.at_expansion():
            self.pos += 2
            return self.expansion()
        chars: list[str] = []
        while self.pos < len(self.text) and not self.at_expansion():
            char, follow = self.peek(), self.peek(1)
            if escapes and ((char == "$" and follow == "$") or (char == "\\" and follow in ("/", "\\"))):
                chars.append(follow)
                self.pos += 2
            elif char in stops:
                break
            else:
                chars.append(char)
                self.pos += 1
        if not chars:
            raise EnvsubstError(NO_ARGUMENT)
        return "".join(chars)


def _is_name_char(char: str) -> bool:
    return char.isalpha() or char.isdecimal() or char == "_"  # Go's unicode.IsLetter / IsDigit


def _evaluate(node: Node, lookup: Callable[[str], tuple[str, bool]]) -> bytes:
    """Arguments first (a missing variable inside an unused default still fails), then the value."""
    if isinstance(node, str):
        return node.encode("utf-8", "surrogateescape")
    args = [_evaluate(arg, lookup) for arg in node.args]
    value, exists = lookup(node.param)
    if node.op == "" and not exists:
        raise EnvsubstError(f'variable not set (strict mode): "{node.param}"')
    return _apply(node.op, value.encode(), args)


def go_string(raw: bytes) -> str:
    """Go's string(bytes) as runes: each byte that is not part of valid UTF-8 becomes U+FFFD."""
    return "".join(chunk.decode() if _valid(chunk) else "\ufffd" for chunk in go_chunks(raw))


def go_chunks(raw: bytes) -> list[bytes]:
    """The bytes of each rune, as utf8.DecodeRune steps through them (1 byte when invalid)."""
    chunks: list[bytes] = []
    index = 0
    while index < len(raw):
        width = next((w for w in (1, 2, 3, 4) if _valid(raw[index : index + w])), 1)
        chunks.append(raw[index : index + width])
        index += width
    return chunks


def _valid(chunk: bytes) -> bool:
    try:
        chunk.decode()
    except UnicodeDecodeError:
        return False
    return True


# The string functions (funcs.go), on bytes as Go's string indexing is.


def _apply(op: str, value: bytes, args: list[bytes]) -> bytes:
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
            if _glob(pattern, subject[:end]):
                cut = end
                if longest:
                    break
        except _BadPatternError:
            return value
    if not cut:
        return value
    return _reverse(subject[cut:]) if suffix else subject[cut:]


def _reverse(raw: bytes) -> bytes:
    return go_string(raw)[::-1].encode()


class _BadPatternError(Exception):
    pass


def _glob(pattern: bytes, name: bytes) -> bool:
    """The package's path.Match: `*` and `?` also match `/`, a trailing `*` matches the rest,
    a `*` takes the first place its chunk fits (no backtracking into earlier chunks)."""
    while pattern:
        star, chunk, pattern = _chunk(pattern)
        if star and not chunk:
            return True
        rest = _match_chunk(chunk, name)
        if rest is not None and (not rest or pattern):
            name = rest
            continue
        if not star:
            return False
        for skip in range(1, len(name) + 1):
            rest = _match_chunk(chunk, name[skip:])
            if rest is not None and (pattern or not rest):
                name = rest
                break
        else:
            return False
    return not name


def _chunk(pattern: bytes) -> tuple[bool, bytes, bytes]:
    stripped = pattern.lstrip(b"*")
    in_range, index = False, 0
    while index < len(stripped):
        byte = stripped[index : index + 1]
        if byte == b"\\":
            index += 1
        elif byte in (b"[", b"]"):
            in_range = byte == b"["
        elif byte == b"*" and not in_range:
            break
        index += 1
    index = min(index, len(stripped))
    return len(stripped) != len(pattern), stripped[:index], stripped[index:]


def _match_chunk(chunk: bytes, name: bytes) -> bytes | None:
    """The rest of `name` after `chunk` (literals, `?`, classes), or None."""
    while chunk:
        if not name:
            return None
        if chunk[:1] == b"[":
            rune, width = _rune(name)
            name, chunk = name[width:], chunk[1:]
            negated = chunk[:1] == b"^"
            chunk = chunk[1:] if negated else chunk
            matched, ranges = False, 0
            while not (chunk[:1] == b"]" and ranges):
                low, chunk = _class_rune(chunk)
                high = low
                if chunk[:1] == b"-":
                    high, chunk = _class_rune(chunk[1:])
                matched = matched or low <= rune <= high
                ranges += 1
            chunk = chunk[1:]
            if matched == negated:
                return None
        elif chunk[:1] == b"?":
            name, chunk = name[_rune(name)[1] :], chunk[1:]
        else:
            if chunk[:1] == b"\\":
                chunk = chunk[1:]
                if not chunk:
                    raise _BadPatternError
            if chunk[0] != name[0]:
                return None
            name, chunk = name[1:], chunk[1:]
    return name


def _class_rune(chunk: bytes) -> tuple[int, bytes]:
    if not chunk or chunk[:1] in (b"-", b"]"):
        raise _BadPatternError
    if chunk[:1] == b"\\":
        chunk = chunk[1:]
    rune, width = _rune(chunk)
    if not chunk or (rune == 0xFFFD and width == 1) or len(chunk) == width:
        raise _BadPatternError
    return rune, chunk[width:]


def _rune(raw: bytes) -> tuple[int, int]:
    if not raw:
        return 0xFFFD, 0
    first = go_chunks(raw[:4])[0]
    return (ord(first.decode()), len(first)) if _valid(first) else (0xFFFD, 1)
