"""Reading synthesized stacks: resources, references between them, policy documents."""

from __future__ import annotations

import json
import re
from typing import Any

Document = dict[str, Any]

# `${aws_iam_role.name.arn}`, `${data.aws_iam_policy_document.name.json}`
REFERENCE = re.compile(r"^\$\{(?:(data)\.)?([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.(.+)\}$")
REMOTE_STATE = re.compile(r"^\$\{data\.terraform_remote_state\.cross-stack-reference-input-([a-z0-9-]+)\.outputs\.")
REMOTE_OUTPUT = re.compile(
    r"^\$\{data\.terraform_remote_state\.cross-stack-reference-input-([a-z0-9-]+)\.outputs\.([A-Za-z0-9_-]+)\}$"
)


def resources(document: Document, kind: str) -> dict[str, dict[str, Any]]:
    return dict(document.get("resource", {}).get(kind, {}))


def data_sources(document: Document, kind: str) -> dict[str, dict[str, Any]]:
    return dict(document.get("data", {}).get(kind, {}))


def construct_path(body: dict[str, Any]) -> str:
    return str(body.get("//", {}).get("metadata", {}).get("path", ""))


def is_reference(value: object) -> bool:
    return isinstance(value, str) and value.startswith("${") and value.endswith("}")


def referenced(document: Document, value: object) -> tuple[str, dict[str, Any], str] | None:
    """For `${type.name.attr}` in the same stack: (type, body, attribute); else None."""
    match = REFERENCE.match(value) if isinstance(value, str) else None
    if match is None:
        return None
    is_data, kind, name, attribute = match.groups()
    body = (data_sources if is_data else resources)(document, kind).get(name)
    return (kind, body, attribute) if body is not None else None


def remote_stack(value: object) -> str | None:
    """The producing stack of a value read through a CDKTF stack reference."""
    match = REMOTE_STATE.match(value) if isinstance(value, str) else None
    return match.group(1) if match else None


def remote_output(stacks: dict[str, Document], value: object) -> tuple[str, object] | None:
    """For a value read through a stack reference: (producing stack, its output's value there)."""
    match = REMOTE_OUTPUT.match(value) if isinstance(value, str) else None
    if match is None:
        return None
    stack, output = match.groups()
    body = stacks.get(stack, {}).get("output", {}).get(output)
    return (stack, body.get("value")) if isinstance(body, dict) else None


def resolve(document: Document, value: object) -> object:
    """Follow same-stack references to plain attributes until a literal (or an opaque reference)."""
    for _ in range(8):
        target = referenced(document, value)
        if target is None:
            return value
        _, body, attribute = target
        if attribute not in body:
            return value
        value = body[attribute]
    return value


def policy_statements(document: Document, value: object) -> list[dict[str, Any]]:
    """Statements of a policy given as `${data.aws_iam_policy_document.x.json}` or JSON text."""
    target = referenced(document, value)
    if target is not None and target[0] == "aws_iam_policy_document":
        return [dict(statement) for statement in target[1].get("statement", [])]
    if isinstance(value, str) and not is_reference(value):
        parsed = json.loads(value)
        return [_from_json(statement) for statement in parsed.get("Statement", [])]
    return []


def _from_json(statement: dict[str, Any]) -> dict[str, Any]:
    """An IAM JSON statement in the data source's shape (effect, actions, principals, condition)."""
    principals = statement.get("Principal", {})
    conditions = [
        {"test": test, "variable": variable, "values": values if isinstance(values, list) else [values]}
        for test, pairs in statement.get("Condition", {}).items()
        for variable, values in pairs.items()
    ]
    actions = statement.get("Action", [])
    return {
        "effect": statement.get("Effect", "Allow"),
        "actions": actions if isinstance(actions, list) else [actions],
        "principals": [
            {"type": kind, "identifiers": ids if isinstance(ids, list) else [ids]} for kind, ids in principals.items()
        ],
        "condition": conditions,
    }
