"""Go's view of a byte string as runes, for code that reproduces Go string handling.

envsubst's functions index the UTF-8 bytes as Go does, so a cut can leave bytes that are
not UTF-8; Go then reads each such byte as one rune (U+FFFD). These helpers say where
Go's runes begin and end (utf8.DecodeRune) and what string(bytes) gives. go-yaml's
`!!binary` decoding (render/flux_yaml_decode.py) uses them too.
"""

from __future__ import annotations


def go_string(raw: bytes) -> str:
    """Go's string(bytes) as runes: each byte that is not part of valid UTF-8 becomes U+FFFD."""
    return "".join(chunk.decode() if is_utf8(chunk) else "\ufffd" for chunk in go_chunks(raw))


def go_chunks(raw: bytes) -> list[bytes]:
    """The bytes of each rune, as utf8.DecodeRune steps through them (1 byte when invalid)."""
    chunks: list[bytes] = []
    index = 0
    while index < len(raw):
        width = next((w for w in (1, 2, 3, 4) if is_utf8(raw[index : index + w])), 1)
        chunks.append(raw[index : index + width])
        index += width
    return chunks


def decode_rune(raw: bytes) -> tuple[int, int]:
    """utf8.DecodeRune: the first rune's code point and width; (U+FFFD, 1) when invalid, (U+FFFD, 0) when empty."""
    if not raw:
        return 0xFFFD, 0
    first = go_chunks(raw[:4])[0]
    return (ord(first.decode()), len(first)) if is_utf8(first) else (0xFFFD, 1)


def is_utf8(chunk: bytes) -> bool:
    try:
        chunk.decode()
    except UnicodeDecodeError:
        return False
    return True
