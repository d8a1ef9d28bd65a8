"""kustomize-controller v1.8's post-build substitution on one object, as users meet it.

Sources: fluxcd/pkg kustomize/v1.27.2 kustomize_varsub.go (SubstituteVariables,
varSubstitution) with its test and testdata; fluxcd/kustomize-controller v1.8.5
internal/controller/kustomization_varsub_test.go and kustomization_controller.go; kyaml
v0.21.1 rnode.go (UnmarshalJSON) and resid/gvk.go. Objects are printed by `kubectl
kustomize`, whose text is kustomize's `Resource.AsYAML()`, the text Flux substitutes in.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from render.flux_yaml import load_document
from render.substitute import (
    DISABLE_MARKER,
    SubstitutionError,
    flux_failure_prefix,
    invalid_variable_names,
    substitute_document,
    substitution_disabled,
)

KUBECTL = shutil.which("kubectl")


def printed(tmp_path: Path, manifest: str) -> str:
    """The manifest as `kustomize build` prints it (keys sorted, quotes only where YAML needs them)."""
    if KUBECTL is None:
        pytest.skip("kubectl (with its kustomize) is a prerequisite of rendering and is not installed")
    (tmp_path / "kustomization.yaml").write_text("resources:\n- object.yaml\n")
    (tmp_path / "object.yaml").write_text(manifest)
    result = subprocess.run([KUBECTL, "kustomize", str(tmp_path)], capture_output=True, text=True, check=True)
    return result.stdout


def config_map(data: str, metadata: str = "") -> str:
    """A ConfigMap exactly as kustomize prints one with these `data` lines (two-space indented)."""
    return f"apiVersion: v1\ndata:\n{data}kind: ConfigMap\nmetadata:\n{metadata}  name: app\n"


# fluxcd/pkg kustomize/testdata/resources/deployment.yaml, the app-vars ConfigMap of
# testdata/configmap.yaml and the inline variables of testdata/kustomization_varsub.yaml
UPSTREAM_DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  namespace: apps
  labels:
    environment: ${cluster_env:=dev}
    region: ${cluster_region}
spec:
  selector:
    matchLabels:
      app: app
  template:
    metadata:
      annotations:
        prometheus.io/scrape: ${prometheus_scrape:=false}
        prometheus.io/port: ${prometheus_port}
      labels:
        app: app
    spec:
      containers:
      - name: nginx
        image: ${image}
        imagePullPolicy: IfNotPresent
"""
UPSTREAM_VALUES = {
    "prometheus_scrape": '"true"',
    "prometheus_port": '"9797"',
    "image": "nginx:1.21.4",
    "cluster_env": "prod",
    "cluster_region": "eu-central-1",
}


def test_upstream_fixture_comes_out_as_flux_expects(tmp_path: Path) -> None:
    # kustomize_varsub_test.go TestKustomization_Varsub against kustomization_varsub_expected.yaml
    body = substitute_document(printed(tmp_path, UPSTREAM_DEPLOYMENT), UPSTREAM_VALUES, strict=False)
    assert body["metadata"]["labels"] == {"environment": "prod", "region": "eu-central-1"}
    pod = body["spec"]["template"]
    assert pod["metadata"]["annotations"] == {"prometheus.io/port": "9797", "prometheus.io/scrape": "true"}
    assert pod["spec"]["containers"][0]["image"] == "nginx:1.21.4"


@pytest.mark.parametrize("field", ["labels", "annotations"])
def test_disable_marker_leaves_the_object_as_built(field: str) -> None:
    # kustomize_varsub.go: labelled or annotated `disabled` → nothing substituted, nothing checked
    text = config_map("  k: ${missing}\n", f"  {field}:\n    {DISABLE_MARKER}: disabled\n")
    assert substitution_disabled(load_document(text))
    body = substitute_document(text, {"bad-name": "x"}, strict=True)
    assert body["data"] == {"k": "${missing}"}


