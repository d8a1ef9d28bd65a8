"""Every spec field of a Flux Kustomization (v1) and HelmRelease (v2), and what the render does with it.

The render claims to show what Flux v2.8 (kustomize-controller v1.8, helm-controller v1.5)
applies to a fresh cluster. That holds only if every field that changes what is applied is
either reproduced (HONOURED) or stops the render (REFUSED); a field that changes nothing
applied (NO_EFFECT) says why. A field that is not in these tables stops the render too, so
a new Flux field cannot slip through unexamined (tests/clusters/test_kustomization_semantics.py
holds the tables to the CRDs of `../shared/upstream/flux-v2.8.8/`).

Paths are dotted below `spec`; a NESTED field is judged by its own fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any


class Effect(Enum):
    HONOURED = "honoured"
    NO_EFFECT = "no effect"
    REFUSED = "refused"
    NESTED = "nested"


@dataclass(frozen=True)
class Field:
    effect: Effect
    reason: str
    harmless: tuple[object, ...] = ()  # values of a REFUSED field that change nothing (its defaults)


def _honoured(reason: str) -> Field:
    return Field(Effect.HONOURED, reason)


def _no_effect(reason: str) -> Field:
    return Field(Effect.NO_EFFECT, reason)


def _refused(reason: str, *harmless: object) -> Field:
    return Field(Effect.REFUSED, reason, harmless)


_NESTED = Field(Effect.NESTED, "judged by its own fields")
_FIRST_APPLY = "the render is a first apply to a fresh cluster"

KUSTOMIZATION: dict[str, Field] = {
    "commonMetadata": _honoured("labels and annotations set on every object after substitution"),
    "components": _honoured("written into the kustomization file by Flux's generator"),
    "decryption": _refused("SOPS decryption needs keys that are not available offline"),
    "deletionPolicy": _no_effect("what happens when the Kustomization is deleted"),
    "dependsOn": _honoured("orders the render; ConfigMaps for substituteFrom come from dependencies"),
    "force": _no_effect("recreates objects whose immutable fields changed: same objects"),
    "healthCheckExprs": _no_effect("how readiness is judged"),
    "healthChecks": _no_effect("how readiness is judged"),
    "ignoreMissingComponents": _honoured("missing components are left out, as Flux's generator does"),
    "images": _honoured("written into the kustomization file by Flux's generator"),
    "interval": _no_effect("how often Flux reconciles"),
    "kubeConfig": _refused("the objects go to another cluster, which this render does not model"),
    "namePrefix": _honoured("written into the kustomization file by Flux's generator"),
    "nameSuffix": _honoured("written into the kustomization file by Flux's generator"),
    "patches": _honoured("written into the kustomization file by Flux's generator"),
    "path": _honoured("the folder that is built"),
    "postBuild": _NESTED,
    "postBuild.substitute": _honoured("inline variables, over those of substituteFrom"),
    "postBuild.substituteFrom": _honoured("variables from the bridge or from ConfigMaps of dependencies"),
    "prune": _no_effect(f"removes objects that left Git; {_FIRST_APPLY}"),
    "retryInterval": _no_effect("how soon a failed reconcile is retried"),
    "serviceAccountName": _no_effect("whose permissions apply the objects, not which objects"),
    "sourceRef": _honoured("only this repository (GitRepository flux-system) renders"),
    "suspend": _honoured("a suspended Kustomization applies nothing to a fresh cluster: none of its objects"),
    "targetNamespace": _honoured("written into the kustomization file by Flux's generator"),
    "timeout": _no_effect("how long Flux waits"),
    "wait": _no_effect("how readiness is judged"),
}

HELM_RELEASE: dict[str, Field] = {
    "chart": _NESTED,
    "chart.metadata": _no_effect("labels of the HelmChart object helm-controller creates, not of the release"),
    "chart.spec": _NESTED,
    "chart.spec.chart": _honoured("the chart folder in this repository"),
    "chart.spec.ignoreMissingValuesFiles": _honoured("missing valuesFiles are left out"),
    "chart.spec.interval": _no_effect("how often source-controller looks for a new chart"),
    "chart.spec.reconcileStrategy": _honoured(
        "Revision versions the chart `<version>+<commit>`, with a fixed stand-in for the commit"
    ),
    "chart.spec.sourceRef": _honoured("only this repository (GitRepository flux-system) renders"),
    "chart.spec.valuesFiles": _honoured("merged in order and used instead of the chart's values.yaml"),
    "chart.spec.verify": _no_effect("signature check of OCI charts; a chart of this repository has none"),
    "chart.spec.version": _no_effect("ignored by Flux for charts from a GitRepository"),
    "chartRef": _refused("a chart of an OCIRepository or HelmChart is not in this repository"),
    "commonMetadata": _honoured("labels and annotations set on every rendered object"),
    "dependsOn": _no_effect("when the release is installed, not what it installs"),
    "driftDetection": _no_effect("how changes made in the cluster are corrected"),
    "healthCheckExprs": _no_effect("how readiness is judged"),
    "install": _NESTED,
    "install.crds": _honoured("Skip leaves the chart's crds/ out; Create and CreateReplace apply them"),
    "install.createNamespace": _honoured("with targetNamespace, Helm creates that Namespace"),
    "install.disableHooks": _honoured("install hooks are left out"),
    "install.disableOpenAPIValidation": _no_effect("a server-side check, not a change to the objects"),
    "install.disableSchemaValidation": _refused("the render always checks values against values.schema.json", False),
    "install.disableTakeOwnership": _no_effect(f"adoption of existing objects; {_FIRST_APPLY}"),
    "install.disableWait": _no_effect("how readiness is judged"),
    "install.disableWaitForJobs": _no_effect("how readiness is judged"),
    "install.remediation": _no_effect("what happens after a failed install"),
    "install.replace": _no_effect(f"re-uses the name of a failed release; {_FIRST_APPLY}"),
    "install.serverSideApply": _no_effect("how the objects are sent, not which"),
    "install.skipCRDs": _no_effect("deprecated: helm-controller v1.5 reads install.crds instead"),
    "install.strategy": _no_effect("what happens after a failed install"),
    "install.timeout": _no_effect("how long Helm waits"),
    "interval": _no_effect("how often Flux reconciles"),
    "kubeConfig": _refused("the release goes to another cluster, which this render does not model"),
    "maxHistory": _no_effect("how many release records Helm keeps"),
    "persistentClient": _no_effect("how helm-controller talks to the cluster"),
    "postRenderers": _honoured("kustomize patches and images run on the chart's objects, in order"),
    "releaseName": _honoured("the Helm release name (shortened past 53 characters as Flux does)"),
    "rollback": _no_effect("what happens after a failed upgrade"),
    "serviceAccountName": _no_effect("whose permissions install the release, not what it installs"),
    "storageNamespace": _honoured("where the release record lives: two releases may not share one"),
    "suspend": _honoured("a suspended HelmRelease installs nothing to a fresh cluster: none of its objects"),
    "targetNamespace": _honoured("the namespace of the release and of its objects"),
    "test": _NESTED,
    "test.enable": _honoured("test hooks are created only when tests run"),
    "test.filters": _honoured("which test hooks run"),
    "test.ignoreFailures": _no_effect("what happens after a failed test"),
    "test.timeout": _no_effect("how long Helm waits"),
    "timeout": _no_effect("how long Helm waits"),
    "uninstall": _no_effect("what happens when the HelmRelease is deleted"),
    "upgrade": _no_effect(f"applies to later upgrades; {_FIRST_APPLY}"),
    "values": _honoured("merged over valuesFrom"),
    "valuesFrom": _honoured("ConfigMaps of the release's namespace, in order, under spec.values"),
    "waitStrategy": _no_effect("how readiness is judged"),
}


def refusals(table: Mapping[str, Field], spec: Mapping[str, Any], where: str, prefix: str = "") -> list[str]:
    """One line per field of `spec` the render cannot honour: refused, or not in `table`."""
    problems: list[str] = []
    for key, value in spec.items():
        path = f"{prefix}{key}"
        rule = table.get(path)
        if rule is None:
            problems.append(f"{where}: spec.{path}: not in render/flux_fields.py: say what it changes before using it")
        elif rule.effect is Effect.NESTED and isinstance(value, Mapping):
            problems += refusals(table, value, where, f"{path}.")
        elif rule.effect is Effect.REFUSED and value not in rule.harmless:
            problems.append(f"{where}: spec.{path}: cannot be rendered offline: {rule.reason}")
    return problems
