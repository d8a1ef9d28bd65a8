"""The one module that talks to Helm (through helm-python-sdk, which is young: keep it here).

Renders a chart offline, as `helm template` would, after checking the values against
the chart's values.schema.json; loads a chart archive once to render it many times;
pulls a chart archive as `helm pull` does, in a child process so that a pull without
network can be stopped.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from types import TracebackType
from typing import Any

import helm_python
import yaml
from helm_python import _native

from render.errors import RenderError
from render.fast_yaml import LOADER

# A `helm install` creates no test hooks: those run only under `helm test`.
TEST_HOOKS = {"test", "test-success", "test-failure"}


def render_chart(
    chart_dir: Path, values: dict[str, Any], *, release: str, namespace: str, where: str
) -> list[dict[str, Any]]:
    try:
        with helm_python.Chart.load(chart_dir) as chart:
            merged = chart.merge_values(values)
            chart.validate_schema(merged)
            manifests = chart.render(merged, name=release, namespace=namespace, is_install=True)
    except helm_python.HelmValuesError as error:
        raise RenderError([f"{where}: values: {line.strip().lstrip('- ')}" for line in _lines(error)]) from None
    except helm_python.HelmError as error:
        raise RenderError([f"{where}: helm: {line}" for line in _lines(error)]) from None
    return _objects(manifests)


def lint_chart(chart_dir: Path, values: dict[str, Any]) -> list[str]:
    """Lint errors and warnings (strict), as `helm lint --strict` reports them."""
    report = helm_python.lint(chart_dir, values, strict=True)
    findings = [f"{m['path']}: {m['error']}" for m in report["messages"] if m["severity"] >= 2]
    return [*findings, *report["errors"]]


def parse_set(expression: str, *, strings: bool) -> dict[str, Any]:
    """Helm's `--set` parser on `path=value` (`--set-string`'s when `strings`: every value stays a string).

    A malformed expression raises ValueError, so callers need not know helm-python-sdk's errors.
    """
    try:
        return helm_python.parse_set_string_values(expression) if strings else helm_python.parse_set_string(expression)
    except helm_python.HelmValuesError:
        raise  # already a ValueError
    except helm_python.HelmError as error:
        raise ValueError(str(error)) from None


class LoadedChart:
    """A chart archive loaded once: the values-usage check renders one chart dozens of times."""

    def __init__(self, path: Path, *, where: str) -> None:
        self.where = where
        try:
            self._chart = helm_python.Chart.load(path)
        except helm_python.HelmError as error:
            raise RenderError([f"{where}: {path}: {line}" for line in _lines(error)]) from None
        metadata = self._chart.metadata
        self.name = str(metadata.get("name", ""))
        self.version = str(metadata.get("version", ""))

    def __enter__(self) -> LoadedChart:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._chart.close()

    def crd_objects(self) -> list[dict[str, Any]]:
        """The CRDs of `crds/` (the chart's and its subcharts'), which `helm install` applies first."""
        try:
            return [doc for crd in self._chart.crds for doc in documents(crd["data"])]
        except yaml.YAMLError as error:
            raise RenderError([f"{self.where}: crds/: not valid YAML: {_first_line(error)}"]) from None

    def render(
        self, values: dict[str, Any], *, release: str, namespace: str, kubernetes_version: str
    ) -> list[dict[str, Any]]:
        """The templates' objects as an install would create them, after the chart's schema check."""
        manifests = self.manifests(values, release=release, namespace=namespace, kubernetes_version=kubernetes_version)
        try:
            return [obj for obj in _objects(manifests) if not _is_test_hook(obj)]
        except yaml.YAMLError as error:
            raise RenderError([f"{self.where}: rendered templates are not valid YAML: {_first_line(error)}"]) from None

    def manifests(
        self, values: dict[str, Any], *, release: str, namespace: str, kubernetes_version: str
    ) -> dict[str, str]:
        """Template path → rendered YAML text, for the YAML templates (not NOTES.txt).

        `kubernetes_version` becomes `.Capabilities.KubeVersion`. helm-python-sdk 0.2.2's
        `Chart.render` has no argument for it although its C library takes one
        (`kube_version` among helm_render's options), so the library is called directly.
        """
        options = {
            "name": release,
            "namespace": namespace,
            "is_install": True,
            "kube_version": _kube_version(kubernetes_version),
        }
        try:
            payload = _native.call_string("helm_render", self._chart._raw(), json.dumps(values), json.dumps(options))
        except helm_python.HelmValuesError as error:
            raise RenderError([f"{self.where}: {line}" for line in _schema_lines(error, self.name)]) from None
        except helm_python.HelmError as error:
            raise RenderError([f"{self.where}: helm: {line}" for line in _lines(error)]) from None
        manifests: dict[str, str] = json.loads(payload)
        return {template: text for template, text in manifests.items() if template.endswith((".yaml", ".yml"))}


class PullFailed(Exception):
    """`helm pull` could not fetch the chart (no network, no such version, no answer in time)."""


def pull_chart(name: str, version: str, repository: str, destination: Path, *, timeout: float) -> Path:
    """`helm pull` of one chart version into `destination`; the archive's path.

    Helm's pull has no timeout of its own, and a call into the library cannot be
    interrupted, so the pull runs in a child process that is killed after `timeout`
    seconds.
    """
    if repository.startswith("oci://"):
        request = {"ref": f"{repository.rstrip('/')}/{name}", "version": version}
    else:
        request = {"ref": name, "version": version, "repo_url": repository}
    request["destination"] = str(destination)
    try:
        child = subprocess.run(  # noqa: S603 - this interpreter, a fixed script, a JSON argument
            [sys.executable, "-c", _PULL_SCRIPT, json.dumps(request)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise PullFailed(f"no answer within {timeout:g}s") from None
    if child.returncode != 0:
        message = (child.stderr.strip() or child.stdout.strip() or f"exit code {child.returncode}").splitlines()
        raise PullFailed(message[-1])
    archives = sorted(destination.glob("*.tgz"))
    if len(archives) != 1:
        raise PullFailed(f"expected one chart archive in {destination}, found {len(archives)}")
    return archives[0]


_PULL_SCRIPT = """
import json, sys
import helm_python
request = json.loads(sys.argv[1])
try:
    helm_python.pull(request["ref"], destination=request["destination"], version=request["version"],
                     repo_url=request.get("repo_url"))
except helm_python.HelmError as error:
    sys.exit(" ".join(str(error).split()))
"""


def _kube_version(version: str) -> str:
    """`1.35` → `v1.35.0`, the form a real API server reports (`.Capabilities.KubeVersion.Version`)."""
    parts = version.removeprefix("v").split(".")
    return "v" + ".".join(parts + ["0"] * (3 - len(parts)))


def _objects(manifests: dict[str, str]) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    for template, text in sorted(manifests.items()):
        if template.endswith((".yaml", ".yml")):
            objects.extend(documents(text))
    return objects


def documents(text: str) -> list[dict[str, Any]]:
    """The objects of a multi-document YAML text; a `List` stands for its items, as for kubectl and Helm."""
    objects: list[dict[str, Any]] = []
    for doc in yaml.load_all(text, Loader=LOADER):
        if not doc:
            continue
        if doc.get("kind") == "List" and doc.get("apiVersion") == "v1":
            objects.extend(item for item in doc.get("items") or [] if item)
        else:
            objects.append(doc)
    return objects


def _is_test_hook(obj: dict[str, Any]) -> bool:
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    hooks = {hook.strip() for hook in str(annotations.get("helm.sh/hook", "")).split(",")}
    return bool(hooks & TEST_HOOKS)


_SCHEMA_PROBLEM = re.compile(r"^-?\s*at '(?P<pointer>[^']*)': (?P<message>.*)$")


def _schema_lines(error: Exception, chart: str) -> list[str]:
    """Schema problems as `values.<path>: <message> (values.schema.json)`; a subchart's under its name."""
    lines: list[str] = []
    scope = ""
    for line in str(error).splitlines():
        text = line.strip()
        if not text or text.startswith("values don't meet"):
            continue
        if text.endswith(":") and " " not in text:
            scope = "" if text[:-1] == chart else text[:-1]
            continue
        match = _SCHEMA_PROBLEM.match(text)
        if match is None:
            lines.append(f"values: {text.lstrip('- ')}")
            continue
        parts = [scope] if scope else []
        parts += [part.replace("~1", "/").replace("~0", "~") for part in match["pointer"].split("/") if part]
        path = "".join(f"[{part}]" if part.isdigit() else f".{part}" for part in parts)
        lines.append(f"values{path}: {match['message']} (values.schema.json)")
    return lines or [f"values: {error}"]


def _first_line(error: Exception) -> str:
    return " ".join(str(error).split())


def _lines(error: Exception) -> list[str]:
    text = str(error)
    lines = [line for line in text.splitlines() if line.strip() and not line.rstrip().endswith(":")]
    return lines or [text]


def mark_owned(obj: dict[str, Any], *, release: str, namespace: str) -> None:
    """Helm's ownership label and annotations, as `helm install` sets them (pkg/action setMetadataVisitor)."""
    metadata = obj.setdefault("metadata", {})
    metadata["labels"] = {**(metadata.get("labels") or {}), "app.kubernetes.io/managed-by": "Helm"}
    metadata["annotations"] = {
        **(metadata.get("annotations") or {}),
        "meta.helm.sh/release-name": release,
        "meta.helm.sh/release-namespace": namespace,
    }