def test_disable_marker_must_say_disabled() -> None:
    # kustomize_varsub.go compares the value with DisabledValue "disabled" exactly
    text = config_map("  k: ${v}\n", f"  annotations:\n    {DISABLE_MARKER}: Disabled\n")
    assert not substitution_disabled(load_document(text))
    assert substitute_document(text, {"v": "x"}, strict=True)["data"] == {"k": "x"}


def test_invalid_variable_names_fail_like_flux() -> None:
    # kustomize_varsub.go varsubRegex (RE2's [:alpha:] is ASCII) and its error wording
    pattern = "^[_[:alpha:]][_[:alpha:][:digit:]]*$"
    assert invalid_variable_names({"db-host": "x", "_ok1": "y", "1st": "z", "café": "w"}) == [
        f"envsubst error: '1st' var name is invalid, must match '{pattern}'",
        f"envsubst error: 'café' var name is invalid, must match '{pattern}'",
        f"envsubst error: 'db-host' var name is invalid, must match '{pattern}'",
    ]
    with pytest.raises(SubstitutionError, match=r"^envsubst error: 'db-host' var name is invalid"):
        substitute_document(config_map("  k: v\n"), {"db-host": "x"}, strict=False)


def test_strict_missing_variable_is_flux_error() -> None:
    # kustomization_varsub_test.go TestKustomizationReconciler_VarsubStrict; kustomize_varsub.go wrapping
    text = config_map("  default: ${default:=test}\n  missing: ${missing}\n")
    with pytest.raises(SubstitutionError) as caught:
        substitute_document(text, {"test": "test"}, strict=True)
    assert (
        str(caught.value) == 'envsubst error: variable substitution failed: variable not set (strict mode): "missing"'
    )


def test_non_strict_missing_variable_is_empty_so_null() -> None:
    # kustomize_varsub_test.go "Test with strict mode off": no error; `missing: ` reads as null
    text = config_map("  default: ${default:=test}\n  missing: ${missing}\n")
    assert substitute_document(text, {"test": "test"}, strict=False)["data"] == {"default": "test", "missing": None}


def test_newlines_are_removed_from_values() -> None:
    # kustomization_varsub_test.go TestKustomizationReconciler_Varsub: "\naz-1b\n" → "az-1b"
    assert substitute_document(config_map("  zone: ${zone}\n"), {"zone": "\naz-1b\n"}, strict=True)["data"] == {
        "zone": "az-1b"
    }


def test_without_variables_nothing_happens() -> None:
    # kustomize_varsub.go: `if len(vars) > 0` — no substitution, so no strict failure either
    assert substitute_document(config_map("  k: ${x}\n"), {}, strict=True)["data"] == {"k": "${x}"}


