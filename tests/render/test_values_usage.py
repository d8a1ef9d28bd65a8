"""Supplied values a chart ignores are named; values it reads, however indirectly, are not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from render.helm import LoadedChart
from render.values_usage import MESSAGE, changed, ignored_values

TEMPLATES = {
    "deployment.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Values.name }}
spec:
  replicas: {{ .Values.replicas }}
  paused: {{ .Values.paused }}
  template:
    metadata:
      annotations: {{ toJson .Values.annotations }}
    spec:
      containers:
        - name: app
          args: {{ toJson .Values.args }}
""",
    # A fresh random token at every render, as a webhook's self-signed certificate is.
    "secret.yaml": """\
apiVersion: v1
kind: Secret
metadata:
  name: {{ .Values.name }}-token
stringData:
  token: {{ randAlphaNum 16 }}
""",
    # Renders only for mode `a`: any other mode fails the render.
    "mode.yaml": '{{ if ne .Values.mode "a" }}{{ fail "mode must be a" }}{{ end }}',
    "NOTES.txt": "{{ .Values.note }}",
}
SUPPLIED: dict[str, Any] = {
    "name": "app",
    "replicas": 2,
    "paused": False,
    "annotations": {},
    "args": ["--one", "--two"],
    "mode": "a",
}


@pytest.fixture
def chart(tmp_path: Path) -> Path:
    folder = tmp_path / "demo"
    (folder / "templates").mkdir(parents=True)
    (folder / "Chart.yaml").write_text("apiVersion: v2\nname: demo\nversion: 0.1.0\n")
    for name, text in TEMPLATES.items():
        (folder / "templates" / name).write_text(text)
    return folder


def ignored(chart: Path, supplied: dict[str, Any]) -> list[str]:
    with LoadedChart(chart, where="demo") as loaded:
        return ignored_values(
            supplied,
            lambda values: loaded.manifests(values, release="demo", namespace="demo", kubernetes_version="1.35"),
        )


def test_every_value_the_templates_read_counts_as_used(chart: Path) -> None:
    """Strings, numbers, bools, lists and empty maps; the random token never makes a typo look used."""
    assert ignored(chart, SUPPLIED) == []


def test_a_misspelt_key_is_named(chart: Path) -> None:
    assert ignored(chart, {**SUPPLIED, "replicaCounnt": 3, "nested": {"replicaCounnt": 3}}) == [
        f"values.replicaCounnt {MESSAGE}",
        f"values.nested.replicaCounnt {MESSAGE}",
    ]


def test_a_value_only_notes_read_counts_as_ignored(chart: Path) -> None:
    """NOTES.txt reaches no cluster: a value it alone reads changes nothing that is applied."""
    assert ignored(chart, {**SUPPLIED, "note": "hello"}) == [f"values.note {MESSAGE}"]


def test_keys_with_dots_are_shown_in_brackets(chart: Path) -> None:
    assert ignored(chart, {**SUPPLIED, "podLabels": {"app.kubernetes.io/part-of": "x"}}) == [
        f'values.podLabels["app.kubernetes.io/part-of"] {MESSAGE}'
    ]


def test_a_change_that_breaks_the_render_counts_as_used(chart: Path) -> None:
    """`mode` is only checked, never printed: the failing render is the evidence it is read."""
    assert "values.mode" not in " ".join(ignored(chart, SUPPLIED))


def test_nothing_supplied_renders_nothing_more(chart: Path) -> None:
    def render(values: dict[str, Any]) -> dict[str, str]:
        raise AssertionError("no leaf, no render")

    assert ignored_values({}, render) == []


@pytest.mark.parametrize(
    ("value", "other"),
    [
        (True, False),
        (False, True),
        (2, 3),
        (0.5, 1.5),
        ("sync", "sync-changed"),
        (["a", "b"], ["a"]),
        ([], ["changed"]),
        ({}, {"changed": "changed"}),
        (None, "changed"),
    ],
)
def test_each_leaf_changes_within_its_type(value: Any, other: Any) -> None:
    assert changed(value) == other
