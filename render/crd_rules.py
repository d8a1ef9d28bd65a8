"""`x-kubernetes-validations`: the CEL rules of a CRD, evaluated as the API server does on create.

Each rule is evaluated with `self` bound to the value of the field that carries it (at the
root, `self.metadata` holds only name and generateName), null values are skipped, and a
false rule is reported with its `message` (or `messageExpression`) at the field, plus its
`fieldPath` (apiextensions-apiserver `pkg/apiserver/schema/cel/validation.go`).

The evaluator is cel-expr-python, the CEL team's binding of CEL C++, with its strings
extension (Kubernetes enables the same one: substring, lowerAscii, …). A rule it cannot
compile — one that calls a Kubernetes-only library (isURL, quantity, ip, …) — and a
transition rule (it reads `oldSelf`, the stored object, which the API server only has on
update) are not evaluated: `unchecked` names each of them, so none passes as if checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from cel_expr_python import cel  # type: ignore[import-untyped]
from cel_expr_python.ext import ext_strings  # type: ignore[import-untyped]

TRANSITION = "transition rule (reads oldSelf): the API server evaluates it only on update, against the stored object"


def rule_problems(value: Any, schema: Mapping[str, Any], path: str = "", *, root: bool = True) -> list[str]:
    """Every rule that does not hold, as `field.path: message`."""
    if value is None:
        return []
    found = [
        problem
        for rule in _rules_at(schema)
        if (problem := _check(rule, _visible(value) if root else value, path)) is not None
    ]
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        additional = schema.get("additionalProperties")
        for key, item in value.items():
            sub = properties.get(key, additional if isinstance(additional, Mapping) else None)
            if sub is not None:
                found += rule_problems(item, sub, f"{path}.{key}" if path else key, root=False)
    elif isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        for index, item in enumerate(value):
            found += rule_problems(item, schema["items"], f"{path}.{index}", root=False)
    return found


def unchecked(schema: Mapping[str, Any], path: str = "") -> list[str]:
    """`field.path: rule: why` for each rule of `schema` that is not evaluated here."""
    found = [
        f"{path or '(object)'}: {rule['rule']}: {why}"
        for rule in _rules_at(schema)
        if isinstance(why := _compiled(str(rule.get("rule", ""))), str)
    ]
    for key, sub in schema.get("properties", {}).items():
        found += unchecked(sub, f"{path}.{key}" if path else key)
    for keyword in ("items", "additionalProperties"):
        if isinstance(schema.get(keyword), Mapping):
            found += unchecked(schema[keyword], f"{path}[*]" if keyword == "items" else f"{path}.*")
    return found


def has_rules(schema: Mapping[str, Any]) -> bool:
    """Whether any field carries a rule (without one, the API server runs no CEL validator at all)."""
    if any(True for _ in _rules_at(schema)):
        return True
    subs = [*schema.get("properties", {}).values(), schema.get("items"), schema.get("additionalProperties")]
    return any(has_rules(sub) for sub in subs if isinstance(sub, Mapping))


def _rules_at(schema: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield from schema.get("x-kubernetes-validations", [])
    for sub in schema.get("allOf", []):
        yield from _rules_at(sub)


def _visible(obj: Any) -> Any:
    """The root as CEL sees it: of metadata, only name and generateName."""
    if not isinstance(obj, dict) or not isinstance(obj.get("metadata"), Mapping):
        return obj
    metadata = {k: v for k, v in obj["metadata"].items() if k in ("name", "generateName")}
    return {**obj, "metadata": metadata}


def _check(rule: Mapping[str, Any], value: Any, path: str) -> str | None:
    source = str(rule.get("rule", ""))
    program = _compiled(source)
    if isinstance(program, str):
        return None  # listed by `unchecked`
    message = str(rule.get("message", "")).strip()
    shown = message or source
    try:
        result = program.eval(data={"self": value})
    except (RuntimeError, TypeError, ValueError) as error:
        return f"{path or '(object)'}: {error} evaluating rule: {shown}"
    if result.type() == cel.Type.ERROR:
        return f"{path or '(object)'}: {result.value()} evaluating rule: {shown}"
    if result.type() == cel.Type.BOOL and result.value() is True:
        return None
    where = _joined(path, str(rule.get("fieldPath", "")))
    detail = _message_expression(str(rule.get("messageExpression", "")), value)
    return f"{where}: {detail or message or f'failed rule: {source}'}"


def _message_expression(source: str, value: Any) -> str | None:
    program = _compiled(source) if source else None
    if program is None or isinstance(program, str):
        return None
    try:
        result = program.eval(data={"self": value})
    except (RuntimeError, TypeError, ValueError):
        return None
    text = str(result.value()).strip() if result.type() == cel.Type.STRING else ""
    return text if text and "\n" not in text else None


def _joined(path: str, field_path: str) -> str:
    """`path` plus a rule's fieldPath (`.a.b`, `['c']`), in this module's dotted form."""
    parts = [part for part in re.findall(r"\.([^.\[]+)|\['((?:[^'\\]|\\.)*)'\]|\[(\d+)\]", field_path)]
    steps = [next(p for p in part if p) for part in parts]
    joined = ".".join([path, *steps] if path else steps)
    return joined or "(object)"


@cache
def _environment() -> Any:
    return cel.NewEnv(variables={"self": cel.Type.DYN}, extensions=[ext_strings.ExtStrings()])


@cache
def _compiled(source: str) -> Any:
    """The compiled rule, or why it cannot be evaluated here."""
    try:
        return _environment().compile(source)
    except RuntimeError as error:
        text = str(error)
        if re.search(r"undeclared reference to 'oldSelf[.']", text):
            return TRANSITION
        first = text.splitlines()[0].removeprefix("INVALID_ARGUMENT: ").removeprefix("ERROR: <input>:")
        return f"cel-expr-python cannot compile it: {first.strip()}"
