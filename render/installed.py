"""What the platform releases install that the Flux tree relies on, read from their rendered objects.

The FluxInstance (rendered from the flux-instance chart) decides which Flux controllers
run, so which custom resources are served, and whether kustomize-controller substitutes
strictly; the other charts add CRDs of their own (External Secrets). The render checks
the Flux tree against exactly that, so a kind no controller of this environment serves,
or a substitution the cluster would treat differently, shows up before any deploy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from render import kustomize
from render.crds import CrdCatalog, flux_crds, operator_crds
from render.errors import RenderError
from render.flux_yaml import load_document
from render.platform_releases import PlatformRender
from render.upstream_cache import flux_manifests_dir, operator_crds_dir

OPERATOR_CHART = "flux-operator"
# FluxInstance spec.components when it lists none (the CRD's description of its default).
DEFAULT_COMPONENTS = ("source-controller", "kustomize-controller", "helm-controller", "notification-controller")
STRICT_GATE = "StrictPostBuildSubstitutions"
FEATURE_GATES = "--feature-gates="
GO_TRUE = {"1", "t", "T", "TRUE", "true", "True"}  # strconv.ParseBool


@dataclass(frozen=True)
class InstalledPlatform:
    catalog: CrdCatalog
    flux_components: tuple[str, ...]
    flux_manifests: Path  # the cached Flux distribution whose CRDs the catalog holds
    strict_substitution: bool


def installed_platform(platform: PlatformRender, cache: Path) -> InstalledPlatform:
    instances = [
        (release, obj) for release in platform.releases for obj in release.objects if obj.get("kind") == "FluxInstance"
    ]
    if len(instances) != 1:
        raise RenderError([f"{platform.stack}: the platform releases render {len(instances)} FluxInstances, not one"])
    operators = [release for release in platform.releases if release.chart == OPERATOR_CHART]
    if len(operators) != 1:
        raise RenderError([f"{platform.stack}: no single helm_release of the {OPERATOR_CHART} chart"])
    spec: dict[str, Any] = instances[0][1].get("spec") or {}
    components = tuple(spec.get("components") or DEFAULT_COMPONENTS)
    manifests = flux_manifests_dir(cache, str((spec.get("distribution") or {}).get("version", "")))
    catalog = flux_crds(manifests, components).merged(
        operator_crds(operator_crds_dir(cache, operators[0].pinned_version))
    )
    for release in platform.releases:
        if release.chart != OPERATOR_CHART:  # its CRDs are the pinned operator's, above, whatever chart rendered
            catalog = catalog.merged(
                CrdCatalog.from_documents(release.objects, f"{release.chart} chart {release.rendered_version}")
            )
    return InstalledPlatform(catalog, components, manifests, _strict(spec, manifests))


def _strict(spec: dict[str, Any], manifests: Path) -> bool:
    """Whether kustomize-controller runs with StrictPostBuildSubstitutions on.

    The FluxInstance's kustomize patches are applied to the upstream Deployment with the
    real kustomize, then its --feature-gates flags read as the controller reads them
    (repeated flags add up, a later key wins; Go's boolean spellings).
    """
    patches = (spec.get("kustomize") or {}).get("patches") or []
    if not patches:
        return False
    upstream = (manifests / "kustomize-controller.yaml").read_text()
    [deployment] = [d for d in kustomize.split_documents(upstream) if "kind: Deployment" in d]
    where = f"FluxInstance spec.kustomize.patches on {manifests.name}/kustomize-controller.yaml"
    gates: dict[str, str] = {}
    for text in kustomize.build_with({"patches": patches}, deployment, where):
        body = load_document(text)
        if body.get("kind") != "Deployment":
            continue
        for container in body["spec"]["template"]["spec"]["containers"]:
            for arg in container.get("args") or []:
                if str(arg).startswith(FEATURE_GATES):
                    for pair in str(arg).removeprefix(FEATURE_GATES).split(","):
                        key, _, value = pair.partition("=")
                        gates[key.strip()] = value.strip()
    return gates.get(STRICT_GATE) in GO_TRUE
