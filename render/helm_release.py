"""One HelmRelease, rendered as helm-controller v1.5 (Flux v2.8) installs it on a fresh cluster.

- Values: chart.spec.valuesFiles replace the chart's values.yaml (source-controller
  merges them in order and repackages the chart); then valuesFrom in order, spec.values
  over them (fluxcd/pkg chartutil ChartValuesFromReferences, reproduced with its sharing
  of maps, so a targetPath wins over spec.values exactly where Flux lets it).
- Chart version (what `.Chart.Version` renders): source-controller v1.8
  (internal/controller/helmchart_controller.go, buildFromTarballArtifact) sets SemVer
  build metadata on a chart from a GitRepository: with reconcileStrategy Revision the
  first 12 hex characters of the commit, so every commit is a new chart version and
  helm-controller upgrades the release; with valuesFiles the HelmChart's generation
  (`1`: helm-controller has just created it), after a `.` when both apply. The commit
  is unknown offline: the render uses OFFLINE_REVISION, so rendered/ does not change
  from one commit to the next (the cluster shows `<version>+<12 hex>` instead).
- Release: name `releaseName`, else `<targetNamespace>-<name>` or `<name>`, shortened past
  53 characters; namespace `targetNamespace`, else the HelmRelease's.
- Objects: the chart's crds/ unless install.crds is Skip (with Flux's origin labels);
  the templates (render/helm.py), then postRenderers (kustomize, in order),
  commonMetadata, Flux's origin labels and Helm's ownership metadata, none of which
  touch hooks; install hooks unless install.disableHooks, test hooks only with
  test.enable (and its filters). Hooks of upgrades, rollbacks and deletions do not run on
  an install. With targetNamespace and install.createNamespace, the Namespace Helm creates.
"""

from __future__ import annotations

import copy
import hashlib
import shutil
import tempfile
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from render import flux_fields, helm, kustomize, scope
from render.errors import RenderError, describe
from render.flux_yaml import FluxYamlError, load_document
from render.kustomization import repository_path
from render.scope import Namespaced
from stacks.merge import deep_merge

SOURCE = ("GitRepository", "flux-system", "flux-system")  # kind, name, namespace of this repository
GROUP = "helm.toolkit.fluxcd.io"
INSTALL_HOOKS = {"pre-install", "post-install"}
TEST_HOOKS = {"test", "test-success"}
# Stands in for the first 12 hex characters of the commit Flux builds a Revision chart from.
OFFLINE_REVISION = "000000000000"


def render_release(
    repo: Path,
    release: Mapping[str, Any],
    *,
    source: str,
    config_maps: Mapping[str, Mapping[str, str]],
    namespaces: Collection[str],
    namespaced: Namespaced = scope.built_in,
) -> tuple[str, list[dict[str, Any]]]:
    """Where the objects come from (`<chart> (HelmRelease <ns>/<name>)`) and the objects.

    `config_maps` are the ConfigMaps of the HelmRelease's namespace (name → data);
    `namespaces` those the cluster gets anyway (install.createNamespace adds no other).
    """
    where = describe(source, dict(release))
    metadata, spec = release.get("metadata") or {}, release.get("spec") or {}
    chart = _chart(repo, spec, metadata, where)
    chart_spec = spec["chart"]["spec"]
    values = chart_values(spec, config_maps, where)
    namespace = spec.get("targetNamespace") or metadata.get("namespace") or "default"
    name = release_name(release)
    with _chart_folder(repo, chart, chart_spec, where) as chart_dir:
        rendered = helm.render_chart(chart_dir, values, release=name, namespace=namespace, where=where)
        crds = _crds(chart_dir, spec, metadata, where)
    manifest = _post_render([obj for obj in rendered if not _hooks(obj)], spec, metadata, where)
    for obj in manifest:  # after post-rendering, as helm-controller does
        helm.mark_owned(obj, release=name, namespace=namespace)
    hooks = [obj for obj in rendered if _runs_on_install(obj, spec)]
    placed = scope.with_crds(crds, namespaced)
    for obj in [*manifest, *hooks]:
        if placed(str(obj.get("apiVersion", "")), str(obj.get("kind", ""))) is not False:
            obj.setdefault("metadata", {}).setdefault("namespace", namespace)
    created = []
    if (
        spec.get("targetNamespace")
        and (spec.get("install") or {}).get("createNamespace")
        and namespace not in namespaces
    ):
        created = [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace, "labels": {"name": namespace}}}
        ]
    shown = f"{chart.as_posix()} (HelmRelease {metadata.get('namespace')}/{metadata.get('name')})"
    return shown, [*crds, *created, *manifest, *hooks]