def test_quotes_in_the_manifest_do_not_keep_a_string(tmp_path: Path) -> None:
    # kustomize-controller#554: `tenantId: "${TENANT_ID}"` with '004' gave `tenantId: 4`, because
    # kustomize prints `${TENANT_ID}` unquoted and 004 is octal to go-yaml v2
    text = printed(tmp_path, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  id: "${TENANT_ID}"\n')
    assert "id: ${TENANT_ID}\n" in text
    assert substitute_document(text, {"TENANT_ID": "004"}, strict=True)["data"] == {"id": 4}


def test_documented_ways_to_keep_strings() -> None:
    # kustomization_varsub_test.go TestKustomizationReconciler_VarsubNumberBool
    text = config_map("  enabled: ${booleanStr}\n  id: ${q}${number}${q}\n  interval: ${number}m\n  raw: ${boolean}\n")
    values = {"q": '"', "numberStr": "!!str 123", "number": "123", "booleanStr": "!!str true", "boolean": "true"}
    assert substitute_document(text, values, strict=True)["data"] == {
        "enabled": "true",
        "id": "123",
        "interval": "123m",
        "raw": True,
    }


def test_escapes_in_a_literal_block() -> None:
    # kustomization_varsub_test.go TestKustomizationReconciler_VarsubNumberBool, the ConfigMap's `text`
    text = config_map("  text: |\n    This variable is escaped $${var}\n\n    \\?\n")
    assert substitute_document(text, {"var": "x"}, strict=True)["data"] == {
        "text": "This variable is escaped ${var}\n\n\\?\n"
    }


def test_yaml_1_1_words_become_booleans() -> None:
    # fluxcd/flux2#4606: "yes" and "no" substituted into values became true and false
    text = config_map("  a: ${a}\n  b: ${b}\n  c: ${c}\n")
    assert substitute_document(text, {"a": "yes", "b": "no", "c": "on"}, strict=True)["data"] == {
        "a": True,
        "b": False,
        "c": True,
    }


CHANGED_SHAPE: list[tuple[str, Any]] = [
    ("a #b", "a"),  # ` #` starts a comment
    ("#b", None),  # the whole value is a comment
    ("&anchor", None),  # an anchor on an empty node
    ("!tag", ""),  # a tag on an empty scalar: go-yaml resolves an unknown tag to the text
    ("[a, b]", ["a", "b"]),  # a flow sequence
    ("{a: 1}", {"a": 1}),  # a flow mapping
    ("|", ""),  # an empty literal block
]


@pytest.mark.parametrize(("value", "expected"), CHANGED_SHAPE)
def test_the_substitution_is_textual(value: str, expected: Any) -> None:
    assert substitute_document(config_map("  k: ${v}\n"), {"v": value}, strict=True)["data"] == {"k": expected}


BROKEN: list[tuple[str, str]] = [
    ("a: b", "yaml: line 3: mapping values are not allowed in this context"),
    ("*x", "yaml: unknown anchor 'x' referenced"),
    ("- a", "yaml: line 3: block sequence entries are not allowed in this context"),
    ('"', "yaml: line 7: found unexpected end of stream"),
    ("@x", "yaml: line 3: found character that cannot start any token"),
]


@pytest.mark.parametrize(("value", "problem"), BROKEN)
def test_broken_yaml_after_substitution_is_one_flux_line(value: str, problem: str) -> None:
    # kustomize_varsub.go: `fmt.Errorf("YAMLToJSON: %w")` inside `envsubst error: %w`
    with pytest.raises(SubstitutionError) as caught:
        substitute_document(config_map("  k: ${v}\n"), {"v": value}, strict=True)
    assert str(caught.value) == f"envsubst error: YAMLToJSON: {problem}"


def test_parse_errors_and_panics_are_reported_as_flux_does() -> None:
    with pytest.raises(
        SubstitutionError, match=r"^envsubst error: variable substitution failed: missing closing brace$"
    ):
        substitute_document(config_map("  k: ${v-default}\n"), {"v": "x"}, strict=True)
    # funcs.go toSubstr slices out of range; controller-runtime recovers the panic
    with pytest.raises(
        SubstitutionError, match=r"^panic: runtime error: slice bounds out of range \[1:0\] \[recovered\]$"
    ):
        substitute_document(config_map("  k: ${v:1:-1}\n"), {"v": "abc"}, strict=True)


def test_numbers_pass_through_kustomize_float64_map() -> None:
    # kyaml rnode.go RNode.UnmarshalJSON decodes into map[string]interface{}: numbers become float64
    text = config_map("  big: ${big}\n  max: ${max}\n")
    data = substitute_document(text, {"big": "9007199254740993", "max": "9223372036854775807"}, strict=True)["data"]
    assert data == {"big": 9007199254740992, "max": 9223372036854775807.0}
    assert isinstance(data["max"], float)


def test_failure_prefix_names_the_object_as_flux_does() -> None:
    # kustomization_controller.go "post build failed for '%s/%s'" with res.GetGvk() (kyaml resid/gvk.go String)
    assert flux_failure_prefix(load_document(config_map(""))) == "post build failed for 'ConfigMap.v1.[noGrp]/app'"
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}}
    assert flux_failure_prefix(deployment) == "post build failed for 'Deployment.v1.apps/web'"


def test_text_that_is_not_kustomize_output_is_refused() -> None:
    with pytest.raises(
        SubstitutionError, match=r"^the object's text is not what kustomize prints: yaml: mapping values"
    ):
        substitute_document("a: b: c\n", {"v": "x"}, strict=True)
