"""The real Flux CLI as a second opinion on the offline render.

`flux build kustomization --dry-run` runs Flux's own kustomize generator and post-build
substitution on this checkout. Built for every Flux Kustomization of every rendered
environment, with the bridge values the render used, it must make exactly the objects
the render attributes to that Kustomization (the `# from <source>` line of each file in
rendered/<env>/); objects the render has from a HelmRelease or a platform release are
not Flux's to build and are left out.

    prepare  (main job, which has cdktf.out and the project's dependencies) writes one
             input Kustomization per build and an index, builds.json. In dry-run the CLI
             reads no ConfigMap (substituteFrom is skipped: fluxcd/pkg kustomize
             SubstituteVariables), so the bridge values go into `postBuild.substitute`.
    build    runs `flux build kustomization` for every build of the index, strictly.
    compare  reports each object or field where the CLI and the render differ, one line each.

Only the standard library and PyYAML are imported up here: `build` and `compare` run
without the project's dependencies.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

# namespace and name of the Kustomization the FluxInstance syncs clusters/<env> with
ENTRY = ("flux-system", "flux-system")
SOURCE_REF = ("GitRepository", "flux-system")  # kind, name of this repository's source (in ENTRY's namespace)
OWNER_LABELS = ("kustomize.toolkit.fluxcd.io/name", "kustomize.toolkit.fluxcd.io/namespace")  # set by flux build
INDEX = "builds.json"
HEADER = re.compile(r"# from (?P<source>.+)")
# render/cluster.py's label for what a Kustomization applied: `<path> (Kustomization [<namespace>/]<name>)`,
# the namespace left out when it is flux-system.
FROM_KUSTOMIZATION = re.compile(r"\S+ \(Kustomization (?:(?P<namespace>[^/()\s]+)/)?(?P<name>[^/()\s]+)\)")
PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
Identity = tuple[str, str, str]  # kind, namespace, name
MISSING = object()  # a field one side does not have


@dataclass(frozen=True)
class Build:
    """One `flux build kustomization`: which Kustomization, built from which folder."""

    environment: str
    namespace: str
    name: str
    path: str  # relative to the repository root

    def __str__(self) -> str:
        return f"{self.environment}: Kustomization {self.namespace}/{self.name}"

    @property
    def input(self) -> str:
        return f"{self.environment}/{self.namespace}.{self.name}.kustomization.yaml"

    @property
    def output(self) -> str:
        return f"{self.environment}/{self.namespace}.{self.name}.built.yaml"


@dataclass(frozen=True)
class RenderedFile:
    file: Path
    source: str
    body: dict[str, Any]


def applier(source: str, environment: str) -> tuple[str, str] | None:
    """The Flux Kustomization (namespace, name) the render says applied an object, from its
    `# from` line; None for what a HelmRelease or a platform release made."""
    if source == f"clusters/{environment}":
        return ENTRY
    match = FROM_KUSTOMIZATION.fullmatch(source)
    return (match["namespace"] or ENTRY[0], match["name"]) if match else None


def identity(body: Mapping[str, Any]) -> Identity:
    metadata = body.get("metadata") or {}
    return (str(body.get("kind")), str(metadata.get("namespace", "")), str(metadata.get("name")))


def shown_object(key: Identity) -> str:
    kind, namespace, name = key
    return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"


def read_rendered(directory: Path) -> tuple[list[RenderedFile], list[str]]:
    files, problems = [], []
    for path in sorted(directory.rglob("*.yaml")):
        text = path.read_text()
        header = HEADER.fullmatch(text.partition("\n")[0])
        try:
            body = yaml.safe_load(text)
        except yaml.YAMLError as error:
            problems.append(f"{path}: not valid YAML: {' '.join(str(error).split())}")
            continue
        if header is None or not isinstance(body, dict):
            problems.append(f"{path}: not a rendered object (one object after a '# from <source>' line)")
            continue
        files.append(RenderedFile(path, header["source"], body))
    return files, problems


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


def read_index(builds: Path) -> list[Build]:
    try:
        return [Build(**entry) for entry in json.loads((builds / INDEX).read_text())]
    except (OSError, ValueError, TypeError) as error:
        raise SystemExit(f"{builds / INDEX}: not an index written by `prepare`: {error}") from None


def run_builds(builds: Path, repo: Path, flux: str) -> list[str]:
    """`flux build` for every build; its output beside the input, failures one line each."""
    problems = []
    for build in read_index(builds):
        command = [flux, "build", "kustomization", build.name, "--namespace", build.namespace]
        command += ["--path", str(repo / build.path), "--kustomization-file", str(builds / build.input)]
        command += ["--dry-run", "--strict-substitute"]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)  # noqa: S603
        except (OSError, subprocess.TimeoutExpired) as error:
            problems.append(f"{build}: flux build did not run: {error}")
            continue
        if result.returncode != 0:
            problems.append(f"{build}: flux build failed: {' '.join(result.stderr.split())}")
            continue
        (builds / build.output).write_text(result.stdout)
    return problems


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
        documents = [document for document in yaml.safe_load_all(output) if document is not None]
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


def shown_value(value: Any, limit: int = 80) -> str:
    if value is MISSING:
        return "nothing"
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m render.flux_build_check", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("prepare", "build", "compare"):
        command = commands.add_parser(name)
        command.add_argument("--builds", type=Path, default=Path("flux-build"), help="inputs, index and outputs")
        command.add_argument("--rendered", type=Path, default=Path("rendered"))
        command.add_argument("--repo", type=Path, default=Path())
    commands.choices["prepare"].add_argument("--synth", type=Path, default=Path("cdktf.out"))
    commands.choices["build"].add_argument("--flux", default="flux", help="the flux CLI")
    args = parser.parse_args(argv)
    if args.command == "prepare":
        problems = prepare(args.repo, args.rendered, args.synth, args.builds)
        done = f"prepared {len(read_index(args.builds)) if not problems else 0} flux builds in {args.builds}"
    elif args.command == "build":
        problems = run_builds(args.builds, args.repo, args.flux)
        done = f"flux built {len(read_index(args.builds))} Kustomizations"
    else:
        problems = compare(args.builds, args.rendered)
        done = f"flux build and the render agree on {len(read_index(args.builds))} Kustomizations"
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) found ({args.command}).", file=sys.stderr)
        return 1
    print(done)
    return 0


if __name__ == "__main__":
    sys.exit(main())
