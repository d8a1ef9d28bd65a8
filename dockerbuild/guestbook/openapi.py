"""The API's OpenAPI description, served at /openapi.json; the handlers take their limits
from the same constants, so the description and the checks cannot drift apart.

Written by hand as data: four operations do not need a framework to generate them, and
a generator (Starlette's SchemaGenerator reads YAML from docstrings) would add a
runtime dependency for less precision (no NUL pattern, no 413/415, no Retry-After).
"""

from __future__ import annotations

from typing import Any

# Longest text per field, in characters (the table's CHECK constraints say the same).
ENTRY_FIELDS = {"author": 100, "message": 1000}
LIMIT_RANGE = (1, 100)
LIMIT_DEFAULT = 20


def _text(longest: int, what: str) -> dict[str, Any]:
    return {
        "type": "string",
        "minLength": 1,
        "maxLength": longest,
        # PostgreSQL's text cannot hold NUL; lone surrogates are not text at all.
        "pattern": "^[^\\u0000]*$",
        "description": f"{what}, 1 to {longest} characters, no NUL character",
    }


def _json(schema: str, description: str, **extra: Any) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
        **extra,
    }


def _problem(description: str) -> dict[str, Any]:
    return _json("Problem", description)


_UNAVAILABLE = _json(
    "Problem",
    "The database is unavailable; retry after the given seconds.",
    headers={"Retry-After": {"required": True, "schema": {"type": "integer", "minimum": 1}}},
)

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Guestbook",
        "version": "1",
        "description": "The sample app: a guestbook in PostgreSQL, with Kubernetes probes.",
    },
    "paths": {
        "/entries": {
            "get": {
                "operationId": "listEntries",
                "summary": "The latest entries, newest first",
                "parameters": [
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "schema": {
                            "type": "integer",
                            "minimum": LIMIT_RANGE[0],
                            "maximum": LIMIT_RANGE[1],
                            "default": LIMIT_DEFAULT,
                        },
                    }
                ],
                "responses": {
                    "200": _json("EntryList", "The entries"),
                    "400": _problem("limit is not a whole number in range"),
                    "503": _UNAVAILABLE,
                },
            },
            "post": {
                "operationId": "createEntry",
                "summary": "Sign the guestbook",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewEntry"}}},
                },
                "responses": {
                    "201": _json("Entry", "The entry as stored"),
                    "400": _problem("The body is not JSON, or a field is wrong (named in `fields`)"),
                    "413": _problem("The body is larger than the app reads (MAX_BODY_BYTES)"),
                    "415": _problem("The body is not declared application/json"),
                    "503": _UNAVAILABLE,
                },
            },
        },
        "/healthz": {
            "get": {
                "operationId": "liveness",
                "summary": "Liveness: the process serves requests; the database is not consulted",
                "responses": {"200": _json("Health", "Alive")},
            }
        },
        "/readyz": {
            "get": {
                "operationId": "readiness",
                "summary": "Readiness: the database answers within READINESS_WAIT_SECONDS",
                "responses": {"200": _json("Readiness", "Ready"), "503": _json("Readiness", "Not ready")},
            }
        },
    },
    "components": {
        "schemas": {
            "NewEntry": {
                "type": "object",
                "required": list(ENTRY_FIELDS),
                "properties": {
                    "author": _text(ENTRY_FIELDS["author"], "Who signs"),
                    "message": _text(ENTRY_FIELDS["message"], "What they write"),
                },
            },
            "Entry": {
                "type": "object",
                "required": ["id", "author", "message", "created_at"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "integer"},
                    "author": {"type": "string"},
                    "message": {"type": "string"},
                    "created_at": {"type": "string", "format": "date-time"},
                },
            },
            "EntryList": {
                "type": "object",
                "required": ["entries"],
                "additionalProperties": False,
                "properties": {"entries": {"type": "array", "items": {"$ref": "#/components/schemas/Entry"}}},
            },
            "Problem": {
                "type": "object",
                "required": ["error"],
                "additionalProperties": False,
                "properties": {
                    "error": {"type": "string"},
                    "fields": {
                        "type": "object",
                        "description": "What is wrong with each named field",
                        "additionalProperties": {"type": "string"},
                    },
                },
            },
            "Health": {
                "type": "object",
                "required": ["status"],
                "additionalProperties": False,
                "properties": {"status": {"const": "ok"}},
            },
            "Readiness": {
                "type": "object",
                "required": ["ready"],
                "additionalProperties": False,
                "properties": {"ready": {"type": "boolean"}},
            },
        }
    },
}
