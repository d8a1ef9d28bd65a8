"""A POST body, read with every bound in place: declared JSON, at most `limit` bytes (counted
while reading, so a larger body is never buffered), UTF-8, JSON that does not nest beyond
the interpreter's recursion limit, and fields PostgreSQL can store as text."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from guestbook.problems import Problem

JSON = "application/json"


async def read_json(request: Request, limit: int) -> Any:
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != JSON:
        raise Problem(415, f"body must be {JSON}")
    too_large = Problem(413, f"body must be at most {limit} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isdecimal() and int(declared) > limit:  # refused before a byte of the body is read
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    try:
        text = body.decode("utf-8")  # RFC 8259, section 8.1: JSON between systems is UTF-8
    except UnicodeDecodeError:
        raise Problem(400, "body must be UTF-8") from None
    try:
        return json.loads(text)
    except RecursionError:
        raise Problem(400, "body nests too deeply") from None
    except ValueError:
        raise Problem(400, "body must be JSON") from None


def text_fields(body: Any, longest: dict[str, int]) -> dict[str, str]:
    """The fields named in `longest` as text of 1 to `longest[name]` characters that
    PostgreSQL can store: no NUL character, no lone surrogate (not encodable as UTF-8)."""
    problems = {}
    for name, most in longest.items():
        value = body.get(name) if isinstance(body, dict) else None
        if not isinstance(value, str) or not 1 <= len(value) <= most:
            problems[name] = f"{name} must be text of 1 to {most} characters"
        elif "\x00" in value:
            problems[name] = f"{name} must not contain NUL characters"
        elif not _is_unicode(value):
            problems[name] = f"{name} must not contain lone surrogates (\\ud800-\\udfff)"
    if problems:
        raise Problem(400, "invalid entry", fields=problems)
    return {name: body[name] for name in longest}


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
