"""The Flux tree is checked against what the platform releases install: served kinds and strictness."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from render.errors import RenderError
from render.installed import InstalledPlatform, installed_platform
from render.platform_releases import PlatformRender, render_platform_releases
from render.upstream_cache import upstream_cache_dir
from stacks.config import Environment
from tests.conftest import ENVIRONMENT_NAMES
from tests.helpers import Document

CACHE = upstream_cache_dir()
IMAGE_POLICY = ("image.toolkit.fluxcd.io/v1", "ImagePolicy")
EXTERNAL_SECRET = ("external-secrets.io/v1", "ExternalSecret")
FLUX_INSTANCE = ("fluxcd.controlplane.io/v1", "FluxInstance")


@pytest.fixture(scope="module")
def platform(stacks: dict[str, Document], environments: dict[str, Environment]) -> dict[str, PlatformRender]:
    if not (CACHE / "charts").is_dir():
        pytest.skip(f"upstream cache {CACHE} is absent: set UPSTREAM_CACHE")
    return {
        env: render_platform_releases(
            stacks[f"{env}-platform"], kubernetes_version="1.35", cache=CACHE / "charts", check_values=False
        )
        for env in environments
    }


def with_instance(platform: PlatformRender, change: dict[str, Any]) -> PlatformRender:
    """A copy whose FluxInstance spec has `change` merged in (None deletes a key)."""
    changed = copy.deepcopy(platform)
    [instance] = [o for r in changed.releases for o in r.objects if o["kind"] == "FluxInstance"]
    for key, value in change.items():
        if value is None:
            instance["spec"].pop(key, None)
        else:
            instance["spec"][key] = value
    return changed


def installed(platform: PlatformRender, **change: Any) -> InstalledPlatform:
    return installed_platform(with_instance(platform, change), CACHE)


def test_image_automation_kinds_are_served_only_where_its_controllers_run(platform: dict[str, PlatformRender]) -> None:
    assert installed(platform["dev"]).catalog.serves(*IMAGE_POLICY)
    assert not installed(platform["prod"]).catalog.serves(*IMAGE_POLICY)


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_every_environment_serves_the_kinds_of_the_bridge_flows(platform: dict[str, PlatformRender], env: str) -> None:
    catalog = installed(platform[env]).catalog
    assert catalog.serves(*EXTERNAL_SECRET)  # from the External Secrets chart
    assert catalog.serves(*FLUX_INSTANCE)  # from flux-operator's CRDs at its pinned version
    assert catalog.serves("kustomize.toolkit.fluxcd.io/v1", "Kustomization")


def test_an_instance_without_components_runs_flux_defaults(platform: dict[str, PlatformRender]) -> None:
    found = installed(platform["dev"], components=None)
    assert found.flux_components == (
        "source-controller",
        "kustomize-controller",
        "helm-controller",
        "notification-controller",
    )
    assert not found.catalog.serves(*IMAGE_POLICY)


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_the_stacks_make_substitution_strict(platform: dict[str, PlatformRender], env: str) -> None:
    assert installed(platform[env]).strict_substitution


def test_without_the_patch_substitution_is_not_strict(platform: dict[str, PlatformRender]) -> None:
    assert not installed(platform["dev"], kustomize=None).strict_substitution


def test_a_later_flag_turning_the_gate_off_wins(platform: dict[str, PlatformRender]) -> None:
    [instance] = [o for r in platform["dev"].releases for o in r.objects if o["kind"] == "FluxInstance"]
    patches = list(instance["spec"]["kustomize"]["patches"])
    off = [
        {
            "op": "add",
            "path": "/spec/template/spec/containers/0/args/-",
            "value": "--feature-gates=StrictPostBuildSubstitutions=false",
        }
    ]
    patches.append({"target": {"kind": "Deployment", "name": "kustomize-controller"}, "patch": json.dumps(off)})
    assert not installed(platform["dev"], kustomize={"patches": patches}).strict_substitution


def test_a_patch_of_another_controller_does_not_count(platform: dict[str, PlatformRender]) -> None:
    [instance] = [o for r in platform["dev"].releases for o in r.objects if o["kind"] == "FluxInstance"]
    [patch] = instance["spec"]["kustomize"]["patches"]
    elsewhere = {**patch, "target": {"kind": "Deployment", "name": "helm-controller"}}
    assert not installed(platform["dev"], kustomize={"patches": [elsewhere]}).strict_substitution


def test_a_flux_version_missing_from_the_cache_is_one_error(platform: dict[str, PlatformRender]) -> None:
    with pytest.raises(RenderError) as caught:
        installed(platform["dev"], distribution={"version": "2.9.x", "registry": "ghcr.io/fluxcd"})
    [problem] = caught.value.problems
    assert problem.startswith(f"the upstream cache {CACHE} has no Flux manifests for distribution version 2.9.x")


def test_no_flux_instance_is_an_error(platform: dict[str, PlatformRender]) -> None:
    changed = copy.deepcopy(platform["dev"])
    for release in changed.releases:
        release.objects[:] = [o for o in release.objects if o["kind"] != "FluxInstance"]
    with pytest.raises(RenderError) as caught:
        installed_platform(changed, CACHE)
    assert caught.value.problems == ("dev-platform: the platform releases render 0 FluxInstances, not one",)
