"""The one module that talks to Helm (through helm-python-sdk, which is young: keep it here).

Renders a chart offline, as `helm template` would, after checking the values against
the chart's values.schema.json.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import helm_python
import yaml

from render.errors import RenderError


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
    objects: list[dict[str, Any]] = []
    for template, text in sorted(manifests.items()):
        if not template.endswith((".yaml", ".yml")):
            continue
        objects.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return objects


def lint_chart(chart_dir: Path, values: dict[str, Any]) -> list[str]:
    """Lint errors and warnings (strict), as `helm lint --strict` reports them."""
    report = helm_python.lint(chart_dir, values, strict=True)
    findings = [f"{m['path']}: {m['error']}" for m in report["messages"] if m["severity"] >= 2]
    return [*findings, *report["errors"]]


def _lines(error: Exception) -> list[str]:
    text = str(error)
    lines = [line for line in text.splitlines() if line.strip() and not line.rstrip().endswith(":")]
    return lines or [text]
