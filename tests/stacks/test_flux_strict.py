"""Flux on the cluster is as strict as the offline render, and reacts to the bridge at once.

Facts from upstream, where each was read:
- the gate's name: fluxcd/kustomize-controller v1.8.5 internal/features/features.go;
- what flux-operator v0.58.0 itself appends to kustomize-controller's args for this
  FluxInstance (cluster size `medium`: internal/builder/profiles.go; Flux >= 2.7:
  internal/builder/workload_identity.go), in `OPERATOR_ARGS`;
- repeated --feature-gates flags add up (k8s.io/component-base cli/flag MapStringBool,
  which fluxcd/pkg runtime/features binds the flag to), in `feature_gates`;
- the watch label: fluxcd/pkg apis/meta/labels.go (LabelKeyWatch, LabelValueWatchEnabled).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from stacks.config import Environment
from stacks.constructs.addons import flux
from stacks.merge import deep_merge
from tests.conftest import ROOT
from tests.helpers import Document, by_path

STRICT = "--feature-gates=StrictPostBuildSubstitutions=true"
OPERATOR_ARGS = ["--concurrent=10", "--requeue-dependency=5s", "--feature-gates=ObjectLevelWorkloadIdentity=false"]
KUSTOMIZE_CONTROLLER = ROOT.parent / "shared" / "upstream" / "flux-v2.8.8" / "kustomize-controller.yaml"


def instance_values(stack: Document) -> dict[str, Any]:
    _, body = by_path(stack, "helm_release", "flux-instance/release")
    values: dict[str, Any] = json.loads(body["values"][0])
    return values


def add_arg(value: str) -> dict[str, Any]:
    operation = {"op": "add", "path": "/spec/template/spec/containers/0/args/-", "value": value}
    return {"target": {"kind": "Deployment", "name": "kustomize-controller"}, "patch": json.dumps([operation])}


def patched_args(tmp_path: Path, patches: list[dict[str, Any]]) -> list[str]:
    """kustomize-controller's args once the operator's and then the FluxInstance's patches apply."""
    (tmp_path / "kustomize-controller.yaml").write_text(KUSTOMIZE_CONTROLLER.read_text())
    kustomization = {"resources": ["kustomize-controller.yaml"], "patches": patches}
    (tmp_path / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
    built = subprocess.run(["kubectl", "kustomize", str(tmp_path)], capture_output=True, text=True, check=True).stdout
    [deployment] = [o for o in yaml.safe_load_all(built) if o and o["kind"] == "Deployment"]
    args: list[str] = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    return args


def feature_gates(args: list[str]) -> dict[str, bool]:
    """The gates the controller runs with: every --feature-gates flag adds its pairs."""
    gates: dict[str, bool] = {}
    for arg in args:
        if arg.startswith("--feature-gates="):
            for pair in arg.removeprefix("--feature-gates=").split(","):
                name, value = pair.split("=")
                gates[name.strip()] = value.strip().lower() == "true"
    return gates


def test_every_environments_flux_instance_turns_strict_substitution_on(
    stacks: dict[str, Document], environments: dict[str, Environment]
) -> None:
    for env in environments:
        patches = instance_values(stacks[f"{env}-platform"])["instance"]["kustomize"]["patches"]
        strict = [p for p in patches if STRICT in [op.get("value") for op in yaml.safe_load(p["patch"])]]
        assert len(strict) == 1, f"{env}: FluxInstance spec.kustomize.patches: {patches}"
        assert strict[0]["target"] == {"kind": "Deployment", "name": "kustomize-controller"}, env
    assert flux.STRICT_SUBSTITUTION_ARG == STRICT  # the constant the render can read


@pytest.mark.skipif(not KUSTOMIZE_CONTROLLER.is_file(), reason=f"upstream cache {KUSTOMIZE_CONTROLLER} is missing")
def test_the_patch_turns_the_gate_on_and_keeps_the_operators_gates(stacks: dict[str, Document], tmp_path: Path) -> None:
    patches = instance_values(stacks["prod-platform"])["instance"]["kustomize"]["patches"]
    args = patched_args(tmp_path, [*[add_arg(arg) for arg in OPERATOR_ARGS], *patches])
    assert args[-1] == STRICT
    assert feature_gates(args) == {"ObjectLevelWorkloadIdentity": False, "StrictPostBuildSubstitutions": True}


@pytest.mark.skipif(not KUSTOMIZE_CONTROLLER.is_file(), reason=f"upstream cache {KUSTOMIZE_CONTROLLER} is missing")
def test_a_patch_that_replaces_the_operators_gate_flag_is_told_apart(tmp_path: Path) -> None:
    """The defect the appended flag avoids: overwriting the flag the operator set."""
    operators = [add_arg(arg) for arg in OPERATOR_ARGS]
    index = len(patched_args(tmp_path, operators)) - 1
    replace = {"op": "replace", "path": f"/spec/template/spec/containers/0/args/{index}", "value": STRICT}
    clobbering = {"target": {"kind": "Deployment", "name": "kustomize-controller"}, "patch": json.dumps([replace])}
    assert feature_gates(patched_args(tmp_path, [*operators, clobbering])) == {"StrictPostBuildSubstitutions": True}


def test_an_environments_own_patches_come_after_the_strict_one() -> None:
    mine = add_arg("--log-level=debug")
    props = flux.flux_instance(
        repository_url="https://github.com/acme/platform.git",
        branch="main",
        path="clusters/dev",
        git_credential=None,
        image_repository_arn=None,
        overrides={"instance": {"kustomize": {"patches": [mine]}, "cluster": {"size": "large"}}},
    )
    values = deep_merge(props.values, props.overrides)
    assert values["instance"]["kustomize"]["patches"] == [flux.strict_substitution_patch(), mine]
    assert values["instance"]["cluster"]["size"] == "large"


def test_the_bridge_is_watched_so_a_new_value_reconciles_at_once(
    stacks: dict[str, Document], environments: dict[str, Environment]
) -> None:
    for env in environments:
        _, config_map = by_path(stacks[f"{env}-platform"], "kubernetes_config_map_v1", "bridge/config-map")
        assert config_map["metadata"]["labels"].get("reconcile.fluxcd.io/watch") == "Enabled", env