def _chart(repo: Path, spec: Mapping[str, Any], metadata: Mapping[str, Any], where: str) -> PurePosixPath:
    """The chart's folder in this repository; RenderError for any field the render cannot honour."""
    problems = flux_fields.refusals(flux_fields.HELM_RELEASE, spec, where)
    chart_spec = (spec.get("chart") or {}).get("spec") or {}
    reference = chart_spec.get("sourceRef") or {}
    found = (reference.get("kind"), reference.get("name"), reference.get("namespace") or metadata.get("namespace"))
    if not problems and found != SOURCE:
        problems.append(f"{where}: spec.chart.spec.sourceRef: only GitRepository flux-system/flux-system renders")
    chart = repository_path(str(chart_spec.get("chart") or ""))
    if not problems and not (repo / chart / "Chart.yaml").is_file():
        problems.append(f"{where}: spec.chart.spec.chart: {chart_spec.get('chart')} is not a chart in this repository")
    if problems:
        raise RenderError(problems)
    return chart


def release_name(release: Mapping[str, Any]) -> str:
    """helm-controller's release name, shortened to 53 characters with a hash (internal/release/name.go)."""
    metadata, spec = release.get("metadata") or {}, release.get("spec") or {}
    name = spec.get("releaseName") or (
        f"{spec['targetNamespace']}-{metadata.get('name')}" if spec.get("targetNamespace") else metadata.get("name")
    )
    name = str(name)
    if len(name) <= 53:
        return name
    return f"{name[:40]}-{hashlib.sha256(name.encode()).hexdigest()[:12]}"


def storage_key(release: Mapping[str, Any]) -> tuple[str, str]:
    """Where Helm keeps the release record: (storage namespace, release name)."""
    spec = release.get("spec") or {}
    return (
        str(spec.get("storageNamespace") or (release.get("metadata") or {}).get("namespace")),
        release_name(release),
    )


def chart_values(spec: Mapping[str, Any], config_maps: Mapping[str, Mapping[str, str]], where: str) -> dict[str, Any]:
    """valuesFrom in order, spec.values over them (fluxcd/pkg chartutil v1.22 ChartValuesFromReferences)."""
    values: dict[str, Any] = copy.deepcopy(dict(spec.get("values") or {}))
    result: dict[str, Any] = {}
    problems: list[str] = []
    for index, reference in enumerate(spec.get("valuesFrom") or []):
        field = f"{where}: spec.valuesFrom[{index}]"
        kind, name, key = reference.get("kind"), reference.get("name"), reference.get("valuesKey") or "values.yaml"
        data = config_maps.get(name)
        if kind == "Secret":
            problems.append(
                f"{field}: Secret {name}: a Secret's values are not known offline, and whether an optional "
                "one exists changes what is installed; use a ConfigMap"
            )
        elif data is None or key not in data:
            if not reference.get("optional"):
                missing = "is not applied by any Kustomization" if data is None else f"has no key '{key}'"
                problems.append(f"{field}: ConfigMap {name} {missing}; mark it optional if it may be absent")
        elif reference.get("targetPath"):
            result = deep_merge(result, values)
            try:
                _set_path(result, str(reference["targetPath"]), data[key])
            except ValueError as error:
                problems.append(f"{field}: targetPath {reference['targetPath']}: {' '.join(str(error).split())}")
        else:
            try:
                result = deep_merge(result, _read_values(data[key]))
            except FluxYamlError as error:
                problems.append(f"{field}: ConfigMap {name} key '{key}' is not a YAML map of values: {error}")
    if problems:
        raise RenderError(problems)
    return deep_merge(result, values)


def _set_path(values: dict[str, Any], path: str, value: str) -> None:
    """ReplacePathValue: Helm's `--set` parser on `path=value` (`--set-string` when quoted), set in place."""
    quoted = len(value) > 0 and any(value.startswith(q) and value.endswith(q) for q in ("'", '"'))
    expression = f"{path}={value.strip(chr(39) + chr(34)) if quoted else value}"
    parsed = helm.parse_set(expression, strings=quoted)
    target: dict[str, Any] = values
    while True:
        [(key, inner)] = parsed.items()
        if isinstance(inner, list):
            raise ValueError("a list index in targetPath is not rendered offline")
        if not isinstance(inner, dict):
            target[key] = inner
            return
        if not isinstance(target.get(key), dict):
            target[key] = {}
        target, parsed = target[key], inner


def _read_values(text: str) -> dict[str, Any]:
    return load_document(text) if text.strip() else {}


def _version_metadata(chart_spec: Mapping[str, Any]) -> str:
    """The build metadata source-controller puts on the chart's version ('' for none)."""
    parts = []
    if chart_spec.get("reconcileStrategy") == "Revision":
        parts.append(OFFLINE_REVISION)
    if chart_spec.get("valuesFiles"):
        parts.append("1")
    return ".".join(parts)


