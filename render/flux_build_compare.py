"""`compare`, the flux build check's last step: every difference between the CLI's objects and the render's.

Each build must make exactly the objects the render attributes to its Kustomization,
field for field and type for type. The labels flux build adds to name the Kustomization
are left out (the render says the same in its `# from` line). Each difference is one
line. Standard library and PyYAML only: it runs without the project's dependencies.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from render.fast_yaml import LOADER
from render.flux_build_index import Build, read_index
from render.flux_build_rendered import Identity, RenderedFile, applier, identity, read_rendered

OWNER_LABELS = ("kustomize.toolkit.fluxcd.io/name", "kustomize.toolkit.fluxcd.io/namespace")  # set by flux build
PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
MISSING = object()  # a field one side does not have


def compare(builds: Path, rendered: Path) -> list[str]:
    """Every difference between the CLI's objects and the render's, one line each."""
    index = read_index(builds)
    problems: list[str] = []
    attributed: dict[tuple[str, str, str], list[RenderedFile]] = {}
    for environment in sorted(path.name for path in rendered.glob("*") if path.is_dir()):
        files, unreadable = read_rendered(rendered / environment)
        problems += unreadable
        built = {(build.namespace, build.name) for build in index if build.environment == environment}
        if not built:
            problems.append(f"{rendered / environment}: no build prepared for this environment")
        for obj in files:
            kustomization = applier(obj.source, environment)
            if kustomization in built:
                attributed.setdefault((environment, *kustomization), []).append(obj)
            elif kustomization is not None:
                problems.append(f"{environment}: {obj.file}: from {obj.source}, which no build covers")
    for build in index:
        output = builds / build.output
        if not (rendered / build.environment).is_dir():
            problems.append(f"{build}: no rendered environment {rendered / build.environment}")
            continue
        if not output.is_file():
            problems.append(f"{build}: no flux build output {output}")
            continue
        expected = {
            identity(o.body): without_owner_labels(o.body, build)
            for o in attributed.get((build.environment, build.namespace, build.name), [])
        }
        problems += [f"{build}: {line}" for line in differences(build, output.read_text(), expected)]
    return problems


def differences(build: Build, output: str, expected: Mapping[Identity, Any]) -> Iterator[str]:
    built: dict[Identity, Any] = {}
    try:
        documents = [document for document in yaml.load_all(output, Loader=LOADER) if document is not None]
    except yaml.YAMLError as error:
        yield f"flux build output is not valid YAML: {' '.join(str(error).split())}"
        return
    for body in documents:
        if not isinstance(body, dict):
            yield f"flux build output holds {shown_value(body)}, not an object"
            continue
        key = identity(body)
        if key in built:
            yield f"{shown_object(key)}: flux build makes it twice"
        built[key] = without_owner_labels(body, build)
    for key in sorted(set(built) | set(expected)):
        if key not in expected:
            yield f"{shown_object(key)}: flux build makes it, the render does not"
        elif key not in built:
            yield f"{shown_object(key)}: the render has it, flux build does not make it"
        else:
            yield from (f"{shown_object(key)}: {line}" for line in field_differences(built[key], expected[key], ""))


def without_owner_labels(body: dict[str, Any], build: Build) -> dict[str, Any]:
    """The object less the labels that name `build` as its Kustomization: flux build sets
    them, the render says so in its `# from` line. A label naming another one stays."""
    metadata = dict(body.get("metadata") or {})
    labels = dict(metadata.pop("labels", None) or {})
    for label, value in zip(OWNER_LABELS, (build.name, build.namespace), strict=True):
        if labels.get(label) == value:
            del labels[label]
    return {**body, "metadata": {**metadata, **({"labels": labels} if labels else {})}}


def field_differences(built: Any, rendered: Any, path: str) -> Iterator[str]:
    if isinstance(built, dict) and isinstance(rendered, dict):
        for key in sorted(set(built) | set(rendered), key=str):
            child = f"{path}.{key}" if PLAIN_KEY.fullmatch(str(key)) else f"{path}[{json.dumps(str(key))}]"
            yield from field_differences(built.get(key, MISSING), rendered.get(key, MISSING), child)
    elif isinstance(built, list) and isinstance(rendered, list):
        for i in range(max(len(built), len(rendered))):
            yield from field_differences(
                built[i] if i < len(built) else MISSING, rendered[i] if i < len(rendered) else MISSING, f"{path}[{i}]"
            )
    elif type(built) is not type(rendered) or built != rendered:
        yield f"{path.removeprefix('.')}: flux build says {shown_value(built)}, the render says {shown_value(rendered)}"


def shown_object(key: Identity) -> str:
    kind, namespace, name = key
    return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"


def shown_value(value: Any, limit: int = 80) -> str:
    if value is MISSING:
        return "nothing"
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"
