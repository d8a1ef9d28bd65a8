"""Built-in kinds: the same verdicts as kubernetes-validate's strict schemas, from validators built once."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest

from render import builtin_schemas

SERVICE: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "app", "namespace": "app"},
    "spec": {"type": "ClusterIP", "ports": [{"port": 80}]},
}


def verdict(obj: dict[str, Any]) -> str:
    try:
        kubernetes_validate.validate(obj, "1.35", strict=True)
    except kubernetes_validate.ValidationError as error:
        return str(error.message)
    return ""


@pytest.mark.parametrize(
    "spec",
    [
        SERVICE["spec"],
        {**SERVICE["spec"], "tipe": "ClusterIP"},
        {**SERVICE["spec"], "ports": [{"port": "eighty"}]},
        {**SERVICE["spec"], "type": 3},
    ],
)
def test_the_same_verdict_as_kubernetes_validate(spec: dict[str, Any]) -> None:
    obj = {**SERVICE, "spec": spec}
    problems = builtin_schemas.validate(obj, "1.35")
    assert [p.partition(": ")[2] for p in problems] == ([verdict(obj)] if verdict(obj) else [])


def test_a_kind_without_a_schema_is_not_guessed() -> None:
    with pytest.raises(kubernetes_validate.SchemaNotFoundError):
        builtin_schemas.validate({**SERVICE, "apiVersion": "example.com/v1", "kind": "Widget"}, "1.35")
