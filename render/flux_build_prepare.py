"""`prepare`, the flux build check's first step: one input Kustomization per build, and the index.

It runs in the main job, which has cdktf.out and the project's dependencies: the bridge
values come from the synthesized platform stack as the render computed them. In
dry-run the flux CLI reads no ConfigMap (substituteFrom is skipped: fluxcd/pkg kustomize
SubstituteVariables), so the bridge values go into `postBuild.substitute`.

The project's packages are imported inside `prepare` only: render/flux_build_check.py
imports this module for every step, and `build` and `compare` run without them.
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import yaml

from render.flux_build_index import INDEX, Build
from render.flux_build_rendered import ENTRY, RenderedFile, applier, identity, read_rendered

SOURCE_REF = ("GitRepository", "flux-system")  # kind, name of this repository's source (in ENTRY's namespace)


def prepare(repo: Path, rendered: Path, synth: Path, out: Path) -> list[str]:
    """Write the input Kustomizations and the index for every environment in `rendered`."""
    from render.bridge_values import bridge_values
    from stacks import bridge
    from stacks.config import ConfigError, load_environments
    from stacks.summary import stack_documents

    names = sorted(path.name for path in rendered.iterdir() if path.is_dir()) if rendered.is_dir() else []
    if not names:
        return [f"{rendered}: no rendered environment"]
    if out.exists() and any(out.iterdir()) and not (out / INDEX).is_file():
        return [f"{out}: not empty and has no {INDEX}; not overwritten"]
    try:
        environments = load_environments(repo / "environments", names)
    except ConfigError as error:
        return list(error.lines)
    try:
        documents = stack_documents(synth)
    except (OSError, ValueError, KeyError) as error:
        return [f"{synth}: not a synthesized app: {error}"]
    planned, problems = [], []
    for env in environments:
        if f"{env.name}-platform" not in documents:
            problems.append(f"{synth}: no stack {env.name}-platform for the bridge values of {env.name}")
            continue
        files, unreadable = read_rendered(rendered / env.name)
        values = bridge_values(documents[f"{env.name}-platform"], env)
        builds, invalid = plan_builds(env.name, files, values, ("ConfigMap", bridge.NAME))
        planned += builds
        problems += unreadable + invalid
    if problems:
        return problems
    shutil.rmtree(out, ignore_errors=True)
    for build, body in planned:
        (out / build.input).parent.mkdir(parents=True, exist_ok=True)
        (out / build.input).write_text(yaml.safe_dump(body, sort_keys=False))
    (out / INDEX).write_text(json.dumps([asdict(build) for build, _ in planned], indent=2) + "\n")
    return []


def plan_builds(
    environment: str, rendered: list[RenderedFile], values: Mapping[str, str], bridge: tuple[str, str]
) -> tuple[list[tuple[Build, dict[str, Any]]], list[str]]:
    """Each build of one environment with its input Kustomization: the entry point the
    FluxInstance syncs (as flux-operator's sync template writes it), then every Flux
    Kustomization a Flux Kustomization applied, the bridge values as inline substitutes
    under the Kustomization's own (which win over substituteFrom in Flux too)."""
    entry = f"clusters/{environment}"
    builds = [(Build(environment, *ENTRY, entry), entry_kustomization(entry))]
    problems = []
    for obj in rendered:
        group = str(obj.body.get("apiVersion", "")).partition("/")[0]
        if (group, obj.body.get("kind")) != ("kustomize.toolkit.fluxcd.io", "Kustomization"):
            continue
        if applier(obj.source, environment) is None:
            continue
        _, namespace, name = identity(obj.body)
        spec = obj.body.get("spec") or {}
        where = f"{environment}: {obj.file}: Kustomization {namespace}/{name}"
        ref = spec.get("sourceRef") or {}
        if (ref.get("kind"), ref.get("namespace", namespace), ref.get("name")) != (SOURCE_REF[0], *ENTRY):
            problems.append(f"{where}: spec.sourceRef: only {SOURCE_REF[0]} {'/'.join(ENTRY)} is this checkout")
            continue
        post_build = spec.get("postBuild") or {}
        references = [(r.get("kind"), r.get("name")) for r in post_build.get("substituteFrom", [])]
        if any(reference != bridge for reference in references):
            problems.append(f"{where}: spec.postBuild.substituteFrom: only {'/'.join(bridge)} has known values")
            continue
        body = copy.deepcopy(obj.body)
        if references:
            body["spec"]["postBuild"]["substitute"] = {**values, **post_build.get("substitute", {})}
        builds.append((Build(environment, namespace, name, str(spec.get("path", "")).removeprefix("./")), body))
    return builds, problems


def entry_kustomization(path: str) -> dict[str, Any]:
    namespace, name = ENTRY
    kind, source = SOURCE_REF
    return {
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"interval": "10m0s", "path": path, "prune": True, "sourceRef": {"kind": kind, "name": source}},
    }
