"""The glob envsubst's `#`, `##`, `%` and `%%` trim with (fluxcd/pkg/envsubst v1.5.0 path/match.go).

The package carries its own copy of Go's path.Match, and it differs from Python's
fnmatch and from Go's current path.Match: `*` and `?` also match `/`, and a `*` takes the
first place its chunk fits. It works on bytes, a character class on runes.
"""

from __future__ import annotations

from render.envsubst_runes import decode_rune


class BadPatternError(Exception):
    """path.ErrBadPattern: the trim then leaves the value as it is."""


def glob(pattern: bytes, name: bytes) -> bool:
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
            rune, width = decode_rune(name)
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
            name, chunk = name[decode_rune(name)[1] :], chunk[1:]
        else:
            if chunk[:1] == b"\\":
                chunk = chunk[1:]
                if not chunk:
                    raise BadPatternError
            if chunk[0] != name[0]:
                return None
            name, chunk = name[1:], chunk[1:]
    return name


def _class_rune(chunk: bytes) -> tuple[int, bytes]:
    if not chunk or chunk[:1] in (b"-", b"]"):
        raise BadPatternError
    if chunk[:1] == b"\\":
        chunk = chunk[1:]
    rune, width = decode_rune(chunk)
    if not chunk or (rune == 0xFFFD and width == 1) or len(chunk) == width:
        raise BadPatternError
    return rune, chunk[width:]
