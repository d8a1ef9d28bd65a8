"""Supplied values a chart ignores: each one a typo or a value this chart version no longer reads.

Most charts accept unknown keys (their schemas, if any, allow additional properties), so
a misspelt key renders without complaint and silently does nothing. Here every leaf the
stack supplies is changed in turn to another value of the same type and the chart
rendered again; a leaf whose change leaves every rendered object as it was is reported.
A render that fails with the changed value counts as the leaf being used.

Renders are compared template by template as text, and parsed only where the text
differs. Some charts make random values at every render (a webhook's self-signed
certificate): the fields that differ between two renders of the same values are left
out of every comparison.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import yaml

from render.errors import RenderError
from render.helm import documents

Render = Callable[[dict[str, Any]], dict[str, str]]  # values → template path → rendered YAML
KeyPath = tuple[str, ...]
MESSAGE = "changes nothing in the rendered chart (a typo, or a value this chart version ignores)"


def ignored_values(supplied: dict[str, Any], render: Render) -> list[str]:
    """`values.<path> changes nothing …` for each supplied leaf the rendered templates do not depend on.

    `render` renders the chart with the given values and raises RenderError when it cannot;
    it is called from several threads at once (the Helm library runs outside the GIL).
    """
    leaves = list(_leaves(supplied, ()))
    if not leaves:
        return []
    baseline, again = render(supplied), render(supplied)
    unstable = {
        template: _differences(_flat(documents(text)), _flat(documents(again.get(template, ""))))
        for template, text in baseline.items()
        if again.get(template) != text
    }
    stable_baseline = {
        template: _without(_flat(documents(baseline[template])), fields) for template, fields in unstable.items()
    }

    def same(template: str, text: str) -> bool:
        if text == baseline[template]:
            return True
        fields = unstable.get(template)
        return fields is not None and _without(_flat(documents(text)), fields) == stable_baseline[template]

    def unchanged(manifests: dict[str, str]) -> bool:
        return manifests.keys() == baseline.keys() and all(same(*item) for item in manifests.items())

    def used(leaf: tuple[KeyPath, Any]) -> bool:
        path, value = leaf
        try:
            return not unchanged(render(_replaced(supplied, path, changed(value))))
        except (RenderError, yaml.YAMLError):
            return True

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        verdicts = list(pool.map(used, leaves))
    return [f"{shown(path)} {MESSAGE}" for (path, _), is_used in zip(leaves, verdicts, strict=True) if not is_used]


def changed(value: Any) -> Any:
    """Another value of the same type: a flipped bool, another number or string, a shorter or longer list."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, str):
        return value + "-changed"
    if isinstance(value, list):
        return value[:-1] if value else ["changed"]
    if isinstance(value, dict):  # only empty maps are leaves
        return {"changed": "changed"}
    return "changed"


def shown(path: KeyPath) -> str:
    """`values.serviceAccount.name`; a key with a dot or slash in brackets: `values.podLabels["a.io/b"]`."""
    return "values" + "".join(f'["{key}"]' if "." in key or "/" in key else f".{key}" for key in path)


_MISSING = object()


def _leaves(values: dict[str, Any], path: KeyPath) -> Iterator[tuple[KeyPath, Any]]:
    for key, value in values.items():
        if isinstance(value, dict) and value:
            yield from _leaves(value, (*path, str(key)))
        else:
            yield (*path, str(key)), value


def _replaced(values: dict[str, Any], path: KeyPath, value: Any) -> dict[str, Any]:
    head, *rest = path
    copy = dict(values)
    copy[head] = _replaced(values[head], tuple(rest), value) if rest else value
    return copy


def _flat(node: Any, path: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], Any]:
    """Every scalar of a template's objects by its path (object index first); empty containers kept."""
    if isinstance(node, dict) and node:
        return {key: leaf for name, item in node.items() for key, leaf in _flat(item, (*path, name)).items()}
    if isinstance(node, list) and node:
        return {key: leaf for index, item in enumerate(node) for key, leaf in _flat(item, (*path, index)).items()}
    return {path: node}


def _differences(first: dict[tuple[Any, ...], Any], second: dict[tuple[Any, ...], Any]) -> set[tuple[Any, ...]]:
    return {key for key in first.keys() | second.keys() if first.get(key, _MISSING) != second.get(key, _MISSING)}


def _without(flat: dict[tuple[Any, ...], Any], unstable: set[tuple[Any, ...]]) -> dict[tuple[Any, ...], Any]:
    return {key: value for key, value in flat.items() if key not in unstable}