@contextmanager
def _chart_folder(repo: Path, chart: PurePosixPath, chart_spec: Mapping[str, Any], where: str) -> Iterator[Path]:
    """The chart as source-controller packages it: valuesFiles as its values.yaml, and the
    version with build metadata (a copy; the chart folder itself when neither applies)."""
    metadata = _version_metadata(chart_spec)
    if not metadata:
        yield repo / chart
        return
    files = chart_spec.get("valuesFiles") or []
    merged: dict[str, Any] = {}
    for file in files:
        path = repo / repository_path(str(file))
        if not path.exists() and chart_spec.get("ignoreMissingValuesFiles"):
            continue
        if not path.is_file():
            raise RenderError([f"{where}: spec.chart.spec.valuesFiles: no values file found at path '{file}'"])
        try:
            merged = deep_merge(merged, _read_values(path.read_text()))
        except FluxYamlError as error:
            raise RenderError([f"{where}: spec.chart.spec.valuesFiles: {file}: {error}"]) from None
    with tempfile.TemporaryDirectory(prefix="render-chart-") as scratch:
        folder = Path(scratch) / (repo / chart).name
        shutil.copytree(repo / chart, folder)
        if files:
            if not (folder / "values.yaml").is_file():  # source-controller replaces the file, it adds none
                raise RenderError([f"{where}: spec.chart.spec.valuesFiles: failed to locate values file: values.yaml"])
            (folder / "values.yaml").write_text(yaml.safe_dump(merged) if merged else "")
        chart_file = yaml.safe_load((folder / "Chart.yaml").read_text())
        chart_file["version"] = f"{str(chart_file.get('version', '')).split('+')[0]}+{metadata}"
        (folder / "Chart.yaml").write_text(yaml.safe_dump(chart_file, sort_keys=False))
        yield folder


def _crds(chart_dir: Path, spec: Mapping[str, Any], metadata: Mapping[str, Any], where: str) -> list[dict[str, Any]]:
    """crds/ as helm-controller applies them (internal/action/crds.go): no post-renderer, origin labels."""
    if (spec.get("install") or {}).get("crds") == "Skip":
        return []
    with helm.LoadedChart(chart_dir, where=where) as chart:
        crds = [obj for obj in chart.crd_objects() if obj.get("kind") == "CustomResourceDefinition"]
        others = [obj for obj in chart.crd_objects() if obj.get("kind") != "CustomResourceDefinition"]
    if others:
        names = ", ".join(f"{o.get('kind')} {(o.get('metadata') or {}).get('name')}" for o in others)
        raise RenderError([f"{where}: crds/ holds {names}: helm-controller applies only CustomResourceDefinitions"])
    for crd in crds:
        _merge(crd, "labels", {f"{GROUP}/name": metadata.get("name"), f"{GROUP}/namespace": metadata.get("namespace")})
    return crds


def _hooks(obj: Mapping[str, Any]) -> set[str]:
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    return {hook.strip() for hook in str(annotations.get("helm.sh/hook", "")).split(",") if hook.strip()}


def _runs_on_install(obj: Mapping[str, Any], spec: Mapping[str, Any]) -> bool:
    hooks = _hooks(obj)
    if hooks & TEST_HOOKS:
        test = spec.get("test") or {}
        name = (obj.get("metadata") or {}).get("name")
        filters = test.get("filters") or []
        excluded = {f.get("name") for f in filters if f.get("exclude")}
        included = {f.get("name") for f in filters if not f.get("exclude")}
        return bool(test.get("enable")) and name not in excluded and (not included or name in included)
    return bool(hooks & INSTALL_HOOKS) and not (spec.get("install") or {}).get("disableHooks")


def _post_render(
    objects: list[dict[str, Any]], spec: Mapping[str, Any], metadata: Mapping[str, Any], where: str
) -> list[dict[str, Any]]:
    for index, renderer in enumerate(spec.get("postRenderers") or []):
        transformers = renderer.get("kustomize") or {}
        kustomization = {
            "patches": [
                {"patch": p.get("patch", ""), **({"target": p["target"]} if p.get("target") else {})}
                for p in transformers.get("patches") or []
            ],
            "images": [{k: v for k, v in image.items() if v} for image in transformers.get("images") or []],
        }
        texts = kustomize.build_with(
            kustomization, yaml.safe_dump_all(objects, sort_keys=False), f"{where}: spec.postRenderers[{index}]"
        )
        objects = [load_document(text) for text in texts]
    common = spec.get("commonMetadata") or {}
    origin = {f"{GROUP}/name": metadata.get("name"), f"{GROUP}/namespace": metadata.get("namespace")}
    for obj in objects:
        _merge(obj, "labels", common.get("labels") or {})
        _merge(obj, "annotations", common.get("annotations") or {})
        _merge(obj, "labels", origin)  # after commonMetadata: Flux's origin labels win
    return objects


def _merge(obj: dict[str, Any], field: str, entries: Mapping[str, Any]) -> None:
    if entries:
        meta = obj.setdefault("metadata", {})
        meta[field] = {**(meta.get(field) or {}), **{key: str(value) for key, value in entries.items()}}
