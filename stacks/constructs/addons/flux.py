"""Flux, installed by the Flux Operator and described by one FluxInstance.

The operator (rather than the flux2 community chart) manages the Flux controllers as a
whole: it upgrades them within the pinned minor version, applies the cluster-type
settings for AWS, and creates the GitRepository and Kustomization that sync
`clusters/<env>` — the same objects `flux bootstrap` would, without Terraform holding
a Git credential.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from stacks.config.model import GitCredential
from stacks.constructs.addons import image_reflector_policy
from stacks.constructs.addons.hardening import pod_security_context
from stacks.constructs.addons.helm_addon import AddonProps, AwsIdentity, Chart

CHARTS_REPOSITORY = "oci://ghcr.io/controlplaneio-fluxcd/charts"
OPERATOR_CHART = Chart(repository=CHARTS_REPOSITORY, name="flux-operator", version="0.58.0")
INSTANCE_CHART = Chart(repository=CHARTS_REPOSITORY, name="flux-instance", version="0.58.0")
NAMESPACE = "flux-system"
DISTRIBUTION = "2.8.x"
CONTROLLERS = ("source-controller", "kustomize-controller", "helm-controller", "notification-controller")
IMAGE_AUTOMATION = ("image-reflector-controller", "image-automation-controller")
# The operator image's own user (controlplaneio-fluxcd/flux-operator Dockerfile: distroless
# static:nonroot, USER 65532:65532).
OPERATOR_USER = 65532

# With this gate kustomize-controller fails a build in which a `${var}` has neither a
# value nor a default, instead of substituting an empty string: the rule the offline
# render (render/substitute.py) applies too. Off by default in kustomize-controller
# v1.8 (internal/features/features.go), recommended on in its docs:
# https://fluxcd.io/flux/components/kustomize/kustomizations/#post-build-variable-substitution
STRICT_SUBSTITUTION_GATE: Final = "StrictPostBuildSubstitutions"
STRICT_SUBSTITUTION_ARG: Final = f"--feature-gates={STRICT_SUBSTITUTION_GATE}=true"


def strict_substitution_patch() -> dict[str, Any]:
    """The FluxInstance patch (spec.kustomize.patches) that turns the gate on.

    An argument of its own, appended: for Flux >= 2.7 the operator already appends
    `--feature-gates=ObjectLevelWorkloadIdentity=false` to every controller
    (flux-operator internal/builder/workload_identity.go), and repeated --feature-gates
    flags add up instead of replacing one another (each is parsed into one map:
    k8s.io/component-base cli/flag MapStringBool)."""
    operations = [{"op": "add", "path": "/spec/template/spec/containers/0/args/-", "value": STRICT_SUBSTITUTION_ARG}]
    return {"target": {"kind": "Deployment", "name": "kustomize-controller"}, "patch": json.dumps(operations)}


def flux_operator(*, overrides: Mapping[str, Any]) -> AddonProps:
    """The chart's container context is restricted already and its resources are set
    (requests 100m/64Mi, limits 2 CPUs/1Gi); its pod context is empty, so only the image
    says which UID the operator runs as. Here the pod spec says it too."""
    return AddonProps(
        release="flux-operator",
        namespace=NAMESPACE,
        chart=OPERATOR_CHART,
        values={"podSecurityContext": pod_security_context(user=OPERATOR_USER)},
        overrides=overrides,
        create_namespace=False,
    )


def flux_instance(
    *,
    repository_url: str,
    branch: str,
    path: str,
    git_credential: GitCredential | None,
    image_repository_arn: str | None,
    overrides: Mapping[str, Any],
) -> AddonProps:
    """With `image_repository_arn`, the image controllers run too, and the
    image-reflector-controller reads that repository's tags from ECR as itself
    (ImageRepository `provider: aws`) through Pod Identity.

    Kustomize patches in `overrides` are added after the strict-substitution patch
    rather than replacing it (a list would otherwise be replaced whole by the merge)."""
    image_automation = image_repository_arn is not None
    extra_patches, other_overrides = _split_patches(overrides)
    sync: dict[str, Any] = {"kind": "GitRepository", "url": repository_url, "ref": f"refs/heads/{branch}", "path": path}
    if git_credential is not None:
        # Becomes the GitRepository's secretRef, which the image-automation-controller
        # also pushes with.
        sync["pullSecret"] = git_credential.secret_name
        if git_credential.type == "github-app":
            # Flux reads the Secret as a GitHub App only with `provider: github` (the
            # image-automation-controller refuses GitHub App data without it).
            # https://fluxcd.io/flux/components/source/gitrepositories/#github
            sync["provider"] = "github"
    values = {
        "instance": {
            "distribution": {"version": DISTRIBUTION, "registry": "ghcr.io/fluxcd"},
            "components": [*CONTROLLERS, *(IMAGE_AUTOMATION if image_automation else ())],
            "cluster": {"type": "aws", "size": "medium", "multitenant": False, "networkPolicy": True},
            "sync": sync,
            "kustomize": {"patches": [strict_substitution_patch(), *extra_patches]},
        }
    }
    return AddonProps(
        release="flux",
        namespace=NAMESPACE,
        chart=INSTANCE_CHART,
        values=values,
        overrides=other_overrides,
        identity=AwsIdentity(
            service_account=image_reflector_policy.SERVICE_ACCOUNT,
            statements=image_reflector_policy.image_reflector_statements(repository_arn=image_repository_arn),
        )
        if image_repository_arn is not None
        else None,
        create_namespace=False,
    )


def _split_patches(overrides: Mapping[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    """The kustomize patches in `overrides`, and `overrides` without them."""
    rest = dict(overrides)
    instance = dict(rest.pop("instance", None) or {})
    kustomize = dict(instance.pop("kustomize", None) or {})
    patches = list(kustomize.pop("patches", None) or [])
    if kustomize:
        instance["kustomize"] = kustomize
    if instance:
        rest["instance"] = instance
    return patches, rest
